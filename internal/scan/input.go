package scan

import (
	"encoding/json"
	"runtime"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/karpgate/karpgate/internal/facts"
)

// Terms of the keys of input.iam, shared by every conversion (strings are never mutated).
var (
	kAccount        = ast.InternedTerm("account")
	kAccounts       = ast.InternedTerm("accounts")
	kAction         = ast.InternedTerm("action")
	kActions        = ast.InternedTerm("actions")
	kAddress        = ast.InternedTerm("address")
	kARN            = ast.InternedTerm("arn")
	kAttribute      = ast.InternedTerm("attribute")
	kBase           = ast.InternedTerm("base")
	kBy             = ast.InternedTerm("by")
	kRemoved        = ast.InternedTerm("removed")
	kPolicy         = ast.InternedTerm("policy")
	kLayers         = ast.InternedTerm("layers")
	kCluster        = ast.InternedTerm("cluster")
	kConditions     = ast.InternedTerm("conditions")
	kContext        = ast.InternedTerm("context")
	kDeployment     = ast.InternedTerm("deployment")
	kDetected       = ast.InternedTerm("detected")
	kEBSKMSKeyARNs  = ast.InternedTerm("ebs_kms_key_arns")
	kDocument       = ast.InternedTerm("document")
	kEffect         = ast.InternedTerm("effect")
	kID             = ast.InternedTerm("id")
	kIfExists       = ast.InternedTerm("if_exists")
	kIndex          = ast.InternedTerm("index")
	kKarpenter      = ast.InternedTerm("karpenter")
	kKarpenterRoles = ast.InternedTerm("karpenter_roles")
	kKey            = ast.InternedTerm("key")
	kKind           = ast.InternedTerm("kind")
	kMessage        = ast.InternedTerm("message")
	kModule         = ast.InternedTerm("module")
	kModuleCall     = ast.InternedTerm("module_call")
	kName           = ast.InternedTerm("name")
	kNamePrefix     = ast.InternedTerm("name_prefix")
	kNodeRoleARNs   = ast.InternedTerm("node_role_arns")
	kNodeRoleUnk    = ast.InternedTerm("node_role_unknown")
	kClusters       = ast.InternedTerm("clusters")
	kNodeRoles      = ast.InternedTerm("node_roles")
	kNotActions     = ast.InternedTerm("not_actions")
	kNotPrincipals  = ast.InternedTerm("not_principals")
	kNotResources   = ast.InternedTerm("not_resources")
	kOperator       = ast.InternedTerm("operator")
	kPartition      = ast.InternedTerm("partition")
	kPartitions     = ast.InternedTerm("partitions")
	kPath           = ast.InternedTerm("path")
	kPolicies       = ast.InternedTerm("policies")
	kPrincipals     = ast.InternedTerm("principals")
	kProblems       = ast.InternedTerm("problems")
	kQueueARNs      = ast.InternedTerm("queue_arns")
	kPodIdentity    = ast.InternedTerm("pod_identity")
	kPrincipalTags  = ast.InternedTerm("principal_tags")
	kNetwork        = ast.InternedTerm("network")
	kKnown          = ast.InternedTerm("known")
	kOpen           = ast.InternedTerm("open")
	kSize           = ast.InternedTerm("size")
	kNamespace      = ast.InternedTerm("namespace")
	kServiceAccount = ast.InternedTerm("service_account")
	kSessionTags    = ast.InternedTerm("session_tags")
	kR2             = ast.InternedTerm("r2")
	kRegion         = ast.InternedTerm("region")
	kRegions        = ast.InternedTerm("regions")
	kResources      = ast.InternedTerm("resources")
	kRoles          = ast.InternedTerm("roles")
	kSet            = ast.InternedTerm("set")
	kSid            = ast.InternedTerm("sid")
	kSource         = ast.InternedTerm("source")
	kSources        = ast.InternedTerm("sources")
	kStatements     = ast.InternedTerm("statements")
	kStatus         = ast.InternedTerm("status")
	kTrust          = ast.InternedTerm("trust")
	kUnknown        = ast.InternedTerm("unknown")
	kValues         = ast.InternedTerm("values")
	kVersion        = ast.InternedTerm("version")
	kVia            = ast.InternedTerm("via")
	kWritten        = ast.InternedTerm("written")
)

