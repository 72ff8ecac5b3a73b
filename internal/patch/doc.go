// Package patch writes the fixes that are module arguments (findings' Edit: terraform-aws-eks
// modules/karpenter's enable_v1_permissions, a version constraint) as a unified diff against the
// .tf sources, for karpgate's patch output format. The edits are made with hclwrite, which
// keeps every other byte of the file (comments, layout) as it was; the diff applies with
// `patch -p1` or `git apply` from the repository root.
package patch
