package facts_test

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/plan"
)

// tplan assembles a small `terraform show -json` plan: resource_changes with planned_values,
// prior_state, and a configuration section with module calls, expression references and outputs.
type tplan struct {
	changes   []map[string]any
	planned   map[string][]map[string]any // module instance path -> resources
	prior     map[string][]map[string]any
	cfg       map[string]*tmod // key-less module path -> module
	providers map[string]any
}

type tmod struct {
	resources map[string]map[string]any // key-less relative address -> expressions
	calls     map[string]map[string]any // call name -> {source, expressions}
	outputs   map[string]any
}

func newPlan() *tplan {
	return &tplan{planned: map[string][]map[string]any{}, prior: map[string][]map[string]any{}, cfg: map[string]*tmod{}, providers: map[string]any{}}
}

// ident returns the resource fields of an absolute address.
func ident(addr string) (module string, fields map[string]any) {
	module, rel := plan.SplitAddress(addr)
	segs := strings.Split(plan.StripKeys(rel), ".")
	mode := "managed"
	if segs[0] == "data" {
		mode, segs = "data", segs[1:]
	}
	f := map[string]any{"address": addr, "mode": mode, "type": segs[0], "name": segs[1]}
	if i := strings.LastIndexByte(rel, '['); i >= 0 && strings.HasSuffix(rel, "]") {
		var idx any
		if err := json.Unmarshal([]byte(rel[i+1:len(rel)-1]), &idx); err == nil {
			f["index"] = idx
		}
	}
	if module != "" {
		f["module_address"] = module
	}
	return module, f
}

func copyMap(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// change adds a resource change. Attributes named in unknown are removed from after and marked
// true in after_unknown. Non-deleting changes also appear in planned_values.
func (p *tplan) change(addr string, actions []string, before, after map[string]any, unknown ...string) *tplan {
	module, f := ident(addr)
	au := map[string]any{}
	var a map[string]any
	if after != nil {
		a = copyMap(after)
		for _, u := range unknown {
			delete(a, u)
			au[u] = true
		}
	}
	c := copyMap(f)
	ch := map[string]any{"actions": actions, "before": before, "after": a, "after_unknown": au}
	if a == nil {
		ch["after"] = nil
	}
	c["change"] = ch
	p.changes = append(p.changes, c)
	if a != nil {
		pv := copyMap(f)
		delete(pv, "module_address")
		pv["values"] = a
		p.planned[module] = append(p.planned[module], pv)
	}
	return p
}

// afterUnknown replaces the after_unknown of the last change.
func (p *tplan) afterUnknown(au map[string]any) *tplan {
	p.changes[len(p.changes)-1]["change"].(map[string]any)["after_unknown"] = au
	return p
}

func (p *tplan) create(addr string, after map[string]any, unknown ...string) *tplan {
	return p.change(addr, []string{"create"}, nil, after, unknown...)
}

// noop adds an unchanged resource: prior_state, planned_values and a no-op change.
func (p *tplan) noop(addr string, vals map[string]any) *tplan {
	p.state(addr, vals)
	return p.change(addr, []string{"no-op"}, vals, vals)
}

// state adds a resource to prior_state only (a data source read while planning).
func (p *tplan) state(addr string, vals map[string]any) *tplan {
	module, f := ident(addr)
	delete(f, "module_address")
	f["values"] = vals
	p.prior[module] = append(p.prior[module], f)
	return p
}

func (p *tplan) mod(path string) *tmod {
	m := p.cfg[path]
	if m == nil {
		m = &tmod{resources: map[string]map[string]any{}, calls: map[string]map[string]any{}, outputs: map[string]any{}}
		p.cfg[path] = m
	}
	return m
}

// ref records configuration references of attribute attr of the resource at addr.
func (p *tplan) ref(addr, attr string, refs ...string) *tplan {
	module, rel := plan.SplitAddress(addr)
	m := p.mod(plan.StripKeys(module))
	key := plan.StripKeys(rel)
	if m.resources[key] == nil {
		m.resources[key] = map[string]any{}
	}
	if refs == nil {
		m.resources[key][attr] = map[string]any{"constant_value": "x"}
	} else {
		m.resources[key][attr] = map[string]any{"references": refs}
	}
	return p
}

// block records a nested block expression (e.g. inline_policy) of the resource at addr.
func (p *tplan) block(addr, attr string) *tplan {
	module, rel := plan.SplitAddress(addr)
	m := p.mod(plan.StripKeys(module))
	key := plan.StripKeys(rel)
	if m.resources[key] == nil {
		m.resources[key] = map[string]any{}
	}
	m.resources[key][attr] = []any{map[string]any{"name": map[string]any{"constant_value": "x"}, "policy": map[string]any{"references": []string{"data.x.y"}}}}
	return p
}

// call records a module call at a key-less module path (e.g. "module.w.module.karpenter").
func (p *tplan) call(path, source string, args map[string][]string) *tplan {
	segs := strings.Split(path, ".")
	name := segs[len(segs)-1]
	parent := strings.Join(segs[:len(segs)-2], ".")
	exprs := map[string]any{}
	for k, v := range args {
		exprs[k] = map[string]any{"references": v}
	}
	p.mod(parent).calls[name] = map[string]any{"source": source, "expressions": exprs}
	p.mod(path)
	return p
}

// provider sets the root aws provider's constant region.
func (p *tplan) provider(region string) *tplan {
	p.providers["aws"] = map[string]any{"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
		"expressions": map[string]any{"region": map[string]any{"constant_value": region}}}
	return p
}

func stateModule(byModule map[string][]map[string]any) map[string]any {
	root := map[string]any{"resources": orEmpty(byModule[""])}
	var paths []string
	for m := range byModule {
		if m != "" {
			paths = append(paths, m)
		}
	}
	sort.Strings(paths)
	var children []any
	for _, m := range paths {
		children = append(children, map[string]any{"address": m, "resources": byModule[m]})
	}
	if children != nil {
		root["child_modules"] = children
	}
	return map[string]any{"root_module": root}
}

func orEmpty(s []map[string]any) []map[string]any {
	if s == nil {
		return []map[string]any{}
	}
	return s
}

func (p *tplan) configModule(path string) map[string]any {
	m := p.mod(path)
	var res []any
	var keys []string
	for k := range m.resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		segs := strings.Split(k, ".")
		mode := "managed"
		if segs[0] == "data" {
			mode, segs = "data", segs[1:]
		}
		res = append(res, map[string]any{"address": k, "mode": mode, "type": segs[0], "name": segs[1], "expressions": m.resources[k]})
	}
	calls := map[string]any{}
	for name, c := range m.calls {
		child := name
		if path != "" {
			child = path + ".module." + name
		} else {
			child = "module." + name
		}
		cc := copyMap(c)
		cc["module"] = p.configModule(child)
		calls[name] = cc
	}
	return map[string]any{"resources": res, "module_calls": calls, "outputs": m.outputs}
}