// iamValue converts input.iam to an OPA value field by field. The result is exactly what
// json.Marshal of iam followed by util.UnmarshalJSON and ast.InterfaceToValue gives (the path
// this replaces; input_test.go compares the two on every test plan): every field is present,
// nil pointers, slices and maps are null, empty ones are [] and {}, and strings that are not
// valid UTF-8 get U+FFFD for each invalid byte, as encoding/json writes them.
func iamValue(iam *facts.IAM) ast.Value {
	if iam == nil {
		return ast.NullValue
	}
	cv := &iamConv{}
	roles := make([]*ast.Term, len(iam.Roles))
	// Roles are independent: large plans convert them on every core, each part with its own
	// allocator (terms are never changed once built, so parts may share none or all).
	parts := 1
	if len(roles) >= parallelRoles {
		parts = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(roles)/parts, (p+1)*len(roles)/parts
		conv := func(cv *iamConv) {
			for i := lo; i < hi; i++ {
				roles[i] = ast.NewTerm(cv.roleValue(iam.Roles[i]))
			}
		}
		if p == parts-1 {
			conv(cv)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conv(&iamConv{})
		}()
	}
	wg.Wait()
	nodes := make([]*ast.Term, len(iam.NodeRoles))
	for i := range iam.NodeRoles {
		n := &iam.NodeRoles[i]
		nodes[i] = ast.ObjectTerm(
			item(kAddress, cv.strTerm(n.Address)),
			item(kName, cv.strPtrTerm(n.Name)),
			item(kARN, cv.strPtrTerm(n.ARN)),
		)
	}
	return ast.NewObject(
		item(kRoles, cv.arrayTerm(iam.Roles == nil, roles)),
		item(kKarpenterRoles, ast.InternedTerm(iam.KarpenterRoles)),
		item(kNodeRoles, cv.arrayTerm(iam.NodeRoles == nil, nodes)),
	)
}

// parallelRoles is how many roles a plan has before their conversion is split across cores.
const parallelRoles = 512

func (cv *iamConv) roleValue(r *facts.Role) ast.Value {
	if r == nil {
		return ast.NullValue
	}
	policies := make([]*ast.Term, len(r.Policies))
	for i, p := range r.Policies {
		policies[i] = ast.NewTerm(cv.policyEntryValue(p))
	}
	removed := make([]*ast.Term, len(r.Removed))
	for i := range r.Removed {
		x := &r.Removed[i]
		removed[i] = ast.ObjectTerm(
			item(kAddress, cv.strTerm(x.Address)),
			item(kAttribute, cv.strTerm(x.Attribute)),
			item(kPolicy, cv.strTerm(x.Policy)),
			item(kARN, cv.strPtrTerm(x.ARN)),
			item(kName, cv.strPtrTerm(x.Name)),
			item(kBy, cv.strTerm(x.By)),
		)
	}
	return ast.NewObject(
		item(kAddress, cv.strTerm(r.Address)),
		item(kModule, cv.strTerm(r.Module)),
		item(kName, cv.strPtrTerm(r.Name)),
		item(kNamePrefix, cv.strPtrTerm(r.NamePrefix)),
		item(kARN, cv.strPtrTerm(r.ARN)),
		item(kAction, cv.strTerm(r.Action)),
		item(kKarpenter, ast.ObjectTerm(
			item(kDetected, ast.InternedTerm(r.Karpenter.Detected)),
			item(kBy, cv.stringsTerm(r.Karpenter.By)),
		)),
		item(kTrust, ast.NewTerm(cv.policyEntryValue(r.Trust))),
		item(kPolicies, cv.arrayTerm(r.Policies == nil, policies)),
		item(kRemoved, cv.arrayTerm(r.Removed == nil, removed)),
		item(kLayers, layersTerm(r.Layers)),
		item(kContext, ast.NewTerm(cv.contextValue(r.Context))),
		item(kDeployment, deploymentTerm(r.Deployment)),
		item(kModuleCall, moduleCallTerm(r.ModuleCall)),
	)
}

