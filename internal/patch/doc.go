// Package patch writes the fixes that change a module call (findings' Edit: terraform-aws-eks
// modules/karpenter's enable_v1_permissions, a version constraint, an entry of its
// iam_policy_statements list) as a unified diff against the .tf sources, for karpgate's patch
// output format. The edits are made with hclwrite, which keeps every other byte of the file
// (comments, layout) as it was; a list entry is edited in place, the list's other entries and
// comments kept. The diff applies with `patch -p1` or `git apply` from the repository root.
package patch