func (p *tplan) json(t *testing.T) []byte {
	t.Helper()
	doc := map[string]any{
		"format_version":    "1.2",
		"terraform_version": "1.9.5",
		"planned_values":    stateModule(p.planned),
		"resource_changes":  p.changes,
		"prior_state":       map[string]any{"format_version": "1.0", "values": stateModule(p.prior)},
		"configuration":     map[string]any{"provider_config": p.providers, "root_module": p.configModule("")},
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (p *tplan) parse(t *testing.T) *plan.Plan {
	t.Helper()
	pl, err := plan.Read("test.json", bytes.NewReader(p.json(t)), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func (p *tplan) build(t *testing.T, opt facts.Options) *facts.IAM {
	t.Helper()
	return facts.Build(p.parse(t), opt)
}

func role(t *testing.T, iam *facts.IAM, addr string) *facts.Role {
	t.Helper()
	for _, r := range iam.Roles {
		if r.Address == addr {
			return r
		}
	}
	var have []string
	for _, r := range iam.Roles {
		have = append(have, r.Address)
	}
	t.Fatalf("role %s not in %v", addr, have)
	return nil
}

// jsonText returns v as compact JSON text (policy documents as Terraform holds them).
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Common policy texts.
var (
	podTrust = jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "pods.eks.amazonaws.com"}, "Action": []any{"sts:AssumeRole", "sts:TagSession"}}}})
	ec2Trust = jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}}})
	lambdaTrust = jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}}})
)

// allow returns a one-statement policy text with the given Sid, granting action on resource.
func allow(sid, action, resource string) string {
	return jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}}})
}

// entry is the comparable projection of a PolicyEntry.
type entry struct {
	Address, Attribute, Kind, Via, ARN, Status, Source string
	Unknown                                            []string
	Sids                                               []string
}

func entries(r *facts.Role) []entry {
	var out []entry
	for _, e := range r.Policies {
		out = append(out, project(e))
	}
	return out
}

func project(e *facts.PolicyEntry) entry {
	x := entry{Address: e.Address, Attribute: e.Attribute, Kind: e.Kind, Via: e.Via, Status: e.Status, Source: e.Source}
	if e.ARN != nil {
		x.ARN = *e.ARN
	}
	if len(e.Unknown) > 0 {
		x.Unknown = e.Unknown
	}
	if e.Document != nil {
		for _, st := range e.Document.Statements {
			x.Sids = append(x.Sids, st.Sid)
		}
	}
	return x
}
