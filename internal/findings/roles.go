package findings

import "strings"

// RoleNamePrefix marks a Karpenter role pattern (karpenter.roles) that matches role names instead
// of addresses.
const RoleNamePrefix = "name:"

// MatchRole reports whether a role, known by its resource address and its IAM role name, matches
// any of patterns (karpenter.roles). A pattern starting with RoleNamePrefix is a glob over the role
// name, compared case-insensitively as IAM compares role names, and never matches an empty
// (unknown) name; any other pattern is an address glob, compared case-sensitively. Both are
// MatchAddress globs: '*' is the only wildcard ('?' is itself).
func MatchRole(patterns []string, address, name string) bool {
	for _, p := range patterns {
		if glob, ok := strings.CutPrefix(p, RoleNamePrefix); ok {
			if name != "" && MatchAddress(strings.ToLower(glob), strings.ToLower(name)) {
				return true
			}
			continue
		}
		if MatchAddress(p, address) {
			return true
		}
	}
	return false
}
