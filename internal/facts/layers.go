package facts

import (
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/plan"
)

// Resource types of the layers beyond identity policies (RULES.md §3b).
const (
	tOrganization   = "aws_organizations_organization"
	tOrgUnit        = "aws_organizations_organizational_unit"
	tOrgAccount     = "aws_organizations_account"
	tOrgPolicy      = "aws_organizations_policy"
	tOrgAttachment  = "aws_organizations_policy_attachment"
	tQueue          = "aws_sqs_queue"
	tQueuePolicy    = "aws_sqs_queue_policy"
	tKey            = "aws_kms_key"
	tKeyPolicy      = "aws_kms_key_policy"
	tKeyAlias       = "aws_kms_alias"
	scpType         = "SERVICE_CONTROL_POLICY"
	rcpType         = "RESOURCE_CONTROL_POLICY"
	sqsManagedAlias = "alias/aws/sqs"
	// rootTarget stands for the organization's root when its id is unknown until apply.
	rootTarget = "root"
)

// layers fills the layers of every Karpenter role. It runs after the request parameters are
// known (the organization's policies depend on the role's account); the texts it records are
// parsed by the next parseTexts.
func (b *builder) layers() {
	org := b.orgFacts()
	for _, role := range b.roles {
		if !role.Karpenter.Detected {
			continue
		}
		l := &Layers{Resources: []ResourcePolicy{}}
		l.Boundary = b.boundary(role)
		l.Session = b.session(role)
		l.Organization = b.organization(role, org)
		l.Resources = b.resourcePolicies(role)
		role.Layers = l
	}
}

// boundary is the role's permissions boundary (RULES.md §3b.2).
func (b *builder) boundary(role *Role) *PolicyEntry {
	r := b.p.Resources[role.Address]
	if r == nil {
		return nil
	}
	const attr = "permissions_boundary"
	if r.Unknown(attr) {
		for _, a := range b.refs(r, attr) {
			if pol := b.p.Resources[a]; pol != nil && pol.Type == tPolicy && pol.Mode == modeManaged {
				e := b.via(b.managedText(pol), role.Address)
				e.Kind = KindBoundary
				return e
			}
		}
		return &PolicyEntry{Address: role.Address, Attribute: attr, Kind: KindBoundary, Via: role.Address, Status: StatusUnknown,
			Source: "none", Unknown: []string{role.Address + "." + attr}, Problems: []Problem{}}
	}
	s, ok := r.String(attr)
	if !ok || s == "" {
		return nil
	}
	return b.arnEntry(s, role.Address, attr, KindBoundary)
}

// arnEntry is the entry of a managed policy named by ARN by the resource at holder: the policy's
// text when the plan has it, the document config supplies, else external.
func (b *builder) arnEntry(arn, holder, attr, kind string) *PolicyEntry {
	if pol := b.policyByARN(arn); pol != nil {
		e := b.via(b.managedText(pol), holder)
		if kind != KindExternal {
			e.Kind = kind
		}
		return e
	}
	a := arn
	if sup, ok := b.opt.Policies[arn]; ok {
		if kind == KindExternal {
			kind = KindManaged // supplied: no longer outside karpgate's view
		}
		e := &PolicyEntry{Address: holder, Attribute: attr, Kind: kind, Via: holder, ARN: &a, Problems: []Problem{}, Unknown: []string{}}
		b.fill(e, sup.Text, "config:"+sup.File)
		return e
	}
	return &PolicyEntry{Address: holder, Attribute: attr, Kind: kind, Via: holder, ARN: &a,
		Status: StatusExternal, Source: "none", Unknown: []string{arn}, Problems: []Problem{}}
}

// session is the pod identity session of the role (RULES.md §3b.4): the first live association
// bound to it, by address.
func (b *builder) session(role *Role) *Session {
	for _, r := range b.byType[tPodIdentity] {
		if r.Mode != modeManaged || r.Deleted() || !b.bound(r, role) {
			continue
		}
		s := &Session{Association: r.Address, Tags: map[string]*string{}}
		if r.Unknown("policy") {
			s.Policy = &PolicyEntry{Address: r.Address, Attribute: "policy", Kind: KindSession, Status: StatusUnknown,
				Source: "none", Unknown: []string{r.Address + ".policy"}, Problems: []Problem{}}
		} else if text, ok := r.String("policy"); ok && text != "" {
			s.Policy = b.textEntry(r, "policy", KindSession, "")
		}
		if v, ok := r.Values().Value("disable_session_tags").(bool); ok && v {
			s.TagsDisabled = true
			return s
		}
		known := func(attr string) *string {
			if v, ok := r.String(attr); ok && v != "" {
				return &v
			}
			return nil
		}
		s.Tags["eks-cluster-arn"] = nil
		s.Tags["eks-cluster-name"] = known("cluster_name")
		s.Tags["kubernetes-namespace"] = known("namespace")
		s.Tags["kubernetes-service-account"] = known("service_account")
		s.Tags["kubernetes-pod-name"] = nil
		s.Tags["kubernetes-pod-uid"] = nil
		return s
	}
	return nil
}

