package facts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/plan"
)

// Removed is a policy the plan attaches to a role that does not reach it after apply, because
// another resource overrides the attachment (RULES.md §3.1): the role's configured
// managed_policy_arns or inline_policy, an aws_iam_role_policy_attachments_exclusive or
// aws_iam_role_policies_exclusive naming the role, or an aws_iam_policy_attachment of the same
// policy that does not list the role.
type Removed struct {
	Address   string  `json:"address"`   // the resource that attaches (or holds) the policy
	Attribute string  `json:"attribute"` // policy_arn, policy, managed_policy_arns, inline_policy
	Policy    string  `json:"policy"`    // the resource holding the policy text, when the plan has it
	ARN       *string `json:"arn"`       // the managed policy's ARN, when known
	Name      *string `json:"name"`      // the inline policy's name, when known
	By        string  `json:"by"`        // the resource that removes it
}

// roleLinks collects, for one role, the resources of the plan that attach policies to it.
type roleLinks struct {
	attachments     []*plan.Resource // live aws_iam_role_policy_attachment and aws_iam_policy_attachment
	rolePolicies    []*plan.Resource // live aws_iam_role_policy
	exclusive       *plan.Resource   // live aws_iam_role_policy_attachments_exclusive
	inlineExclusive *plan.Resource   // live aws_iam_role_policies_exclusive
	deletedARNs     map[string]bool  // policy ARNs this plan detaches from the role
	deletedNames    map[string]bool  // inline policy names this plan deletes from the role
}

// link attaches every policy that reaches each role after apply (RULES.md §3.1).
func (b *builder) link() {
	links := map[*Role]*roleLinks{}
	get := func(role *Role) *roleLinks {
		l := links[role]
		if l == nil {
			l = &roleLinks{deletedARNs: map[string]bool{}, deletedNames: map[string]bool{}}
			links[role] = l
		}
		return l
	}
	// Live aws_iam_policy_attachment resources by the policy they attach: each is exclusive
	// across principals (rule 4).
	policyAttachments := map[string][]*plan.Resource{}
	for _, t := range []string{tRolePolicy, tRoleAttachment, tPolicyAttachment, tExclusive, tInlineExclusive} {
		for _, r := range b.byType[t] {
			if r.Mode != modeManaged {
				continue
			}
			if r.Deleted() {
				b.recordDeleted(r, get)
				continue
			}
			roles, ok := b.targets(r, roleAttrs[t])
			if t == tPolicyAttachment {
				for _, k := range b.policyKeys(r, "policy_arn") {
					policyAttachments[k] = append(policyAttachments[k], r)
				}
			}
			if !ok {
				continue
			}
			for _, role := range roles {
				l := get(role)
				switch t {
				case tRolePolicy:
					l.rolePolicies = append(l.rolePolicies, r)
				case tRoleAttachment, tPolicyAttachment:
					l.attachments = append(l.attachments, r)
				case tExclusive:
					if l.exclusive == nil {
						l.exclusive = r
					}
				case tInlineExclusive:
					if l.inlineExclusive == nil {
						l.inlineExclusive = r
					}
				}
			}
		}
	}
	for _, role := range b.roles {
		l := links[role]
		if l == nil {
			l = &roleLinks{}
		}
		b.linkManaged(role, l, policyAttachments)
		b.linkInlinePolicies(role, l)
	}
}

// recordDeleted notes what a deleted linking resource detaches, by value (prior state).
func (b *builder) recordDeleted(r *plan.Resource, get func(*Role) *roleLinks) {
	attr := roleAttrs[r.Type]
	var roles []*Role
	switch v := r.Values().Value(attr).(type) {
	case string:
		roles = append(append(roles, b.byName[v]...), b.byARN[v]...)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				roles = append(roles, b.byName[s]...)
			}
		}
	}
	for _, role := range roles {
		l := get(role)
		switch r.Type {
		case tRoleAttachment, tPolicyAttachment:
			if s, ok := r.Values().Value("policy_arn").(string); ok {
				l.deletedARNs[s] = true
			}
		case tRolePolicy:
			if s, ok := r.Values().Value("name").(string); ok {
				l.deletedNames[s] = true
			}
		}
	}
}

// policyKeys names the policy a linking resource attaches: its ARN when known, else the
// addresses of the aws_iam_policy resources it references.
func (b *builder) policyKeys(r *plan.Resource, attr string) []string {
	if s, ok := r.String(attr); ok && s != "" {
		return []string{s}
	}
	var out []string
	for _, a := range b.refs(r, attr) {
		if pol := b.p.Resources[a]; pol != nil && pol.Type == tPolicy && pol.Mode == modeManaged {
			out = append(out, a)
		}
	}
	return out
}

