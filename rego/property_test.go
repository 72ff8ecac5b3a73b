package rego_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	regofs "github.com/karpgate/karpgate/rego"
)

// The property test generates policy/request pairs from a seed and checks, through the embedded
// evaluator, properties that hold whatever the policy (RULES.md 3.3, 4.1, 3b.1):
//
//   - Deny wins: a policy plus an unconditional Deny of the request is denied, and a policy plus a
//     Deny whose statement alone (as an Allow) allows the request is denied;
//   - adding an Allow never turns allowed into anything else, nor anything into denied;
//   - NotAction is the complement of Action on the same list;
//   - ...IfExists on a key the request is known not to have is true (the statement decides as
//     without that condition);
//   - action names and condition keys compare case-insensitively, ARNs and String values
//     case-sensitively (StringEqualsIgnoreCase excepted).
//
// Every variant of every pair is decided in one batch per query evaluation, through one prepared
// query. FuzzEvaluatorProperties runs the same checks for fuzzed seeds (make fuzz).

const propertyQuery = `decisions := [d |
	some c in input.cases
	d := data.karpgate.lib.iam.decide(c.policies[0].document.statements, c.request).decision
]`

// propertyPairs is how many policy/request pairs TestEvaluatorProperties generates.
const propertyPairs = 2000

func preparePropertyQuery(tb testing.TB) rego.PreparedEvalQuery {
	tb.Helper()
	opts := []func(*rego.Rego){rego.Query(propertyQuery), rego.StrictBuiltinErrors(true)}
	err := fs.WalkDir(regofs.FS(), "lib", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(regofs.FS(), p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		opts = append(opts, rego.ParsedModule(m))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	data, err := regofs.Data()
	if err != nil {
		tb.Fatal(err)
	}
	opts = append(opts, rego.Store(inmem.NewFromObject(data)))
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return pq
}

// TestEvaluatorProperties checks the properties on propertyPairs seeded pairs (seed 19: a failure
// reproduces).
func TestEvaluatorProperties(t *testing.T) {
	pq := preparePropertyQuery(t)
	n := propertyPairs
	if testing.Short() {
		n = 300
	}
	checkProperties(t, pq, rand.New(rand.NewSource(19)), n)
}

// FuzzEvaluatorProperties runs the property checks on pairs generated from fuzzed seeds.
func FuzzEvaluatorProperties(f *testing.F) {
	pq := preparePropertyQuery(f)
	for _, seed := range []int64{1, 19, 2026} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		checkProperties(t, pq, rand.New(rand.NewSource(seed)), 20)
	})
}

// propCase is one decision to make; check says what it must be, given the decisions of the case
// group it belongs to (index 0 is the group's base pair).
type propCase struct {
	property string
	policies []any
	request  map[string]any
	check    func(got, base string, all []string) bool
}

type group struct {
	desc  string
	cases []propCase
}

func checkProperties(t *testing.T, pq rego.PreparedEvalQuery, rng *rand.Rand, pairs int) {
	t.Helper()
	g := &gen{rng: rng}
	var groups []group
	for i := 0; i < pairs; i++ {
		groups = append(groups, g.group(i))
	}
	var flat []propCase
	for _, gr := range groups {
		flat = append(flat, gr.cases...)
	}
	got, err := decideAll(pq, flat, 400)
	if err != nil {
		t.Fatal(err)
	}
	// The generator must reach every decision, or the properties hold vacuously.
	if pairs >= 100 {
		kinds := map[string]int{}
		pos := 0
		for _, gr := range groups {
			kinds[got[pos]]++
			pos += len(gr.cases)
		}
		for _, k := range []string{"allowed", "denied", "implicit-deny", "indeterminate"} {
			if kinds[k] < pairs/50 {
				t.Errorf("only %d of %d base pairs are %s: the generator no longer covers it (%v)", kinds[k], pairs, k, kinds)
			}
		}
	}
	failures := 0
	pos := 0
	for gi, gr := range groups {
		decisions := got[pos : pos+len(gr.cases)]
		for ci, c := range gr.cases {
			if c.check == nil || c.check(decisions[ci], decisions[0], decisions) {
				continue
			}
			failures++
			if failures <= 5 {
				t.Errorf("pair %d (%s), property %q: decision %s (base %s)\npolicies: %s\nrequest: %s",
					gi, gr.desc, c.property, decisions[ci], decisions[0], dump(c.policies), dump(c.request))
			}
		}
		pos += len(gr.cases)
	}
	if failures > 5 {
		t.Errorf("%d property violations in all", failures)
	}
}