// bound reports whether a pod identity association names the role (role_arn by value or by
// reference).
func (b *builder) bound(r *plan.Resource, role *Role) bool {
	if arn, ok := r.String("role_arn"); ok && role.ARN != nil && arn == *role.ARN {
		return true
	}
	return slices.Contains(b.refs(r, "role_arn"), role.Address)
}

// orgPlan is the organizations evidence of the plan.
type orgPlan struct {
	id, root, management string
	parents              map[string]string // OU or account id -> parent id
	policies             []orgAttached
	present              bool
}

type orgAttached struct {
	typ, name, target, attachment string
	entry                         *PolicyEntry
}

// orgFacts reads the organization, its OUs and accounts, and every live SCP or RCP attachment.
func (b *builder) orgFacts() *orgPlan {
	o := &orgPlan{parents: map[string]string{}}
	live := func(t string) []*plan.Resource {
		var out []*plan.Resource
		for _, r := range b.byType[t] {
			if r.Mode == modeManaged && !r.Deleted() {
				out = append(out, r)
			}
		}
		return out
	}
	for _, r := range live(tOrganization) {
		o.present = true
		o.id, _ = r.String("id")
		o.management, _ = r.String("master_account_id")
		if roots, ok := r.Values().Value("roots").([]any); ok && len(roots) > 0 {
			if m, ok := roots[0].(map[string]any); ok {
				o.root, _ = m["id"].(string)
			}
		}
	}
	for _, t := range []string{tOrgUnit, tOrgAccount} {
		for _, r := range live(t) {
			o.present = true
			id, ok1 := r.String("id")
			parent, ok2 := r.String("parent_id")
			if ok1 && ok2 && id != "" && parent != "" {
				o.parents[id] = parent
			}
		}
	}
	// Policies by id and by address, for attachments that name them either way.
	byID := map[string]*plan.Resource{}
	for _, r := range live(tOrgPolicy) {
		o.present = true
		if id, ok := r.String("id"); ok && id != "" {
			byID[id] = r
		}
	}
	for _, a := range live(tOrgAttachment) {
		o.present = true
		var pol *plan.Resource
		if id, ok := a.String("policy_id"); ok {
			pol = byID[id]
		}
		if pol == nil {
			for _, ref := range b.refs(a, "policy_id") {
				if x := b.p.Resources[ref]; x != nil && x.Type == tOrgPolicy {
					pol = x
					break
				}
			}
		}
		if pol == nil {
			continue // a policy outside the plan: its type is unknown (config can supply it)
		}
		typ, _ := pol.String("type")
		if typ == "" {
			typ = scpType // the provider's default
		}
		if typ != scpType && typ != rcpType {
			continue
		}
		target, _ := a.String("target_id")
		if target == "" {
			for _, ref := range b.refs(a, "target_id") {
				x := b.p.Resources[ref]
				switch {
				case x == nil:
				case x.Type == tOrganization:
					// roots[0].id of the organization: its root, on every account's path.
					target = rootTarget
				default:
					target, _ = x.String("id")
				}
			}
		}
		name, _ := pol.String("name")
		kind := KindSCP
		if typ == rcpType {
			kind = KindRCP
		}
		o.policies = append(o.policies, orgAttached{typ: kind, name: name, target: target, attachment: a.Address,
			entry: b.textEntry(pol, "content", kind, a.Address)})
	}
	return o
}