// linkManaged attaches the managed policies of RULES.md §3.1 rules 1-4.
func (b *builder) linkManaged(role *Role, l *roleLinks, policyAttachments map[string][]*plan.Resource) {
	r := b.p.Resources[role.Address]
	var got []*PolicyEntry
	var overridden []*plan.Resource // attachments rule 1 or 2 overrides
	by := ""
	switch {
	case b.configured(role, r, "managed_policy_arns"):
		// Rule 1: the role's own list is exactly what it has.
		got = b.managed(r, "managed_policy_arns")
		for _, e := range got {
			if e.Via == "" {
				e.Via = role.Address
			}
		}
		overridden = l.attachments
		if l.exclusive != nil {
			overridden = append(slices.Clone(overridden), l.exclusive)
		}
		by = role.Address
	case l.exclusive != nil:
		// Rule 2: the exclusive resource's list is exactly what it has.
		got = b.managed(l.exclusive, "policy_arns")
		overridden, by = l.attachments, l.exclusive.Address
	default:
		// Rule 3: every live attachment, and what the role already had.
		covered := map[string]bool{}
		for _, a := range l.attachments {
			for _, e := range b.managed(a, "policy_arn") {
				got = append(got, e)
				if e.ARN != nil {
					covered[*e.ARN] = true
				}
			}
		}
		for _, arn := range b.priorManaged(role, r) {
			if covered[arn] || l.deletedARNs[arn] {
				continue
			}
			covered[arn] = true
			got = append(got, b.managedARN(arn, role.Address, "managed_policy_arns"))
		}
	}
	kept := map[string]bool{}
	for _, e := range got {
		kept[policyKey(e)] = true
	}
	for _, a := range overridden {
		for _, e := range b.managed(a, attrOfPolicy(a)) {
			if kept[policyKey(e)] {
				continue // the overriding list names it too: it stays
			}
			role.Removed = append(role.Removed, Removed{Address: a.Address, Attribute: attrOfPolicy(a), Policy: policyOf(e), ARN: e.ARN, By: by})
		}
	}
	// Rule 4: an aws_iam_policy_attachment of a policy decides every principal it reaches.
	for _, e := range got {
		if pa := excludedBy(role, e, policyAttachments, b); pa != nil {
			role.Removed = append(role.Removed, Removed{Address: viaOr(e), Attribute: b.linkAttr(viaOr(e)), Policy: policyOf(e), ARN: e.ARN, By: pa.Address})
			continue
		}
		role.Policies = append(role.Policies, e)
	}
}

// linkAttr names the attribute by which the resource at addr attaches a managed policy.
func (b *builder) linkAttr(addr string) string {
	r := b.p.Resources[addr]
	switch {
	case r == nil:
		return ""
	case r.Type == tRole:
		return "managed_policy_arns"
	}
	return attrOfPolicy(r)
}

func attrOfPolicy(r *plan.Resource) string {
	if r.Type == tExclusive {
		return "policy_arns"
	}
	return "policy_arn"
}

// policyKey identifies the policy of an entry: its ARN, else the resource holding it.
func policyKey(e *PolicyEntry) string {
	if e.ARN != nil {
		return *e.ARN
	}
	return e.Address + "." + e.Attribute
}

// policyOf is the resource holding a managed policy's text, "" for one outside the plan.
func policyOf(e *PolicyEntry) string {
	if e.Kind == KindManaged {
		return e.Address
	}
	return ""
}

func viaOr(e *PolicyEntry) string {
	if e.Via != "" {
		return e.Via
	}
	return e.Address
}

// excludedBy returns the live aws_iam_policy_attachment of e's policy that does not list the
// role, if any: the policy reaches only the principals that resource lists.
func excludedBy(role *Role, e *PolicyEntry, pas map[string][]*plan.Resource, b *builder) *plan.Resource {
	var keys []string
	if e.ARN != nil {
		keys = append(keys, *e.ARN)
	}
	if e.Kind == KindManaged {
		keys = append(keys, e.Address)
	}
	for _, k := range keys {
		for _, pa := range pas[k] {
			roles, ok := b.targets(pa, "roles")
			if !ok {
				continue // the list is unknown: it may list the role
			}
			if !slices.Contains(roles, role) {
				return pa
			}
		}
	}
	return nil
}

