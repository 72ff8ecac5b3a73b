package facts

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/karpgate/karpgate/internal/plan"
)

// Build returns input.iam for one plan.
func Build(p *plan.Plan, opt Options) *IAM {
	b := &builder{p: p, opt: opt, policyCache: map[string]*PolicyEntry{}, dataCache: map[string]*dataDoc{}, texts: map[*PolicyEntry]string{}}
	return b.build()
}

type builder struct {
	p           *plan.Plan
	opt         Options
	roles       []*Role
	byName      map[string][]*Role
	byAddr      map[string]*Role
	byARN       map[string][]*Role
	policyCache map[string]*PolicyEntry // managed policy text by aws_iam_policy address
	dataCache   map[string]*dataDoc     // policy documents by data source address
	byType      map[string][]*plan.Resource
	policyARNs  map[string]*plan.Resource // aws_iam_policy by known ARN
	texts       map[*PolicyEntry]string   // entries whose policy text parseTexts has yet to parse
	outside     []*Role                   // roles karpenter.roles names outside the plan
}

// Resource types that carry policies to roles (RULES.md §3).
const (
	tRole             = "aws_iam_role"
	tPolicy           = "aws_iam_policy"
	tRolePolicy       = "aws_iam_role_policy"
	tRoleAttachment   = "aws_iam_role_policy_attachment"
	tPolicyAttachment = "aws_iam_policy_attachment"
	tExclusive        = "aws_iam_role_policy_attachments_exclusive"
	tInlineExclusive  = "aws_iam_role_policies_exclusive"
	tPolicyDocument   = "aws_iam_policy_document"
	tPodIdentity      = "aws_eks_pod_identity_association"
	tRegion           = "aws_region"
	tCallerIdentity   = "aws_caller_identity"
	tPartition        = "aws_partition"
	tEKSCluster       = "aws_eks_cluster"
	tInstanceProfile  = "aws_iam_instance_profile"
	tAccessEntry      = "aws_eks_access_entry"
	modeManaged       = "managed"
	modeData          = "data"
)