// organization is what AWS Organizations applies to the role's account (RULES.md §3b.3), from
// config's organization section and the plan. Without evidence of an organization, nil.
func (b *builder) organization(role *Role, o *orgPlan) *Organization {
	cfg := b.opt.Organization
	if !o.present && cfg == nil {
		return nil
	}
	account := ""
	if role.Context != nil && role.Context.Sources["account"] != "default" {
		account = role.Context.Account
	}
	org := &Organization{ID: o.id, Account: account, SCPs: []OrgPolicy{}, RCPs: []OrgPolicy{}, Source: "plan"}
	management := o.management
	if cfg != nil {
		org.Source = "config"
		if cfg.ID != "" {
			org.ID = cfg.ID
		}
		if cfg.ManagementAccount != "" {
			management = cfg.ManagementAccount
		}
		org.SCPsComplete = cfg.SCPsComplete
		if p, ok := cfg.Accounts[account]; ok && account != "" {
			org.Path = append(slices.Clone(p), account)
		}
	}
	org.Management = account != "" && account == management
	if org.Path == nil && account != "" {
		org.Path = o.path(account)
	}
	add := func(kind, name, target, attachment string, e *PolicyEntry) {
		applies, level := "yes", -1
		switch {
		case target == rootTarget || (o.root != "" && target == o.root) || (org.Path != nil && strings.HasPrefix(target, "r-") && org.Path[0] == target):
			level = 0
		case org.Path != nil:
			i := slices.Index(org.Path, target)
			if i < 0 {
				return
			}
			level = i
		case strings.HasPrefix(target, "r-"):
			level = 0
		case target != "" && target == account:
		case strings.HasPrefix(target, "ou-"), target == "", account == "":
			applies = "unknown"
		default:
			return // another account
		}
		p := OrgPolicy{Name: name, Target: target, Level: level, Applies: applies, Attachment: attachment, Policy: e}
		if kind == KindSCP {
			org.SCPs = append(org.SCPs, p)
		} else {
			org.RCPs = append(org.RCPs, p)
		}
	}
	for _, p := range o.policies {
		add(p.typ, p.name, p.target, p.attachment, p.entry)
	}
	if cfg != nil {
		for _, p := range cfg.Policies {
			kind := KindSCP
			if p.Type == "rcp" {
				kind = KindRCP
			}
			for _, t := range p.Targets {
				e := &PolicyEntry{Address: "organization." + p.Name, Attribute: "", Kind: kind, Via: "config", Problems: []Problem{}, Unknown: []string{}}
				b.fill(e, p.Text, "config:"+p.File)
				add(kind, p.Name, t, "config", e)
			}
		}
	}
	return org
}

// path is the account's path from the root in the plan (root, OUs, account), or nil.
func (o *orgPlan) path(account string) []string {
	if _, ok := o.parents[account]; !ok {
		return nil
	}
	out := []string{account}
	for cur := account; len(out) < 8; {
		parent, ok := o.parents[cur]
		if !ok {
			if strings.HasPrefix(cur, "r-") {
				slices.Reverse(out)
				return out
			}
			return nil
		}
		out = append(out, parent)
		cur = parent
	}
	return nil
}

// resourcePolicies are the interruption queue's policy and its key's policy (RULES.md §3b.5).
func (b *builder) resourcePolicies(role *Role) []ResourcePolicy {
	out := []ResourcePolicy{}
	if role.Context == nil {
		return out
	}
	for _, q := range b.byType[tQueue] {
		if q.Mode != modeManaged || q.Deleted() {
			continue
		}
		arn, ok := q.String("arn")
		if !ok {
			// A queue created here: its ARN is known once AWS names it; the policies name it by
			// its name.
			name, named := q.String("name")
			if !named || name == "" {
				continue
			}
			for _, qa := range role.Context.QueueARNs {
				if strings.HasSuffix(qa, ":"+name) {
					arn, ok = qa, true
				}
			}
		}
		if !ok || !slices.Contains(role.Context.QueueARNs, arn) {
			continue
		}
		a := arn
		out = append(out, ResourcePolicy{Kind: "queue", ARN: &a, Resource: q.Address, Policy: b.queuePolicy(q)})
		if key := b.queueKey(q); key != nil {
			key.For = "queue"
			out = append(out, *key)
		}
	}
	for _, arn := range role.Context.EBSKMSKeyARNs {
		out = append(out, b.ebsKey(arn))
	}
	return out
}

// ebsKey is the customer managed key an EC2NodeClass encrypts volumes with (ebs.kmsKeyID, as an
// ARN), with its key policy: the plan's aws_kms_key by ARN or key id (or the key an aws_kms_alias
// of that name targets), else config's supplied policy for the ARN, else external (open).
func (b *builder) ebsKey(arn string) ResourcePolicy {
	a := arn
	id := arn[strings.LastIndex(arn, "/")+1:]
	alias := ""
	if i := strings.Index(arn, ":alias/"); i >= 0 {
		alias = arn[i+1:]
	}
	var key *plan.Resource
	for _, r := range b.byType[tKey] {
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		kid, _ := r.String("key_id")
		karn, _ := r.String("arn")
		if alias == "" && (karn == arn || (kid != "" && kid == id)) {
			key = r
			break
		}
	}
	if alias != "" {
		for _, al := range b.byType[tKeyAlias] {
			if name, _ := al.String("name"); al.Mode != modeManaged || al.Deleted() || name != alias {
				continue
			}
			target, _ := al.String("target_key_id")
			for _, r := range b.byType[tKey] {
				kid, _ := r.String("key_id")
				if slices.Contains(b.refs(al, "target_key_id"), r.Address) || (target != "" && target == kid) {
					key = r
				}
			}
		}
	}
	if key == nil {
		if sup, ok := b.opt.Policies[arn]; ok {
			e := &PolicyEntry{Address: arn, Attribute: "ebs.kmsKeyID", Kind: KindResource, Problems: []Problem{}, Unknown: []string{}}
			b.fill(e, sup.Text, "config:"+sup.File)
			return ResourcePolicy{Kind: "key", For: "ebs", ARN: &a, Resource: arn, Policy: e}
		}
		return ResourcePolicy{Kind: "key", For: "ebs", ARN: &a, Resource: arn, Policy: &PolicyEntry{Address: arn, Attribute: "ebs.kmsKeyID",
			Kind: KindResource, Status: StatusExternal, Source: "none", Unknown: []string{arn}, Problems: []Problem{}}}
	}
	return ResourcePolicy{Kind: "key", For: "ebs", ARN: &a, Resource: key.Address, Policy: b.keyPolicy(key)}
}

