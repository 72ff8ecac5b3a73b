package config

import (
	"strings"

	"github.com/karpgate/karpgate/internal/findings"
)

// namePrefix marks a Karpenter role pattern that matches role names instead of addresses.
const namePrefix = "name:"

// MatchAddress reports whether a Terraform resource address matches a glob. It is
// findings.MatchAddress: '*' matches any run of characters, including '.', '[' and ']', and every
// other character matches itself, case-sensitively. "module.karpenter.*" matches every resource
// in module.karpenter and its child modules; "aws_iam_role.karpenter[*]" every instance of one
// resource.
func MatchAddress(pattern, address string) bool { return findings.MatchAddress(pattern, address) }

// MatchRole reports whether a role, known by its resource address and its IAM role name, matches
// any of patterns (karpenter.roles). A pattern starting with "name:" is a glob over the role name,
// compared case-insensitively as IAM compares role names, and never matches an empty (unknown)
// name; any other pattern is an address glob (MatchAddress).
func MatchRole(patterns []string, address, name string) bool {
	for _, p := range patterns {
		if glob, ok := strings.CutPrefix(p, namePrefix); ok {
			if name != "" && findings.MatchAddress(strings.ToLower(glob), strings.ToLower(name)) {
				return true
			}
			continue
		}
		if findings.MatchAddress(p, address) {
			return true
		}
	}
	return false
}
