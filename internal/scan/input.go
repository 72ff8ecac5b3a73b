package scan

import (
	"slices"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/karpgate/karpgate/internal/facts"
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
	roles := make([]*ast.Term, len(iam.Roles))
	for i, r := range iam.Roles {
		roles[i] = ast.NewTerm(roleValue(r))
	}
	nodes := make([]*ast.Term, len(iam.NodeRoles))
	for i := range iam.NodeRoles {
		n := &iam.NodeRoles[i]
		nodes[i] = ast.ObjectTerm(
			item("address", strTerm(n.Address)),
			item("name", strPtrTerm(n.Name)),
			item("arn", strPtrTerm(n.ARN)),
		)
	}
	return ast.NewObject(
		item("roles", arrayTerm(iam.Roles == nil, roles)),
		item("karpenter_roles", ast.InternedTerm(iam.KarpenterRoles)),
		item("node_roles", arrayTerm(iam.NodeRoles == nil, nodes)),
	)
}

func roleValue(r *facts.Role) ast.Value {
	if r == nil {
		return ast.NullValue
	}
	policies := make([]*ast.Term, len(r.Policies))
	for i, p := range r.Policies {
		policies[i] = ast.NewTerm(policyEntryValue(p))
	}
	return ast.NewObject(
		item("address", strTerm(r.Address)),
		item("module", strTerm(r.Module)),
		item("name", strPtrTerm(r.Name)),
		item("name_prefix", strPtrTerm(r.NamePrefix)),
		item("arn", strPtrTerm(r.ARN)),
		item("action", strTerm(r.Action)),
		item("karpenter", ast.ObjectTerm(
			item("detected", ast.InternedTerm(r.Karpenter.Detected)),
			item("by", stringsTerm(r.Karpenter.By)),
		)),
		item("trust", ast.NewTerm(policyEntryValue(r.Trust))),
		item("policies", arrayTerm(r.Policies == nil, policies)),
		item("context", ast.NewTerm(contextValue(r.Context))),
	)
}

func policyEntryValue(p *facts.PolicyEntry) ast.Value {
	if p == nil {
		return ast.NullValue
	}
	problems := make([]*ast.Term, len(p.Problems))
	for i, pr := range p.Problems {
		problems[i] = ast.ObjectTerm(
			item("path", strTerm(pr.Path)),
			item("message", strTerm(pr.Message)),
		)
	}
	return ast.NewObject(
		item("address", strTerm(p.Address)),
		item("attribute", strTerm(p.Attribute)),
		item("kind", strTerm(p.Kind)),
		item("via", strTerm(p.Via)),
		item("arn", strPtrTerm(p.ARN)),
		item("status", strTerm(p.Status)),
		item("source", strTerm(p.Source)),
		item("unknown", stringsTerm(p.Unknown)),
		item("problems", arrayTerm(p.Problems == nil, problems)),
		item("document", ast.NewTerm(documentValue(p.Document))),
	)
}

func documentValue(d *facts.Document) ast.Value {
	if d == nil {
		return ast.NullValue
	}
	stmts := make([]*ast.Term, len(d.Statements))
	for i := range d.Statements {
		stmts[i] = ast.NewTerm(statementValue(&d.Statements[i]))
	}
	return ast.NewObject(
		item("version", strTerm(d.Version)),
		item("id", strTerm(d.ID)),
		item("statements", arrayTerm(d.Statements == nil, stmts)),
	)
}

func statementValue(s *facts.Statement) ast.Value {
	conds := make([]*ast.Term, len(s.Conditions))
	for i := range s.Conditions {
		c := &s.Conditions[i]
		conds[i] = ast.ObjectTerm(
			item("operator", strTerm(c.Operator)),
			item("base", strTerm(c.Base)),
			item("set", strTerm(c.Set)),
			item("if_exists", ast.InternedTerm(c.IfExists)),
			item("key", strTerm(c.Key)),
			item("written", strTerm(c.Written)),
			item("values", stringsTerm(c.Values)),
		)
	}
	return ast.NewObject(
		item("index", ast.InternedTerm(s.Index)),
		item("sid", strTerm(s.Sid)),
		item("effect", strTerm(s.Effect)),
		item("actions", stringsTerm(s.Actions)),
		item("not_actions", stringsTerm(s.NotActions)),
		item("resources", stringsTerm(s.Resources)),
		item("not_resources", stringsTerm(s.NotResources)),
		item("principals", principalsTerm(s.Principals)),
		item("not_principals", principalsTerm(s.NotPrincipals)),
		item("conditions", arrayTerm(s.Conditions == nil, conds)),
	)
}

func contextValue(c *facts.Context) ast.Value {
	if c == nil {
		return ast.NullValue
	}
	var sources *ast.Term
	if c.Sources == nil {
		sources = ast.InternedNullTerm
	} else {
		o := ast.NewObjectWithCapacity(len(c.Sources))
		for _, k := range sortedKeys(c.Sources) {
			o.Insert(strTerm(k), strTerm(c.Sources[k]))
		}
		sources = ast.NewTerm(o)
	}
	return ast.NewObject(
		item("region", strTerm(c.Region)),
		item("account", strTerm(c.Account)),
		item("partition", strTerm(c.Partition)),
		item("cluster", strTerm(c.Cluster)),
		item("regions", stringsTerm(c.Regions)),
		item("accounts", stringsTerm(c.Accounts)),
		item("partitions", stringsTerm(c.Partitions)),
		item("r2", strTerm(c.R2)),
		item("sources", sources),
		item("node_role_arns", stringsTerm(c.NodeRoleARNs)),
		item("queue_arns", stringsTerm(c.QueueARNs)),
	)
}

// principalsTerm converts a principal map. Keys are inserted in the order json.Marshal writes
// them, so that if two keys become equal once made valid UTF-8 the later one wins, as it does
// when the JSON is decoded.
func principalsTerm(m map[string][]string) *ast.Term {
	if m == nil {
		return ast.InternedNullTerm
	}
	o := ast.NewObjectWithCapacity(len(m))
	for _, k := range sortedKeys(m) {
		o.Insert(strTerm(k), stringsTerm(m[k]))
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

func item(key string, v *ast.Term) [2]*ast.Term {
	return [2]*ast.Term{ast.InternedTerm(key), v}
}

// strTerm is the term of a string as it reads after a JSON round trip.
func strTerm(s string) *ast.Term {
	return ast.InternedTerm(jsonString(s))
}

func strPtrTerm(s *string) *ast.Term {
	if s == nil {
		return ast.InternedNullTerm
	}
	return strTerm(*s)
}

// stringsTerm converts a string slice: null when nil.
func stringsTerm(ss []string) *ast.Term {
	if ss == nil {
		return ast.InternedNullTerm
	}
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = strTerm(s)
	}
	return ast.ArrayTerm(terms...)
}

// arrayTerm is null when the Go slice was nil, else the array of terms.
func arrayTerm(isNil bool, terms []*ast.Term) *ast.Term {
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