// moduleCallTerm converts a Karpenter role's module call through JSON, as layersTerm.
func moduleCallTerm(m *facts.ModuleCall) *ast.Term {
	if m == nil {
		return ast.InternedNullTerm
	}
	return jsonTerm(m)
}

// deploymentTerm converts a role's Karpenter deployment (RULES.md 5.1) through JSON, as
// layersTerm does: only Karpenter roles have one.
func deploymentTerm(d *facts.Deployment) *ast.Term {
	if d == nil {
		return ast.InternedNullTerm
	}
	return jsonTerm(d)
}

// layersTerm converts a Karpenter role's layers through JSON, the reference path: only
// Karpenter roles have layers, so this is never the hot part of a large plan.
func layersTerm(l *facts.Layers) *ast.Term {
	if l == nil {
		return ast.InternedNullTerm
	}
	return jsonTerm(l)
}

// jsonTerm is v's term as OPA reads v's JSON text.
func jsonTerm(v any) *ast.Term {
	b, err := json.Marshal(v)
	if err != nil {
		return ast.InternedNullTerm
	}
	var doc any
	if err := util.UnmarshalJSON(b, &doc); err != nil {
		return ast.InternedNullTerm
	}
	val, err := ast.InterfaceToValue(doc)
	if err != nil {
		return ast.InternedNullTerm
	}
	return ast.NewTerm(val)
}

func (cv *iamConv) policyEntryValue(p *facts.PolicyEntry) ast.Value {
	if p == nil {
		return ast.NullValue
	}
	problems := make([]*ast.Term, len(p.Problems))
	for i, pr := range p.Problems {
		problems[i] = ast.ObjectTerm(
			item(kPath, cv.strTerm(pr.Path)),
			item(kMessage, cv.strTerm(pr.Message)),
		)
	}
	return ast.NewObject(
		item(kAddress, cv.strTerm(p.Address)),
		item(kAttribute, cv.strTerm(p.Attribute)),
		item(kKind, cv.strTerm(p.Kind)),
		item(kVia, cv.strTerm(p.Via)),
		item(kARN, cv.strPtrTerm(p.ARN)),
		item(kStatus, cv.strTerm(p.Status)),
		item(kSource, cv.strTerm(p.Source)),
		item(kUnknown, cv.stringsTerm(p.Unknown)),
		item(kProblems, cv.arrayTerm(p.Problems == nil, problems)),
		item(kDocument, cv.documentTerm(p.Document)),
		item(kSize, sizeTerm(p.Size)),
	)
}

func sizeTerm(n *int) *ast.Term {
	if n == nil {
		return ast.InternedNullTerm
	}
	return ast.InternedTerm(*n)
}

// documentTerm converts a document once however many entries share it (facts parses each distinct
// policy text once; thousands of roles share a handful of trust policies). OPA never changes input
// terms, so sharing them is safe.
func (cv *iamConv) documentTerm(d *facts.Document) *ast.Term {
	if d == nil {
		return ast.InternedNullTerm
	}
	if t, ok := cv.docs[d]; ok {
		return t
	}
	if cv.docs == nil {
		cv.docs = map[*facts.Document]*ast.Term{}
	}
	t := ast.NewTerm(cv.documentValue(d))
	cv.docs[d] = t
	return t
}

