package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/plan"
	"github.com/karpgate/karpgate/internal/plan/plangen"
)

// roundTripInput is how input was built before it was converted directly: input.iam through
// json.Marshal, util.UnmarshalJSON and ast.InterfaceToValue, input.plan through util's decoder
// into any. buildInput must give exactly the same value.
func roundTripInput(p *plan.Plan, iam *facts.IAM, run Run, withPlan bool) (ast.Value, error) {
	iamJSON, err := json.Marshal(iam)
	if err != nil {
		return nil, err
	}
	var iamDoc any
	if err := util.UnmarshalJSON(iamJSON, &iamDoc); err != nil {
		return nil, err
	}
	runDoc := map[string]any{"plan_file": p.Name, "kind": string(p.Kind)}
	for k, v := range map[string]string{"workspace": run.Workspace, "stage": run.Stage, "run_id": run.RunID, "organization": run.Organization} {
		if v != "" {
			runDoc[k] = v
		}
	}
	doc := map[string]any{"iam": iamDoc, "run": runDoc}
	if withPlan {
		planDoc, err := decodeAny(p.Raw)
		if err != nil {
			return nil, err
		}
		doc["plan"] = planDoc
	}
	return ast.InterfaceToValue(doc)
}

func decodeAny(b []byte) (any, error) {
	var v any
	err := util.NewJSONDecoder(bytes.NewReader(b)).Decode(&v)
	return v, err
}

// sameValue reports the first difference between two values: ast.Compare, and also what
// Compare does not see (the text of numbers, e.g. 1.0 against 1, and repeated object keys).
func sameValue(a, b ast.Value) error {
	if ast.Compare(a, b) != 0 {
		return fmt.Errorf("ast.Compare: %.200v != %.200v", a, b)
	}
	if err := strictEqual(a, b); err != nil {
		return fmt.Errorf("$%w", err)
	}
	return nil
}

// strictEqual compares two values node by node. The path in an error is built on the way back
// up, so deep documents cost nothing when they are equal.
func strictEqual(a, b ast.Value) error {
	switch x := a.(type) {
	case ast.Null, ast.Boolean, ast.String:
		if a != b {
			return fmt.Errorf(": %v != %v", a, b)
		}
	case ast.Number:
		if y, ok := b.(ast.Number); !ok || string(x) != string(y) {
			return fmt.Errorf(": number %v != %v", a, b)
		}
	case *ast.Array:
		y, ok := b.(*ast.Array)
		if !ok || x.Len() != y.Len() {
			return fmt.Errorf(": array lengths differ")
		}
		for i := range x.Len() {
			if err := strictEqual(x.Elem(i).Value, y.Elem(i).Value); err != nil {
				return fmt.Errorf("[%d]%w", i, err)
			}
		}
	case ast.Object:
		y, ok := b.(ast.Object)
		if !ok || x.Len() != y.Len() || len(x.Keys()) != len(y.Keys()) {
			return fmt.Errorf(": object sizes differ")
		}
		for _, k := range x.Keys() {
			v := y.Get(k)
			if v == nil {
				return fmt.Errorf(": key %v missing", k)
			}
			if err := strictEqual(x.Get(k).Value, v.Value); err != nil {
				return fmt.Errorf(".%v%w", k, err)
			}
		}
	default:
		return fmt.Errorf(": unexpected %T", a)
	}
	return nil
}

