package rego_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	regofs "github.com/karpgate/karpgate/rego"
)

// evaluatorCase is one row of testdata/evaluator/cases.json: a policy (as role.policies entries,
// normalized as docs/input.md describes), a request, and what AWS would decide, with the AWS
// documentation fact the expectation derives from.
type evaluatorCase struct {
	Name     string           `json:"name"`
	Fact     string           `json:"fact"`
	Source   string           `json:"source"`
	Policies []any            `json:"policies"`
	Request  map[string]any   `json:"request"`
	Want     string           `json:"want"`
	Expect   []statementCheck `json:"statements,omitempty"`
	// Layers, when set, are the role's other policy layers (docs/input.md "layers"): the case is
	// then decided through every layer (lib/layers) and Phrase is the end of AWS's message.
	Layers map[string]any `json:"layers,omitempty"`
	Phrase string         `json:"phrase,omitempty"`
}

// layeredQuery decides a case through every policy layer of a Karpenter role made of the case.
const layeredQuery = `some role in data.karpgate.lib.karpenter.roles
v := data.karpgate.lib.karpenter.evaluate(role, {"id": "case", "action": input.request.action, "requests": [input.request]})
because := data.karpgate.lib.layers.because(input.request.action, v)`

// layeredInput is input.iam holding one Karpenter role with the case's policies and layers, and
// the request.
func layeredInput(c evaluatorCase) map[string]any {
	role := map[string]any{
		"address": "aws_iam_role.karpenter_controller", "module": "", "name": "KarpenterController-prod",
		"arn": "arn:aws:iam::111122223333:role/KarpenterController-prod", "action": "no-op",
		"karpenter": map[string]any{"detected": true, "by": []any{"config"}},
		"trust":     nil, "policies": c.Policies, "removed": []any{}, "layers": c.Layers,
		"context": map[string]any{
			"region": "eu-west-1", "account": "111122223333", "partition": "aws", "cluster": "prod",
			"regions": []any{"eu-west-1"}, "accounts": []any{"111122223333"}, "partitions": []any{"aws"},
			"r2": "ap-southeast-4", "sources": map[string]any{"account": "config"}, "node_role_arns": []any{}, "queue_arns": []any{},
		},
	}
	return map[string]any{"iam": map[string]any{"roles": []any{role}, "karpenter_roles": 1, "node_roles": []any{}}, "request": c.Request}
}

// statementCheck optionally pins one statement's applicability and a fragment of its reasons.
type statementCheck struct {
	Index   int    `json:"index"`
	Policy  string `json:"policy,omitempty"`
	Applies string `json:"applies,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

const evaluatorQuery = `result := data.karpgate.lib.iam.decide(data.karpgate.lib.iam.effective_statements(input.policies), input.request)`

// libModules parses the embedded non-test Rego (the evaluator depends on lib/ only, but loading
// everything also proves the rules compile together with it).
func libModules(t *testing.T) []func(*rego.Rego) {
	t.Helper()
	var opts []func(*rego.Rego)
	err := fs.WalkDir(regofs.FS(), ".", func(p string, d fs.DirEntry, err error) error {
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
		t.Fatal(err)
	}
	return opts
}

func loadCases(t *testing.T) []evaluatorCase {
	t.Helper()
	raw, err := os.ReadFile("../testdata/evaluator/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var cases []evaluatorCase
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("decode cases.json: %v", err)
	}
	return cases
}

// TestEvaluatorCases evaluates every case of testdata/evaluator/cases.json with the embedded
// request evaluator, one subtest per case.
func TestEvaluatorCases(t *testing.T) {
	cases := loadCases(t)
	if len(cases) < 80 {
		t.Errorf("cases.json has %d cases, want at least 80", len(cases))
	}
	data, err := regofs.Data()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(libModules(t),
		rego.Query(evaluatorQuery),
		rego.Store(inmem.NewFromObject(data)),
		rego.StrictBuiltinErrors(true),
	)
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	layered, err := rego.New(append(libModules(t),
		rego.Query(layeredQuery),
		rego.Store(inmem.NewFromObject(data)),
		rego.StrictBuiltinErrors(true),
	)...).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	valid := map[string]bool{"allowed": true, "denied": true, "implicit-deny": true, "indeterminate": true}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if seen[c.Name] {
				t.Fatalf("duplicate case name %q", c.Name)
			}
			seen[c.Name] = true
			if c.Fact == "" || c.Source == "" {
				t.Errorf("case has no fact or source")
			}
			if !valid[c.Want] {
				t.Fatalf("want %q is not a decision", c.Want)
			}
			if c.Layers != nil {
				checkLayered(ctx, t, layered, c)
				return
			}
			rs, err := pq.Eval(ctx, rego.EvalInput(map[string]any{"policies": c.Policies, "request": c.Request}))
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 {
				t.Fatalf("got %d results, want 1 (the evaluator was undefined)", len(rs))
			}
			res, ok := rs[0].Bindings["result"].(map[string]any)
			if !ok {
				t.Fatalf("result is %T", rs[0].Bindings["result"])
			}
			stmts, _ := res["statements"].([]any)
			if n := countStatements(c.Policies); len(stmts) != n {
				t.Errorf("result has %d statements, the policies have %d: the evaluator dropped some", len(stmts), n)
			}
			if got := res["decision"]; got != c.Want {
				t.Errorf("decision = %v, want %s\nfact: %s\nstatements: %s", got, c.Want, c.Fact, dump(stmts))
			}
			for _, want := range c.Expect {
				checkStatement(t, stmts, want)
			}
		})
	}
}

// checkLayered decides a case through every layer: the decision, and AWS's phrase for a refusal.
func checkLayered(ctx context.Context, t *testing.T, pq rego.PreparedEvalQuery, c evaluatorCase) {
	t.Helper()
	rs, err := pq.Eval(ctx, rego.EvalInput(layeredInput(c)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1 (the layered evaluation was undefined)", len(rs))
	}
	v, _ := rs[0].Bindings["v"].(map[string]any)
	if got := v["decision"]; got != c.Want {
		t.Errorf("decision = %v, want %s\nfact: %s\nlayers: %s", got, c.Want, c.Fact, dump(v["layers"]))
	}
	if c.Phrase != "" {
		if got, _ := rs[0].Bindings["because"].(string); !strings.HasPrefix(got, c.Phrase) {
			t.Errorf("message ends %q, want it to start with %q", got, c.Phrase)
		}
	}
}

func checkStatement(t *testing.T, stmts []any, want statementCheck) {
	t.Helper()
	for _, s := range stmts {
		m, _ := s.(map[string]any)
		idx, _ := m["index"].(json.Number)
		if idx.String() != jsonInt(want.Index) || (want.Policy != "" && m["policy"] != want.Policy) {
			continue
		}
		if want.Applies != "" && m["applies"] != want.Applies {
			t.Errorf("statement %d applies = %v, want %s (%s)", want.Index, m["applies"], want.Applies, dump(m))
		}
		if want.Reason != "" {
			reasons, _ := json.Marshal(m["reasons"])
			if !strings.Contains(string(reasons), want.Reason) {
				t.Errorf("statement %d reasons %s do not mention %q", want.Index, reasons, want.Reason)
			}
		}
		return
	}
	t.Errorf("no statement %d (policy %q) in the result: %s", want.Index, want.Policy, dump(stmts))
}

func countStatements(policies []any) int {
	n := 0
	for _, p := range policies {
		doc, _ := p.(map[string]any)["document"].(map[string]any)
		st, _ := doc["statements"].([]any)
		n += len(st)
	}
	return n
}

func jsonInt(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