// decideAll decides every case, in batches of size cases per evaluation, on as many goroutines
// as there are CPUs (a prepared query is safe for concurrent use).
func decideAll(pq rego.PreparedEvalQuery, cases []propCase, size int) ([]string, error) {
	got := make([]string, len(cases))
	var starts []int
	for start := 0; start < len(cases); start += size {
		starts = append(starts, start)
	}
	errs := make([]error, len(starts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for bi, start := range starts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			end := min(start+size, len(cases))
			in := make([]any, 0, end-start)
			for _, c := range cases[start:end] {
				in = append(in, map[string]any{"policies": c.policies, "request": c.request})
			}
			rs, err := pq.Eval(context.Background(), rego.EvalInput(map[string]any{"cases": in}))
			if err != nil {
				errs[bi] = err
				return
			}
			if len(rs) != 1 {
				errs[bi] = fmt.Errorf("query undefined for the batch at %d", start)
				return
			}
			ds, _ := rs[0].Bindings["decisions"].([]any)
			if len(ds) != end-start {
				errs[bi] = fmt.Errorf("batch at %d: %d decisions for %d cases (a decide was undefined)", start, len(ds), end-start)
				return
			}
			for i, d := range ds {
				got[start+i] = fmt.Sprint(d)
			}
		}()
	}
	wg.Wait()
	return got, errors.Join(errs...)
}

// gen draws policies and requests from small pools so that statements often match requests.
type gen struct{ rng *rand.Rand }

var (
	propActions  = []string{"ec2:CreateTags", "ec2:RunInstances", "ec2:TerminateInstances", "iam:PassRole", "s3:GetObject"}
	propPatterns = []string{"ec2:CreateTags", "ec2:*", "ec2:Create*", "ec2:?unInstances", "*", "iam:PassRole",
		"iam:*", "s3:Get*", "ec2:TerminateInstances", "sqs:*"}
	propResources = map[string][]string{
		"ec2": {"arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0", "arn:aws:ec2:us-east-1:111122223333:volume/vol-1"},
		"iam": {"arn:aws:iam::111122223333:role/KarpenterNode", "arn:aws:iam::111122223333:role/Admin"},
		"s3":  {"arn:aws:s3:::bucket/home/alice/x", "arn:aws:s3:::bucket/other"},
	}
	propResourcePatterns = []string{"*", "arn:aws:ec2:eu-west-1:*:instance/*", "arn:aws:ec2:*:*:*", "arn:aws:iam::*:role/Karpenter*",
		"arn:aws:s3:::bucket/*", "arn:aws:ec2:us-east-1:111122223333:volume/vol-1", "arn:aws:iam::111122223333:role/Admin",
		"arn:aws:s3:::bucket/home/${aws:username}/*", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0"}
	// Keys the request sets or is known not to have; aws:SourceIp is open unless set.
	propKeys   = []string{"aws:RequestTag/team", "aws:ResourceTag/team", "aws:RequestedRegion", "ec2:CreateAction", "aws:TagKeys", "aws:SourceIp", "aws:username"}
	propValues = map[string][]string{
		"aws:RequestTag/team":  {"blue", "Blue", "red"},
		"aws:ResourceTag/team": {"blue", "red", "BLUE"},
		"aws:RequestedRegion":  {"eu-west-1", "us-east-1"},
		"ec2:CreateAction":     {"RunInstances", "CreateFleet"},
		"aws:TagKeys":          {"Name", "team", "karpenter.sh/nodeclaim"},
		"aws:SourceIp":         {"10.1.2.3", "203.0.113.7"},
		"aws:username":         {"alice", "bob"},
	}
	propOperators = []string{"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase",
		"StringEqualsIfExists", "StringNotEqualsIfExists", "ForAllValues:StringEquals", "ForAnyValue:StringLike", "Null", "IpAddress"}
)

func (g *gen) pick(xs []string) string { return xs[g.rng.Intn(len(xs))] }

func (g *gen) some(xs []string, max int) []string {
	n := 1 + g.rng.Intn(max)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, g.pick(xs))
	}
	return out
}

func (g *gen) request() map[string]any {
	action := g.pick(propActions)
	svc := strings.SplitN(action, ":", 2)[0]
	ctx := map[string]any{}
	for _, k := range propKeys {
		if g.rng.Intn(2) == 0 {
			continue
		}
		if k == "aws:TagKeys" {
			ctx[k] = g.some(propValues[k], 3)
			continue
		}
		ctx[k] = []string{g.pick(propValues[k])}
	}
	return map[string]any{"action": action, "resource": g.pick(propResources[svc]), "context": ctx}
}