func (cv *iamConv) documentValue(d *facts.Document) ast.Value {
	if d == nil {
		return ast.NullValue
	}
	stmts := make([]*ast.Term, len(d.Statements))
	for i := range d.Statements {
		stmts[i] = ast.NewTerm(cv.statementValue(&d.Statements[i]))
	}
	return ast.NewObject(
		item(kVersion, cv.strTerm(d.Version)),
		item(kID, cv.strTerm(d.ID)),
		item(kStatements, cv.arrayTerm(d.Statements == nil, stmts)),
	)
}

func (cv *iamConv) statementValue(s *facts.Statement) ast.Value {
	conds := make([]*ast.Term, len(s.Conditions))
	for i := range s.Conditions {
		c := &s.Conditions[i]
		conds[i] = ast.ObjectTerm(
			item(kOperator, cv.strTerm(c.Operator)),
			item(kBase, cv.strTerm(c.Base)),
			item(kSet, cv.strTerm(c.Set)),
			item(kIfExists, ast.InternedTerm(c.IfExists)),
			item(kKey, cv.strTerm(c.Key)),
			item(kWritten, cv.strTerm(c.Written)),
			item(kValues, cv.stringsTerm(c.Values)),
		)
	}
	return ast.NewObject(
		item(kIndex, ast.InternedTerm(s.Index)),
		item(kSid, cv.strTerm(s.Sid)),
		item(kEffect, cv.strTerm(s.Effect)),
		item(kActions, cv.stringsTerm(s.Actions)),
		item(kNotActions, cv.stringsTerm(s.NotActions)),
		item(kResources, cv.stringsTerm(s.Resources)),
		item(kNotResources, cv.stringsTerm(s.NotResources)),
		item(kPrincipals, cv.principalsTerm(s.Principals)),
		item(kNotPrincipals, cv.principalsTerm(s.NotPrincipals)),
		item(kConditions, cv.arrayTerm(s.Conditions == nil, conds)),
	)
}

func (cv *iamConv) contextValue(c *facts.Context) ast.Value {
	if c == nil {
		return ast.NullValue
	}
	var sources *ast.Term
	if c.Sources == nil {
		sources = ast.InternedNullTerm
	} else {
		o := ast.NewObjectWithCapacity(len(c.Sources))
		for _, k := range sortedKeys(c.Sources) {
			o.Insert(cv.strTerm(k), cv.strTerm(c.Sources[k]))
		}
		sources = ast.NewTerm(o)
	}
	return ast.NewObject(
		item(kRegion, cv.strTerm(c.Region)),
		item(kAccount, cv.strTerm(c.Account)),
		item(kPartition, cv.strTerm(c.Partition)),
		item(kCluster, cv.strTerm(c.Cluster)),
		item(kRegions, cv.stringsTerm(c.Regions)),
		item(kAccounts, cv.stringsTerm(c.Accounts)),
		item(kPartitions, cv.stringsTerm(c.Partitions)),
		item(kClusters, cv.stringsTerm(c.Clusters)),
		item(kR2, cv.strTerm(c.R2)),
		item(kSources, sources),
		item(kNodeRoleARNs, cv.stringsTerm(c.NodeRoleARNs)),
		item(kNodeRoleUnk, ast.InternedTerm(c.NodeRoleUnknown)),
		item(kQueueARNs, cv.stringsTerm(c.QueueARNs)),
		item(kEBSKMSKeyARNs, cv.stringsTerm(c.EBSKMSKeyARNs)),
		item(kPodIdentity, cv.podIdentityTerm(c.PodIdentity)),
		item(kPrincipalTags, cv.principalTagsTerm(c.PrincipalTags)),
		item(kServiceAccount, cv.strTerm(c.ServiceAccount)),
		item(kNetwork, cv.networkTerm(c.Network)),
	)
}