// ec2Services are EC2's service principals: ec2.amazonaws.com, and in aws-cn (whose node roles
// trust ec2.${dns_suffix}) ec2.amazonaws.com.cn.
var ec2Services = []string{"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}

func (b *builder) build() *IAM {
	iam := &IAM{Roles: []*Role{}, NodeRoles: []NodeRole{}}
	b.byName = map[string][]*Role{}
	b.byAddr = map[string]*Role{}
	b.byARN = map[string][]*Role{}
	// One pass over the plan indexes what the rest looks up, so no later step scans every
	// resource again (plans reach 100,000 resources).
	b.byType = map[string][]*plan.Resource{}
	b.policyARNs = map[string]*plan.Resource{}
	for _, a := range b.p.Addresses {
		r := b.p.Resources[a]
		b.byType[r.Type] = append(b.byType[r.Type], r)
		if r.Type == tPolicy && r.Mode == modeManaged && !r.Deleted() {
			if s, ok := r.String("arn"); ok {
				if _, dup := b.policyARNs[s]; !dup {
					b.policyARNs[s] = r
				}
			}
		}
	}
	for _, r := range b.byType[tRole] {
		a := r.Address
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		role := &Role{Address: a, Module: r.Module, Action: actionOf(r), Policies: []*PolicyEntry{}, Removed: []Removed{}, Karpenter: Detection{By: []string{}}}
		if s, ok := r.String("name"); ok && s != "" {
			role.Name = &s
			b.byName[s] = append(b.byName[s], role)
		}
		if s, ok := r.String("name_prefix"); ok && s != "" {
			role.NamePrefix = &s
		}
		if s, ok := r.String("arn"); ok && s != "" {
			role.ARN = &s
			b.byARN[s] = append(b.byARN[s], role)
		}
		role.Trust = b.textEntry(r, "assume_role_policy", KindTrust, "")
		b.roles = append(b.roles, role)
		b.byAddr[a] = role
	}
	b.outsideRoles()
	b.link()
	b.outsideRemainder()
	// Nothing above reads a parsed document; everything below may.
	b.parseTexts()
	for _, role := range b.roles {
		slices.SortStableFunc(role.Policies, func(x, y *PolicyEntry) int {
			if c := strings.Compare(x.Address, y.Address); c != 0 {
				return c
			}
			if c := strings.Compare(x.Attribute, y.Attribute); c != 0 {
				return c
			}
			if c := strings.Compare(x.Via, y.Via); c != 0 {
				return c
			}
			return strings.Compare(arnOf(x), arnOf(y))
		})
		role.Policies = dedupe(role.Policies)
		if isNodeRole(role) {
			iam.NodeRoles = append(iam.NodeRoles, NodeRole{Address: role.Address, Name: role.Name, ARN: role.ARN})
		}
	}
	b.detect()
	b.linkDeferred()
	for _, role := range b.roles {
		if role.Karpenter.Detected {
			iam.KarpenterRoles++
		}
	}
	if iam.KarpenterRoles > 0 {
		rels := b.releases()
		features, classRoles, keys, profiles, classes := b.manifests()
		for _, role := range b.roles {
			// Request parameters matter only for the roles the rules judge.
			if role.Karpenter.Detected {
				role.Deployment = b.deployment(role, rels, iam.KarpenterRoles, features)
				role.Deployment.NodeClasses = classes
				role.ModuleCall = b.moduleCall(role)
				c := b.context(role, iam.NodeRoles, b.linkedRelease(role, rels, iam.KarpenterRoles), nodeClasses{roles: classRoles, profiles: profiles}, keys)
				c.PrincipalTags = b.principalTags(role, &c)
				role.Context = &c
			}
		}
	}
	// The layers beyond identity policies depend on the role's account; their texts are parsed
	// here, after everything else.
	b.layers()
	b.parseTexts()
	iam.Roles = b.roles
	if iam.Roles == nil {
		iam.Roles = []*Role{}
	}
	return iam
}

func actionOf(r *plan.Resource) string {
	if r.Action == "" {
		return "state"
	}
	return r.Action
}

func arnOf(p *PolicyEntry) string {
	if p.ARN == nil {
		return ""
	}
	return *p.ARN
}

func dedupe(ps []*PolicyEntry) []*PolicyEntry {
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p.Address == ps[i-1].Address && p.Attribute == ps[i-1].Attribute && p.Via == ps[i-1].Via && arnOf(p) == arnOf(ps[i-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// targets resolves a role-naming attribute (a name, a list of names) of a linking resource to
// roles: by value when known, else through configuration references. ok is false when the
// attribute is unknown and no reference resolves.
func (b *builder) targets(r *plan.Resource, attr string) (roles []*Role, ok bool) {
	if !r.Unknown(attr) {
		switch v := r.Values().Value(attr).(type) {
		case string:
			if rs := b.byName[v]; len(rs) > 0 {
				return rs, true
			}
			// An ARN in place of a name (some modules pass role ids or ARNs).
			if rs := b.byARN[v]; len(rs) > 0 {
				return rs, true
			}
		case []any:
			var out []*Role
			for _, e := range v {
				if s, isStr := e.(string); isStr {
					out = append(out, b.byName[s]...)
				}
			}
			if len(out) > 0 {
				return out, true
			}
		}
	}
	for _, a := range b.refs(r, attr) {
		if role := b.byAddr[a]; role != nil {
			roles = append(roles, role)
		}
	}
	return roles, len(roles) > 0
}

// linkInline reads the role's inline_policy blocks. keep, when not nil, says whether a block of a
// given name counts and, when it does not, which resource removes it ("" for none: the block is
// the same policy as a resource the role already counts, or one this plan deletes).
func (b *builder) linkInline(role *Role, r *plan.Resource, keep func(name string) (bool, string)) {
	if r == nil {
		return // a role outside the plan: its inline_policy is not known here
	}
	if r.Unknown("inline_policy") {
		// The provider marks inline_policy computed on every new role; it is an unknown policy only
		// when the configuration writes inline_policy blocks.
		if b.p.Expression(role.Address, "inline_policy") == nil {
			return
		}
		role.Policies = append(role.Policies, &PolicyEntry{Address: role.Address, Attribute: "inline_policy", Kind: KindInline,
			Status: StatusUnknown, Source: "none", Unknown: []string{role.Address + ".inline_policy"}, Problems: []Problem{}})
		return
	}
	blocks, _ := r.Values().Value("inline_policy").([]any)
	unknownBlocks, _ := r.AfterUnknown.Value("inline_policy").([]any)
	for i, blk := range blocks {
		m, ok := blk.(map[string]any)
		if !ok {
			continue
		}
		if keep != nil {
			if name, isStr := m["name"].(string); isStr && name != "" {
				if counts, by := keep(name); !counts {
					if by != "" {
						n := name
						role.Removed = append(role.Removed, Removed{Address: role.Address, Attribute: fmt.Sprintf("inline_policy[%d].policy", i), Policy: role.Address, Name: &n, By: by})
					}
					continue
				}
			}
		}
		attr := fmt.Sprintf("inline_policy[%d].policy", i)
		e := &PolicyEntry{Address: role.Address, Attribute: attr, Kind: KindInline, Problems: []Problem{}, Unknown: []string{}}
		unknown := false
		if i < len(unknownBlocks) {
			if um, ok := unknownBlocks[i].(map[string]any); ok && um["policy"] == true {
				unknown = true
			}
		}
		text, isStr := m["policy"].(string)
		switch {
		case unknown || (!isStr && m["policy"] == nil):
			e.Status, e.Source = StatusUnknown, "none"
			e.Unknown = []string{role.Address + "." + attr}
		case !isStr:
			e.Status, e.Source = StatusInvalid, "after"
			e.Problems = []Problem{{Path: "$", Message: "policy is " + typeName(m["policy"]) + ", not a JSON string"}}
		case text == "":
			continue // an empty inline_policy block declares "no inline policies"
		default:
			b.fill(e, text, sourceOf(r))
		}
		role.Policies = append(role.Policies, e)
	}
}

// managed resolves the policy ARN attribute of a linking resource to policy entries.
func (b *builder) managed(link *plan.Resource, attr string) []*PolicyEntry {
	var arns []string
	if !link.Unknown(attr) {
		switch v := link.Values().Value(attr).(type) {
		case string:
			arns = []string{v}
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					arns = append(arns, s)
				}
			}
		}
	}
	var out []*PolicyEntry
	for _, arn := range arns {
		if pol := b.policyByARN(arn); pol != nil {
			out = append(out, b.via(b.managedText(pol), link.Address))
			continue
		}
		// A policy outside the plan has no resource here; the attachment is what names it.
		out = append(out, b.arnEntry(arn, link.Address, attr, KindExternal))
	}
	if len(arns) > 0 {
		return out
	}
	for _, a := range b.refs(link, attr) {
		pol := b.p.Resources[a]
		if pol == nil || pol.Type != tPolicy || pol.Mode != modeManaged {
			continue
		}
		out = append(out, b.via(b.managedText(pol), link.Address))
	}
	if len(out) == 0 {
		out = append(out, &PolicyEntry{Address: link.Address, Attribute: attr, Kind: KindExternal, Via: link.Address,
			Status: StatusUnknown, Source: "none", Unknown: []string{link.Address + "." + attr}, Problems: []Problem{}})
	}
	return out
}

func (b *builder) policyByARN(arn string) *plan.Resource { return b.policyARNs[arn] }

func (b *builder) managedText(pol *plan.Resource) *PolicyEntry {
	if e, ok := b.policyCache[pol.Address]; ok {
		return e
	}
	e := b.textEntry(pol, "policy", KindManaged, "")
	if s, ok := pol.String("arn"); ok {
		e.ARN = &s
	}
	b.policyCache[pol.Address] = e
	return e
}

func sourceOf(r *plan.Resource) string {
	switch {
	case r.After != nil:
		return "after"
	case r.Planned != nil:
		return "planned_values"
	}
	return "prior_state"
}

// textEntry finds the text of a policy attribute (RULES.md §3: after, planned values, prior state
// for unchanged resources, the referenced policy document, its known statements; else unknown).
func (b *builder) textEntry(r *plan.Resource, attr, kind, via string) *PolicyEntry {
	e := &PolicyEntry{Address: r.Address, Attribute: attr, Kind: kind, Via: via, Problems: []Problem{}, Unknown: []string{}}
	if !r.Unknown(attr) {
		for _, src := range []struct {
			name string
			vals *plan.Attrs
		}{{"after", r.After}, {"planned_values", r.Planned}, {"prior_state", priorIfUnchanged(r)}} {
			if src.vals == nil {
				continue
			}
			v, ok := src.vals.Get(attr)
			if !ok || v == nil {
				continue
			}
			text, isStr := v.(string)
			if !isStr {
				e.Status, e.Source = StatusInvalid, src.name
				e.Problems = []Problem{{Path: "$", Message: attr + " is " + typeName(v) + ", not a JSON string"}}
				return e
			}
			if text == "" {
				continue
			}
			b.fill(e, text, src.name)
			return e
		}
	}
	// Unknown here: follow the configuration to a policy document.
	for _, a := range b.p.References(r.Address, attr) {
		d := b.p.Resources[a]
		if d == nil || d.Mode != modeData || d.Type != tPolicyDocument {
			continue
		}
		dd := b.document(d, 0)
		e.Source = "data:" + d.Address
		switch {
		case dd.text != "":
			b.fill(e, dd.text, "data:"+d.Address)
		case len(dd.statements) > 0:
			e.Status, e.Source = StatusPartial, "statements:"+d.Address
			e.Document = &Document{Version: "2012-10-17", Statements: dd.statements}
			e.Unknown = append([]string{r.Address + "." + attr}, dd.unknown...)
		default:
			e.Status = StatusUnknown
			e.Unknown = append([]string{r.Address + "." + attr}, dd.unknown...)
		}
		return e
	}
	e.Status, e.Source = StatusUnknown, "none"
	e.Unknown = []string{r.Address + "." + attr}
	return e
}

func priorIfUnchanged(r *plan.Resource) *plan.Attrs {
	if r.Action == "" || r.Action == "no-op" || r.Action == "read" {
		return r.Prior
	}
	return nil
}

// via returns a copy of a managed policy's entry for the attachment that links it.
func (b *builder) via(e *PolicyEntry, link string) *PolicyEntry {
	c := *e
	c.Via = link
	if text, ok := b.texts[e]; ok {
		b.texts[&c] = text // not parsed yet: fill the copy too
	}
	return &c
}

// fill records that e's document is text, read from source. parseTexts parses it, before anything
// reads a document.
func (b *builder) fill(e *PolicyEntry, text, source string) {
	e.Source = source
	b.texts[e] = text
}

// parseTexts parses the recorded policy texts and fills their entries. Policy parsing is most of
// Build on a large plan, so each distinct text is parsed once (roles share trust policies) and the
// texts are parsed on every core. Entries with the same text share its Document and Problems,
// which nothing changes afterwards.
func (b *builder) parseTexts() {
	index := map[string]int{}
	var texts []string
	for _, text := range b.texts {
		if _, ok := index[text]; !ok {
			index[text] = len(texts)
			texts = append(texts, text)
		}
	}
	docs := make([]*Document, len(texts))
	probs := make([][]Problem, len(texts))
	parallel(len(texts), func(i int) { docs[i], probs[i] = ParsePolicy(texts[i]) })
	sizes := make([]int, len(texts))
	parallel(len(texts), func(i int) { sizes[i] = PolicySize(texts[i]) })
	for e, text := range b.texts {
		i := index[text]
		e.Document = docs[i]
		e.Size = &sizes[i]
		// Entries share their text's problems; the kind's own come on a copy.
		problems := probs[i]
		if kp := KindProblems(e.Kind, docs[i]); len(kp) > 0 {
			problems = slices.Concat(probs[i], kp)
		}
		if len(problems) > 0 {
			e.Status, e.Problems = StatusInvalid, problems
			continue
		}
		e.Status = StatusKnown
	}
	clear(b.texts)
}

// parallel calls fn(0) ... fn(n-1) on GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	const chunk = 16
	var next atomic.Int64
	work := func() {
		for {
			end := int(next.Add(chunk))
			for i := end - chunk; i < min(end, n); i++ {
				fn(i)
			}
			if end >= n {
				return
			}
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// isNodeRole reports whether the role's trust allows EC2 (ec2.amazonaws.com, or
// ec2.amazonaws.com.cn in aws-cn).
func isNodeRole(role *Role) bool {
	return role.Trust != nil && role.Trust.Document != nil && trusts(role.Trust.Document, ec2Services)
}

// trusts reports whether an Allow of the trust names one of the services.
func trusts(d *Document, services []string) bool {
	for _, st := range d.Statements {
		if st.Effect != "Allow" {
			continue
		}
		if slices.ContainsFunc(st.Principals["Service"], func(id string) bool { return slices.Contains(services, id) }) {
			return true
		}
	}
	return false
}

// trustsOnly reports whether every Allow of the trust names only the given services.
func trustsOnly(d *Document, services []string) bool {
	found := false
	for _, st := range d.Statements {
		if st.Effect != "Allow" {
			continue
		}
		for typ, ids := range st.Principals {
			if typ != "Service" {
				return false
			}
			for _, id := range ids {
				if !slices.Contains(services, id) {
					return false
				}
			}
			found = true
		}
	}
	return found
}

// globMatch matches a glob with * and ? (path.Match semantics would stop at "/").
func globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	return wildcard(pattern, s)
}

func wildcard(p, s string) bool {
	// Iterative glob with backtracking on the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// relevantTypes are the resource types the IAM model reads (RULES.md §2, §3, §5).
var relevantTypes = map[string]string{
	tRole:             modeManaged,
	tPolicy:           modeManaged,
	tRolePolicy:       modeManaged,
	tRoleAttachment:   modeManaged,
	tPolicyAttachment: modeManaged,
	tExclusive:        modeManaged,
	tInlineExclusive:  modeManaged,
	tPodIdentity:      modeManaged,
	tOrganization:     modeManaged,
	tOrgUnit:          modeManaged,
	tOrgAccount:       modeManaged,
	tOrgPolicy:        modeManaged,
	tOrgAttachment:    modeManaged,
	tQueue:            modeManaged,
	tQueuePolicy:      modeManaged,
	tKey:              modeManaged,
	tKeyPolicy:        modeManaged,
	tKeyAlias:         modeManaged,
	tPolicyDocument:   modeData,
	tRegion:           modeData,
	tCallerIdentity:   modeData,
	tPartition:        modeData,
	tEKSCluster:       modeManaged,
	tInstanceProfile:  modeManaged,
	tAccessEntry:      modeManaged,
	tHelmRelease:      modeManaged,
	tK8sManifest:      modeManaged,
	tKubectl:          modeManaged,
}

// Relevant reports whether Build reads resources of this mode and type; plan.Read materializes
// only those.
func Relevant(mode, typ string) bool {
	m, ok := relevantTypes[typ]
	return ok && m == mode
}