func (g *gen) condition() map[string]any {
	op := g.pick(propOperators)
	key := g.pick(propKeys)
	var values []string
	switch {
	case op == "Null":
		values = []string{g.pick([]string{"true", "false"})}
	case op == "IpAddress":
		key = "aws:SourceIp"
		values = []string{g.pick([]string{"10.0.0.0/8", "203.0.113.0/24"})}
	case key == "aws:TagKeys" && !strings.HasPrefix(op, "For"):
		op = "ForAllValues:" + op
		values = g.some(propValues[key], 3)
	default:
		values = g.some(append(append([]string{}, propValues[key]...), "*", "${aws:username}"), 2)
	}
	return cond(op, key, values)
}

// cond normalizes a condition as internal/facts does.
func cond(op, key string, values []string) map[string]any {
	base, set := strings.ToLower(op), ""
	for _, p := range []string{"forallvalues:", "foranyvalue:"} {
		if strings.HasPrefix(base, p) {
			set, base = strings.TrimSuffix(p, ":"), strings.TrimPrefix(base, p)
		}
	}
	ifExists := strings.HasSuffix(base, "ifexists")
	base = strings.TrimSuffix(base, "ifexists")
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return map[string]any{"operator": op, "base": base, "set": set, "if_exists": ifExists, "key": strings.ToLower(key), "values": vs}
}

func stmt(effect string, actions, notActions, resources []string, conds []map[string]any) map[string]any {
	lower := func(xs []string) []any {
		out := make([]any, len(xs))
		for i, x := range xs {
			out[i] = strings.ToLower(x)
		}
		return out
	}
	cs := make([]any, len(conds))
	for i, c := range conds {
		cs[i] = c
	}
	rs := make([]any, len(resources))
	for i, r := range resources {
		rs[i] = r
	}
	return map[string]any{
		"sid": "", "effect": effect, "actions": lower(actions), "not_actions": lower(notActions),
		"resources": rs, "not_resources": []any{}, "principals": map[string]any{}, "not_principals": map[string]any{},
		"conditions": cs,
	}
}

func (g *gen) statement(effect string) map[string]any {
	var conds []map[string]any
	for i := g.rng.Intn(3); i > 0; i-- {
		conds = append(conds, g.condition())
	}
	actions := g.some(propPatterns, 2)
	if g.rng.Intn(6) == 0 {
		return stmt(effect, nil, actions, g.some(propResourcePatterns, 2), conds)
	}
	return stmt(effect, actions, nil, g.some(propResourcePatterns, 2), conds)
}

func (g *gen) policy() []map[string]any {
	var out []map[string]any
	for i := 1 + g.rng.Intn(3); i > 0; i-- {
		effect := "Allow"
		if g.rng.Intn(4) == 0 {
			effect = "Deny"
		}
		out = append(out, g.statement(effect))
	}
	return out
}