// priorManaged returns the managed policy ARNs AWS reported for a role that exists before this
// plan (attachments made outside Terraform included). A role created or replaced here has none.
func (b *builder) priorManaged(role *Role, r *plan.Resource) []string {
	if r == nil || role.Action == "create" || role.Action == "replace" || r.Unknown("managed_policy_arns") {
		return nil
	}
	var out []string
	if list, ok := r.Values().Value("managed_policy_arns").([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// managedARN is the entry of a managed policy named by ARN on the role itself.
func (b *builder) managedARN(arn, roleAddr, attr string) *PolicyEntry {
	return b.arnEntry(arn, roleAddr, attr, KindExternal)
}

// linkInlinePolicies attaches the inline policies (RULES.md §3.1): configured inline_policy
// blocks are exclusive; else an aws_iam_role_policies_exclusive keeps only its policy_names;
// else every live aws_iam_role_policy plus the role's prior inline policies, by name, minus those
// this plan deletes.
func (b *builder) linkInlinePolicies(role *Role, l *roleLinks) {
	r := b.p.Resources[role.Address]
	if b.configured(role, r, "inline_policy") {
		for _, rp := range l.rolePolicies {
			role.Removed = append(role.Removed, Removed{Address: rp.Address, Attribute: "policy", Policy: rp.Address, Name: knownName(rp), By: role.Address})
		}
		b.linkInline(role, r, nil)
		return
	}
	var keep func(name string, known bool) bool
	if ex := l.inlineExclusive; ex != nil {
		if names, ok := knownStrings(ex, "policy_names"); ok {
			keep = func(name string, known bool) bool { return !known || slices.Contains(names, name) }
		}
	}
	byResource := map[string]bool{}
	for _, rp := range l.rolePolicies {
		name := knownName(rp)
		if keep != nil && !keep(deref(name), name != nil) {
			role.Removed = append(role.Removed, Removed{Address: rp.Address, Attribute: "policy", Policy: rp.Address, Name: name, By: l.inlineExclusive.Address})
			continue
		}
		if name != nil {
			byResource[*name] = true
		}
		role.Policies = append(role.Policies, b.textEntry(rp, "policy", KindRolePolicy, ""))
	}
	if role.Action == "create" || role.Action == "replace" {
		return // a new role has no inline policies of its own unless configured
	}
	b.linkInline(role, r, func(name string) (bool, string) {
		switch {
		case byResource[name], l.deletedNames[name]:
			return false, ""
		case keep != nil && !keep(name, true):
			return false, l.inlineExclusive.Address
		}
		return true, ""
	})
}

// configured reports whether the role's configuration sets attr (managed_policy_arns,
// inline_policy): the expression is present, or (for a plan without that configuration) the role
// is created with the attribute known, which the provider leaves unknown unless it is configured.
func (b *builder) configured(role *Role, r *plan.Resource, attr string) bool {
	if b.p.Expression(role.Address, attr) != nil {
		return true
	}
	if r == nil || (role.Action != "create" && role.Action != "replace") || r.Unknown(attr) {
		return false
	}
	v, ok := r.Values().Get(attr)
	return ok && v != nil
}

func knownName(r *plan.Resource) *string {
	if s, ok := r.String("name"); ok && s != "" {
		return &s
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// knownStrings reads a known list of strings.
func knownStrings(r *plan.Resource, attr string) ([]string, bool) {
	if r.Unknown(attr) {
		return nil, false
	}
	list, ok := r.Values().Value(attr).([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, isStr := v.(string); isStr {
			out = append(out, s)
		}
	}
	return out, true
}

// refs resolves the configuration references of a linking resource's attribute to live
// resources (RULES.md §3.1): instances being deleted never resolve, and a reference from an
// instance with key K to instances of a resource that has an instance with key K resolves to that
// one (Terraform lists `aws_iam_role.x[each.key]` as a reference to aws_iam_role.x).
func (b *builder) refs(r *plan.Resource, attr string) []string {
	all := b.p.References(r.Address, attr)
	if r.Index != nil && len(all) > 1 {
		all = b.sameKey(r, all)
	}
	live := all[:0:0]
	for _, a := range all {
		if x := b.p.Resources[a]; x != nil && !x.Deleted() {
			live = append(live, a)
		}
	}
	return live
}

// sameKey keeps, of each referenced resource with several instances, the instance with r's key
// when there is one (live or not: a deleted one then resolves to nothing).
func (b *builder) sameKey(r *plan.Resource, refs []string) []string {
	suffix := fmt.Sprintf("[%s]", indexText(r.Index))
	groups := map[string][]string{} // by the address without its instance key
	var order []string
	for _, a := range refs {
		base := a
		if x := b.p.Resources[a]; x != nil && x.Index != nil {
			if i := strings.LastIndexByte(a, '['); i > 0 {
				base = a[:i]
			}
		}
		if _, seen := groups[base]; !seen {
			order = append(order, base)
		}
		groups[base] = append(groups[base], a)
	}
	var out []string
	for _, base := range order {
		if slices.Contains(groups[base], base+suffix) {
			out = append(out, base+suffix)
			continue
		}
		out = append(out, groups[base]...)
	}
	return out
}

func indexText(i any) string {
	if s, ok := i.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(i)
}
