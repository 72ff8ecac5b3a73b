// Package source maps a finding back to the Terraform sources it came from. The plan JSON has no file
// or line information, so Index parses the .tf files of a root module, and of every module it calls
// whose files are in the repository, with github.com/hashicorp/hcl/v2, and Locate turns a resource
// address (plus, optionally, a statement Sid or index) into a repository-relative file and line range
// for SARIF and the other report formats.
//
// The package owns address parsing, module-source resolution (local paths and
// .terraform/modules/modules.json), and the search for IAM policy statements inside
// data "aws_iam_policy_document" blocks, jsonencode(...) calls and heredoc JSON. It reads only files
// under the repository root and never returns a path outside it. It imports no other karpgate
// package: callers decide what to do when Locate finds nothing (karpgate points at the plan file).
package source
