package facts

import (
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/plan"
)

// detect marks Karpenter controller roles (RULES.md §2).
func (b *builder) detect() {
	match := b.opt.MatchRole
	if match == nil {
		match = findings.MatchRole
	}
	byConfig := len(b.opt.Roles) > 0
	podIdentity := b.podIdentityRoles()
	for _, role := range b.roles {
		var by []string
		name := ""
		if role.Name != nil {
			name = *role.Name
		}
		if role.Action == "outside" || (byConfig && (match(b.opt.Roles, role.Address, name) || arnMatches(b.opt.Roles, role))) {
			by = append(by, ByConfig)
		}
		if podIdentity[role.Address] {
			by = append(by, ByPodIdentity)
		}
		if role.Trust != nil && role.Trust.Document != nil && irsaKarpenter(role.Trust.Document) {
			by = append(by, ByIRSA)
		}
		if b.inKarpenterModule(role.Address) {
			by = append(by, ByModule)
		}
		if namedKarpenter(role) {
			by = append(by, ByName)
		}
		role.Karpenter.By = by
		if by == nil {
			role.Karpenter.By = []string{}
		}
		if byConfig {
			role.Karpenter.Detected = slices.Contains(by, ByConfig)
		} else {
			role.Karpenter.Detected = len(by) > 0
		}
	}
}

// podIdentityRoles returns the roles bound by a pod identity association whose service account
// mentions karpenter.
func (b *builder) podIdentityRoles() map[string]bool {
	out := map[string]bool{}
	for _, r := range b.byType[tPodIdentity] {
		a := r.Address
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		sa, _ := r.String("service_account")
		if !strings.Contains(strings.ToLower(sa), "karpenter") {
			continue
		}
		if arn, ok := r.String("role_arn"); ok {
			for _, role := range b.byARN[arn] {
				out[role.Address] = true
			}
		}
		for _, ref := range b.p.References(a, "role_arn") {
			if _, ok := b.byAddr[ref]; ok {
				out[ref] = true
			}
		}
	}
	return out
}

// irsaKarpenter reports whether a trust policy has a condition on a key ending in ":sub" with a
// value matching system:serviceaccount:*:*karpenter*.
func irsaKarpenter(d *Document) bool {
	for _, st := range d.Statements {
		if st.Effect != "Allow" {
			continue
		}
		for _, c := range st.Conditions {
			if !strings.HasSuffix(c.Key, ":sub") {
				continue
			}
			for _, v := range c.Values {
				if globMatch("system:serviceaccount:*:*karpenter*", strings.ToLower(v)) {
					return true
				}
			}
		}
	}
	return false
}

// inKarpenterModule reports whether the role is aws_iam_role.controller or .irsa inside a module
// call whose source contains modules/karpenter.
func (b *builder) inKarpenterModule(addr string) bool {
	mod, rel := plan.SplitAddress(addr)
	if mod == "" {
		return false
	}
	rel = plan.StripKeys(rel)
	if rel != "aws_iam_role.controller" && rel != "aws_iam_role.irsa" {
		return false
	}
	call := b.p.ModuleCall(mod)
	return call != nil && strings.Contains(call.Source, "modules/karpenter")
}

// namedKarpenter: name or name_prefix contains karpenter, and the trust policy (when known) does not
// trust only EC2 (that is the node role).
func namedKarpenter(role *Role) bool {
	named := false
	for _, n := range []*string{role.Name, role.NamePrefix} {
		if n != nil && strings.Contains(strings.ToLower(*n), "karpenter") {
			named = true
		}
	}
	if !named {
		return false
	}
	if role.Trust != nil && role.Trust.Document != nil && trustsOnly(role.Trust.Document, ec2Services) {
		return false
	}
	return true
}