// testPlans returns the test plans of the repository, by name.
func testPlans(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../testdata/plans/*/plan.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test plans: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[filepath.Base(filepath.Dir(f))] = f
	}
	return out
}

// generatedPlan writes a small plangen plan once per test binary.
func generatedPlan(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := plangen.Write(&buf, plangen.MinResources+150, 7); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseTestPlan(t *testing.T, name string, b []byte) *plan.Plan {
	t.Helper()
	p, err := plan.Read(name, bytes.NewReader(b), plan.Options{Text: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInputMatchesRoundTrip(t *testing.T) {
	plans := map[string][]byte{}
	for name, f := range testPlans(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		plans[name] = b
	}
	plans["plangen"] = generatedPlan(t)
	runs := []Run{{}, {Workspace: "ws", Stage: "post_plan", RunID: "run-1", Organization: "org"}}
	for name, b := range plans {
		t.Run(name, func(t *testing.T) {
			p := parseTestPlan(t, name, b)
			for _, opt := range []facts.Options{
				{},
				// Every role a Karpenter role: contexts, and config as a detection source.
				{Roles: []string{"*"}, Region: "eu-west-1", Account: "123456789012", Cluster: "c"},
			} {
				iam := facts.Build(p, opt)
				for i, run := range runs {
					for _, withPlan := range []bool{false, true} {
						want, err := roundTripInput(p, iam, run, withPlan)
						if err != nil {
							t.Fatal(err)
						}
						got, err := buildInput(p, iam, run, withPlan)
						if err != nil {
							t.Fatal(err)
						}
						if err := sameValue(got, want); err != nil {
							t.Errorf("run %d, withPlan %v: %v", i, withPlan, err)
						}
					}
				}
			}
		})
	}
}

// TestIAMValueEdgeCases covers what the plans may not: nil against empty slices and maps, nil
// pointers, and strings that are not valid UTF-8 (json.Marshal writes U+FFFD for each bad byte).
func TestIAMValueEdgeCases(t *testing.T) {
	s := func(v string) *string { return &v }
	bad := "a\xffb\xfe\xfd" + string([]byte{0xe2, 0x82}) + "c"
	full := &facts.PolicyEntry{
		Address: bad, Attribute: "policy", Kind: facts.KindManaged, ARN: s(bad), Status: facts.StatusInvalid,
		Unknown: []string{}, Problems: []facts.Problem{{Path: "$", Message: bad}},
		Document: &facts.Document{Version: "2012-10-17", Statements: []facts.Statement{
			{},
			{
				Index: 3, Sid: bad, Effect: "Allow", Actions: []string{"s3:*", bad}, NotActions: []string{},
				Resources: []string{"*"}, NotResources: nil,
				Principals:    map[string][]string{"AWS": {"*"}, "\xff": {"x"}, "\xfe": {"y"}, "Service": nil},
				NotPrincipals: map[string][]string{},
				Conditions: []facts.Condition{
					{Operator: "StringEquals", IfExists: true, Values: []string{bad, "", "\u2028<&>"}},
					{},
				},
			},
		}},
	}
	cases := map[string]*facts.IAM{
		"nil":   nil,
		"zero":  {},
		"empty": {Roles: []*facts.Role{}, NodeRoles: []facts.NodeRole{}},
		"full": {
			Roles: []*facts.Role{
				nil,
				{},
				{
					Address: bad, Module: "module.m", Name: s(bad), NamePrefix: s(""), Action: "create",
					Karpenter: facts.Detection{Detected: true, By: []string{facts.ByConfig}},
					Trust:     &facts.PolicyEntry{Document: &facts.Document{Statements: []facts.Statement{}}},
					Policies:  []*facts.PolicyEntry{full, nil, {}},
					Removed:   []facts.Removed{{}, {Address: bad, Attribute: "policy_arn", Policy: bad, ARN: s(bad), Name: s(""), By: bad}},
					Context: &facts.Context{
						Region: "eu-west-1", Regions: []string{}, Accounts: nil,
						Sources:      map[string]string{"region": "config", bad: bad, "\xff": "1", "\xfe": "2"},
						NodeRoleARNs: []string{}, QueueARNs: []string{bad},
						ServiceAccount: bad, Network: &facts.Network{SourceIP: "203.0.113.7", SourceVPCE: bad},
					},
				},
				{Karpenter: facts.Detection{By: []string{}}, Policies: []*facts.PolicyEntry{}, Removed: []facts.Removed{}, Context: &facts.Context{Sources: map[string]string{}}},
				{Context: &facts.Context{Network: &facts.Network{}}},
			},
			KarpenterRoles: 12345678,
			NodeRoles:      []facts.NodeRole{{}, {Address: bad, Name: s("n"), ARN: s(bad)}},
		},
	}
	for name, iam := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(iam)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := util.UnmarshalJSON(b, &doc); err != nil {
				t.Fatal(err)
			}
			want, err := ast.InterfaceToValue(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameValue(iamValue(iam), want); err != nil {
				t.Errorf("%v\nJSON: %s", err, b)
			}
		})
	}
}

// TestInputPlanErrors: a number OPA cannot evaluate fails as it did through InterfaceToValue,
// and text that is not JSON is an input error.
func TestInputPlanErrors(t *testing.T) {
	p := &plan.Plan{Name: "p.json", Kind: plan.KindPlan, Raw: []byte(`{"format_version":"1.2","x":1e100000}`)}
	_, err := buildInput(p, &facts.IAM{}, Run{}, true)
	if err == nil || !strings.Contains(err.Error(), "p.json: build input: ") || !strings.Contains(err.Error(), "invalid number") {
		t.Errorf("1e400: got %v", err)
	}
	if _, werr := roundTripInput(p, &facts.IAM{}, Run{}, true); werr == nil || !strings.HasSuffix(err.Error(), werr.Error()) {
		t.Errorf("1e400: got %v, the round trip gave %v", err, werr)
	}
	p.Raw = []byte(`{"format_version":"1.2",}`)
	_, err = buildInput(p, &facts.IAM{}, Run{}, true)
	var ie *plan.InputError
	if !errorsAs(err, &ie) || !strings.Contains(ie.Problem, "decode for input.plan") {
		t.Errorf("invalid JSON: got %v", err)
	}
	// Without a policy that reads input.plan, the text is not looked at.
	if _, err := buildInput(p, &facts.IAM{}, Run{}, false); err != nil {
		t.Errorf("without input.plan: %v", err)
	}
}

func errorsAs(err error, target **plan.InputError) bool {
	ie, ok := err.(*plan.InputError)
	if ok {
		*target = ie
	}
	return ok
}

// TestSameValueIsStrict: the comparison the tests rely on sees what ast.Compare does not.
func TestSameValueIsStrict(t *testing.T) {
	one, oneDot := ast.Number("1"), ast.Number("1.0")
	if ast.Compare(one, oneDot) != 0 || sameValue(one, oneDot) == nil {
		t.Error("1 and 1.0: want Compare equal and sameValue different")
	}
	a := ast.NewObject(ast.Item(ast.StringTerm("k"), ast.NewTerm(one)))
	b := ast.NewObject(ast.Item(ast.StringTerm("k"), ast.NewTerm(oneDot)))
	if err := sameValue(ast.NewArray(ast.NewTerm(a)), ast.NewArray(ast.NewTerm(b))); err == nil || !strings.Contains(err.Error(), `$[0]."k": number`) {
		t.Errorf("nested difference: got %v", err)
	}
	dup := ast.NewObject(ast.Item(ast.StringTerm("k"), ast.NewTerm(one)), ast.Item(ast.StringTerm("k"), ast.NewTerm(one)))
	if sameValue(dup, a) == nil {
		t.Error("an object with a repeated key compared equal to one without")
	}
}

// TestIAMValueOfManyRolesEqualsRoundTrip covers the conversion split across cores: a generated
// plan with more roles than parallelRoles gives exactly the value of the JSON round trip.
//
// With -short (make test runs it so under the race detector) the roles of a small generated plan
// are repeated instead: the same split, at a fraction of the cost of an 8000-resource plan.
func TestIAMValueOfManyRolesEqualsRoundTrip(t *testing.T) {
	var p *plan.Plan
	var iam *facts.IAM
	if testing.Short() {
		p = parseTestPlan(t, "generated.json", generatedPlan(t))
		iam = facts.Build(p, facts.Options{})
		if len(iam.Roles) == 0 {
			t.Fatal("the generated plan has no roles")
		}
		few := iam.Roles
		for len(iam.Roles) < parallelRoles+len(few) {
			iam.Roles = append(iam.Roles, few...)
		}
	} else {
		var buf bytes.Buffer
		if err := plangen.Write(&buf, 8000, 3); err != nil {
			t.Fatal(err)
		}
		p = parseTestPlan(t, "many-roles.json", buf.Bytes())
		iam = facts.Build(p, facts.Options{})
	}
	if len(iam.Roles) < parallelRoles {
		t.Fatalf("%d roles: the plan does not exercise the split", len(iam.Roles))
	}
	got, err := buildInput(p, iam, Run{}, false)
	if err != nil {
		t.Fatal(err)
	}
	want, err := roundTripInput(p, iam, Run{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameValue(got, want); err != nil {
		t.Error(err)
	}
}
