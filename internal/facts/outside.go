package facts

import (
	"strings"
)

// Kind and status of the unknown remainder of a role outside the plan (RULES.md §2.3).
const (
	KindOutside   = "outside"
	StatusOutside = "outside"
)

// outsideRoles adds the roles karpenter.roles names exactly (a role ARN, or name:<name> without
// a wildcard) that no role of the plan matches (RULES.md §2.3). Such a role is judged from what
// the plan gives it (attachments, inline policies and exclusive resources naming it by value)
// plus an unknown remainder (its other policies, boundary, tags and trust) that keeps its
// refusals open unless its entry is marked complete. It is registered by name and ARN before the
// plan's links are followed, so they reach it.
func (b *builder) outsideRoles() {
	for _, sel := range b.opt.Roles {
		name, arn, ok := exactRole(sel)
		if !ok || b.matchesPlanRole(sel, name, arn) {
			continue
		}
		if b.byAddr[sel] != nil {
			continue // listed twice
		}
		role := &Role{Address: sel, Action: "outside", Policies: []*PolicyEntry{}, Removed: []Removed{},
			Karpenter: Detection{Detected: true, By: []string{ByConfig}}}
		n := name
		role.Name = &n
		b.byName[name] = append(b.byName[name], role)
		if arn != "" {
			a := arn
			role.ARN = &a
			b.byARN[arn] = append(b.byARN[arn], role)
		}
		b.roles = append(b.roles, role)
		b.byAddr[sel] = role
		b.outside = append(b.outside, role)
	}
}

// outsideRemainder gives each role outside the plan its unknown remainder, unless config says
// the plan shows everything that reaches it.
func (b *builder) outsideRemainder() {
	for _, role := range b.outside {
		if b.opt.Complete[role.Address] {
			continue
		}
		role.Policies = append(role.Policies, &PolicyEntry{Address: role.Address, Kind: KindOutside, Status: StatusOutside,
			Source: "none", Problems: []Problem{},
			Unknown: []string{"its other policies, permissions boundary and tags are outside the plan"}})
	}
}

// exactRole reads a karpenter.roles selector that names one role exactly: an IAM role ARN
// (arn:<partition>:iam::<account>:role/<path/>name) or name:<name>, neither with a wildcard.
func exactRole(sel string) (name, arn string, ok bool) {
	if strings.ContainsAny(sel, "*?") {
		return "", "", false
	}
	if n, isName := strings.CutPrefix(sel, "name:"); isName {
		return n, "", n != ""
	}
	parts := strings.SplitN(sel, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	path := strings.TrimPrefix(parts[5], "role/")
	name = path[strings.LastIndexByte(path, '/')+1:]
	return name, sel, name != ""
}

// matchesPlanRole reports whether an exact selector names a role the plan manages.
func (b *builder) matchesPlanRole(sel, name, arn string) bool {
	if arn != "" {
		if len(b.byARN[arn]) > 0 {
			return true
		}
	}
	for _, r := range b.byName[name] {
		if r.Action != "outside" {
			return true
		}
	}
	// A role whose name is unknown until apply may be this one: it is in the plan, not outside.
	return false
}

// arnMatches reports whether a karpenter.roles selector that is a role ARN (with * and ?
// wildcards) matches the role's ARN.
func arnMatches(patterns []string, role *Role) bool {
	if role.ARN == nil {
		return false
	}
	for _, p := range patterns {
		if strings.HasPrefix(p, "arn:") && globMatch(p, *role.ARN) {
			return true
		}
	}
	return false
}

// accountOf returns the account id of an ARN, or "".
func accountOf(arn *string) string {
	if arn == nil {
		return ""
	}
	parts := strings.SplitN(*arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || len(parts[4]) != 12 {
		return ""
	}
	for _, c := range parts[4] {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return parts[4]
}