// queuePolicy is the queue's policy: an aws_sqs_queue_policy naming it, else its policy
// attribute; nil when it has none.
func (b *builder) queuePolicy(q *plan.Resource) *PolicyEntry {
	url, _ := q.String("url")
	for _, r := range b.byType[tQueuePolicy] {
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		if u, ok := r.String("queue_url"); (ok && url != "" && u == url) || slices.Contains(b.refs(r, "queue_url"), q.Address) {
			return b.textEntry(r, "policy", KindResource, "")
		}
	}
	if q.Unknown("policy") {
		return b.textEntry(q, "policy", KindResource, "")
	}
	if s, ok := q.String("policy"); ok && s != "" {
		return b.textEntry(q, "policy", KindResource, "")
	}
	return nil
}

// queueKey is the customer managed key that encrypts the queue, with its key policy; nil for
// SSE-SQS or the AWS managed key.
func (b *builder) queueKey(q *plan.Resource) *ResourcePolicy {
	id, known := q.String("kms_master_key_id")
	if known && (id == "" || id == sqsManagedAlias) {
		return nil
	}
	refs := b.refs(q, "kms_master_key_id")
	if !known && len(refs) == 0 {
		if q.Unknown("kms_master_key_id") {
			return &ResourcePolicy{Kind: "key", Resource: q.Address + ".kms_master_key_id", Policy: &PolicyEntry{Address: q.Address,
				Attribute: "kms_master_key_id", Kind: KindResource, Status: StatusUnknown, Source: "none",
				Unknown: []string{q.Address + ".kms_master_key_id"}, Problems: []Problem{}}}
		}
		return nil
	}
	var key *plan.Resource
	for _, r := range b.byType[tKey] {
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		kid, _ := r.String("key_id")
		karn, _ := r.String("arn")
		if (known && id != "" && (id == kid || id == karn)) || slices.Contains(refs, r.Address) {
			key = r
			break
		}
	}
	if key == nil {
		for _, ref := range refs {
			if al := b.p.Resources[ref]; al != nil && al.Type == tKeyAlias {
				for _, kref := range b.refs(al, "target_key_id") {
					if k := b.p.Resources[kref]; k != nil && k.Type == tKey {
						key = k
					}
				}
			}
		}
	}
	if key == nil {
		// A key outside the plan: its requests are open unless config supplies its policy.
		if sup, ok := b.opt.Policies[id]; ok && known {
			e := &PolicyEntry{Address: q.Address, Attribute: "kms_master_key_id", Kind: KindResource, Problems: []Problem{}, Unknown: []string{}}
			b.fill(e, sup.Text, "config:"+sup.File)
			a := id
			return &ResourcePolicy{Kind: "key", ARN: &a, Resource: q.Address, Policy: e}
		}
		rp := &ResourcePolicy{Kind: "key", Resource: q.Address, Policy: &PolicyEntry{Address: q.Address, Attribute: "kms_master_key_id",
			Kind: KindResource, Status: StatusExternal, Source: "none", Unknown: []string{id}, Problems: []Problem{}}}
		if known && strings.HasPrefix(id, "arn:") {
			a := id
			rp.ARN = &a
		}
		return rp
	}
	rp := &ResourcePolicy{Kind: "key", Resource: key.Address}
	if arn, ok := key.String("arn"); ok {
		rp.ARN = &arn
	}
	rp.Policy = b.keyPolicy(key)
	return rp
}

// keyPolicy is a KMS key's policy: an aws_kms_key_policy naming the key (by key id or
// reference), else the key's own policy attribute.
func (b *builder) keyPolicy(key *plan.Resource) *PolicyEntry {
	kid, _ := key.String("key_id")
	for _, r := range b.byType[tKeyPolicy] {
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		if v, ok := r.String("key_id"); (ok && kid != "" && v == kid) || slices.Contains(b.refs(r, "key_id"), key.Address) {
			return b.textEntry(r, "policy", KindResource, "")
		}
	}
	return b.textEntry(key, "policy", KindResource, "")
}