// policies wraps statements in one known managed policy entry, indexing them.
func policies(statements []map[string]any) []any {
	st := make([]any, len(statements))
	for i, s := range statements {
		c := clone(s)
		c["index"] = i
		st[i] = c
	}
	return []any{map[string]any{
		"address": "aws_iam_policy.p", "attribute": "policy", "kind": "managed", "status": "known",
		"document": map[string]any{"version": "2012-10-17", "id": "", "statements": st},
	}}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func with(p []map[string]any, extra ...map[string]any) []map[string]any {
	return append(append([]map[string]any{}, p...), extra...)
}

// flipCase changes the case of one letter of s at random (s unchanged if it has no letter).
func (g *gen) flipCase(s string) string {
	rs := []rune(s)
	var letters []int
	for i, r := range rs {
		if unicode.IsLetter(r) {
			letters = append(letters, i)
		}
	}
	if len(letters) == 0 {
		return s
	}
	i := letters[g.rng.Intn(len(letters))]
	if unicode.IsUpper(rs[i]) {
		rs[i] = unicode.ToLower(rs[i])
	} else {
		rs[i] = unicode.ToUpper(rs[i])
	}
	return string(rs)
}

func (g *gen) randomCase(s string) string {
	rs := []rune(s)
	for i, r := range rs {
		if g.rng.Intn(2) == 0 {
			rs[i] = unicode.ToUpper(r)
		} else {
			rs[i] = unicode.ToLower(r)
		}
	}
	return string(rs)
}

func same(got, base string, _ []string) bool { return got == base }

func is(want string) func(string, string, []string) bool {
	return func(got, _ string, _ []string) bool { return got == want }
}

// group builds the variants of pair i.
func (g *gen) group(i int) group {
	p := g.policy()
	r := g.request()
	action := r["action"].(string)
	resource := r["resource"].(string)
	ctx := r["context"].(map[string]any)
	req := func(action, resource string, ctx map[string]any) map[string]any {
		return map[string]any{"action": action, "resource": resource, "context": ctx}
	}
	cases := []propCase{{property: "base", policies: policies(p), request: r}}

	// Adding an Allow: allowed stays allowed, and nothing becomes denied unless it was.
	extra := g.statement("Allow")
	cases = append(cases, propCase{property: "adding an Allow is monotone", policies: policies(with(p, extra)), request: r,
		check: func(got, base string, _ []string) bool {
			switch base {
			case "allowed":
				return got == "allowed"
			case "denied":
				return got == "denied"
			}
			return got != "denied"
		}})

	// Deny wins: an unconditional Deny of the action on "*".
	cases = append(cases, propCase{property: "an applicable Deny wins", policies: policies(with(p, stmt("Deny", []string{action}, nil, []string{"*"}, nil))), request: r,
		check: is("denied")})

	// Deny wins: a Deny whose statement alone allows the request (case 3 is that statement alone
	// as an Allow; case 4 the policy plus it as a Deny).
	d := g.statement("Allow")
	dd := clone(d)
	dd["effect"] = "Deny"
	cases = append(cases,
		propCase{property: "probe", policies: policies([]map[string]any{d}), request: r},
		propCase{property: "a Deny that applies wins", policies: policies(with(p, dd)), request: r,
			check: func(got, _ string, all []string) bool { return all[3] != "allowed" || got == "denied" }})

	// NotAction is the complement of Action on the same list (no condition, Resource "*").
	list := g.some(propPatterns, 3)
	cases = append(cases,
		propCase{property: "probe", policies: policies([]map[string]any{stmt("Allow", list, nil, []string{"*"}, nil)}), request: r},
		propCase{property: "NotAction is the complement of Action", policies: policies([]map[string]any{stmt("Allow", nil, list, []string{"*"}, nil)}), request: r,
			check: func(got, _ string, all []string) bool { return (all[5] == "allowed") != (got == "allowed") }})

	// IfExists on a key the request is known not to have is true: adding it to every statement
	// changes nothing.
	absent := "aws:RequestTag/absent-" + fmt.Sprint(i)
	var withIf []map[string]any
	for _, s := range p {
		c := clone(s)
		conds := append([]any{}, s["conditions"].([]any)...)
		c["conditions"] = append(conds, cond(g.pick([]string{"StringEqualsIfExists", "StringLikeIfExists", "ForAnyValue:StringEqualsIfExists"}), absent, []string{"x"}))
		withIf = append(withIf, c)
	}
	cases = append(cases, propCase{property: "IfExists on an absent key is true", policies: policies(withIf), request: r, check: same})

	// Case: the action and the context keys in any case, the policy's condition keys in any case.
	ctxCased := map[string]any{}
	for k, v := range ctx {
		ctxCased[g.randomCase(k)] = v
	}
	var keysCased []map[string]any
	for _, s := range p {
		c := clone(s)
		var conds []any
		for _, x := range s["conditions"].([]any) {
			cc := clone(x.(map[string]any))
			cc["key"] = g.randomCase(cc["key"].(string))
			conds = append(conds, cc)
		}
		c["conditions"] = conds
		keysCased = append(keysCased, c)
	}
	cases = append(cases,
		propCase{property: "action names and context keys are case-insensitive", policies: policies(p), request: req(g.randomCase(action), resource, ctxCased), check: same},
		propCase{property: "condition keys are case-insensitive", policies: policies(keysCased), request: r, check: same})

	// ARNs are case-sensitive: a statement naming the resource with one letter in another case
	// does not grant it; StringEquals values are case-sensitive, StringEqualsIgnoreCase not.
	flipped := g.flipCase(resource)
	cases = append(cases, propCase{property: "ARNs are case-sensitive", policies: policies([]map[string]any{stmt("Allow", []string{action}, nil, []string{flipped}, nil)}), request: r,
		check: is("implicit-deny")})
	val := g.pick(propValues["aws:ResourceTag/team"])
	ctxTag := clone(ctx)
	ctxTag["aws:ResourceTag/team"] = []string{val}
	cases = append(cases,
		propCase{property: "String values are case-sensitive", policies: policies([]map[string]any{stmt("Allow", []string{action}, nil, []string{"*"},
			[]map[string]any{cond("StringEquals", "aws:ResourceTag/team", []string{g.flipCase(val)})})}), request: req(action, resource, ctxTag),
			check: is("implicit-deny")},
		propCase{property: "StringEqualsIgnoreCase ignores case", policies: policies([]map[string]any{stmt("Allow", []string{action}, nil, []string{"*"},
			[]map[string]any{cond("StringEqualsIgnoreCase", "aws:ResourceTag/team", []string{g.randomCase(val)})})}), request: req(action, resource, ctxTag),
			check: is("allowed")})

	return group{desc: fmt.Sprintf("%s on %s", action, resource), cases: cases}
}
