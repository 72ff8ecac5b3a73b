package facts

import "github.com/karpgate/karpgate/internal/plan"

// Kind and status of a policy entry that stands for a deferred change (RULES.md §3.4).
const (
	KindDeferred   = "deferred"
	StatusDeferred = "deferred"
)

// roleAttrs names, for the resource types that link policies to roles, the attribute that names
// the role (or roles).
var roleAttrs = map[string]string{
	tRolePolicy:       "role",
	tRoleAttachment:   "role",
	tPolicyAttachment: "roles",
	tExclusive:        "role_name",
	tInlineExclusive:  "role_name",
}

// linkDeferred turns the plan's deferred changes of the types the model reads into open parts of
// the Karpenter roles they may change (RULES.md §3.4): a deferred change may or may not apply in
// this run, and its content is what Terraform knew of it. A change that names its role (by value
// or by reference) reaches that role only; any other one (a policy, a data source, an
// association, a role whose name is unknown) reaches every Karpenter role. The entry is open
// like an unknown policy: it may add an Allow, never a Deny, so it opens refusals only.
func (b *builder) linkDeferred() {
	for _, d := range b.p.Deferred {
		r := d.Resource
		if !Relevant(r.Mode, r.Type) && r.Type != tRole {
			continue
		}
		roles := b.deferredTargets(r)
		for _, role := range roles {
			if !role.Karpenter.Detected {
				continue
			}
			reason := d.Reason
			if reason == "" {
				reason = "no reason given"
			}
			role.Policies = append(role.Policies, &PolicyEntry{Address: r.Address, Attribute: "", Kind: KindDeferred,
				Status: StatusDeferred, Source: "deferred_changes", Unknown: []string{reason}, Problems: []Problem{}})
		}
	}
}

func (b *builder) deferredTargets(r *plan.Resource) []*Role {
	if r.Type == tRole && r.Mode == modeManaged {
		if role := b.byAddr[r.Address]; role != nil {
			return []*Role{role}
		}
		if s, ok := r.String("name"); ok && s != "" {
			return b.byName[s]
		}
		return nil // a role the plan does not have yet: no Karpenter role of this plan is it
	}
	if attr, ok := roleAttrs[r.Type]; ok && r.Mode == modeManaged {
		if roles, found := b.targets(r, attr); found {
			return roles
		}
	}
	return b.roles
}