// networkTerm converts config's network as JSON writes it: null, or the fields that are set.
func (cv *iamConv) networkTerm(n *facts.Network) *ast.Term {
	if n == nil {
		return ast.InternedNullTerm
	}
	o := ast.NewObjectWithCapacity(4)
	for _, f := range [...]struct{ key, value string }{
		{"source_ip", n.SourceIP}, {"vpc_source_ip", n.VPCSourceIP}, {"source_vpc", n.SourceVPC}, {"source_vpce", n.SourceVPCE},
	} {
		if f.value != "" {
			o.Insert(cv.strTerm(f.key), cv.strTerm(f.value))
		}
	}
	return ast.NewTerm(o)
}

func (cv *iamConv) principalTagsTerm(pt *facts.PrincipalTags) *ast.Term {
	if pt == nil {
		return ast.InternedNullTerm
	}
	known := ast.InternedNullTerm
	if pt.Known != nil {
		o := ast.NewObjectWithCapacity(len(pt.Known))
		for _, k := range sortedKeys(pt.Known) {
			o.Insert(cv.strTerm(k), cv.strTerm(pt.Known[k]))
		}
		known = ast.NewTerm(o)
	}
	return ast.NewTerm(ast.NewObject(item(kKnown, known), item(kOpen, cv.stringsTerm(pt.Open))))
}

func (cv *iamConv) podIdentityTerm(bs []facts.PodIdentityBinding) *ast.Term {
	terms := make([]*ast.Term, len(bs))
	for i, b := range bs {
		tags := ast.InternedNullTerm
		if b.SessionTags != nil {
			tags = ast.InternedTerm(*b.SessionTags)
		}
		terms[i] = ast.NewTerm(ast.NewObject(
			item(kAddress, cv.strTerm(b.Address)),
			item(kCluster, cv.strTerm(b.Cluster)),
			item(kNamespace, cv.strTerm(b.Namespace)),
			item(kServiceAccount, cv.strTerm(b.ServiceAccount)),
			item(kSessionTags, tags),
		))
	}
	return cv.arrayTerm(bs == nil, terms)
}

// principalsTerm converts a principal map. Keys are inserted in the order json.Marshal writes
// them, so that if two keys become equal once made valid UTF-8 the later one wins, as it does
// when the JSON is decoded.
func (cv *iamConv) principalsTerm(m map[string][]string) *ast.Term {
	if m == nil {
		return ast.InternedNullTerm
	}
	o := ast.NewObjectWithCapacity(len(m))
	for _, k := range sortedKeys(m) {
		o.Insert(cv.strTerm(k), cv.stringsTerm(m[k]))
	}
	return ast.NewTerm(o)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// iamConv carves terms from chunks and shares the terms of repeated strings (actions,
// statuses, addresses) within one conversion.
type iamConv struct {
	termAlloc
	docs map[*facts.Document]*ast.Term
}

func item(key, v *ast.Term) [2]*ast.Term {
	return [2]*ast.Term{key, v}
}

// strTerm is the term of a string as it reads after a JSON round trip.
func (cv *iamConv) strTerm(s string) *ast.Term {
	return cv.sharedString(jsonString(s))
}

func (cv *iamConv) strPtrTerm(s *string) *ast.Term {
	if s == nil {
		return ast.InternedNullTerm
	}
	return cv.strTerm(*s)
}

// stringsTerm converts a string slice: null when nil.
func (cv *iamConv) stringsTerm(ss []string) *ast.Term {
	if ss == nil {
		return ast.InternedNullTerm
	}
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = cv.strTerm(s)
	}
	return ast.ArrayTerm(terms...)
}

// arrayTerm is null when the Go slice was nil, else the array of terms.
func (cv *iamConv) arrayTerm(isNil bool, terms []*ast.Term) *ast.Term {
	if isNil {
		return ast.InternedNullTerm
	}
	return ast.ArrayTerm(terms...)
}

// jsonString returns s as encoding/json writes it and reads it back: each byte that is not part
// of valid UTF-8 becomes U+FFFD.
func jsonString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
