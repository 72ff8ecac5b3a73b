package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/scan"
)

func newEngine(t *testing.T, opt engine.Options) *engine.Engine {
	t.Helper()
	eng, err := engine.New(context.Background(), opt)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	return eng
}

// wantPolicyError asserts err is a policy error (exit code 4) whose message holds every part.
// wantHint requires a PolicyError about the setting h, which the caller names.
func wantHint(t *testing.T, err error, h engine.Hint) {
	t.Helper()
	var pe *engine.PolicyError
	if !errors.As(err, &pe) || pe.Hint != h {
		t.Errorf("error %v does not carry hint %d", err, h)
	}
}

func wantPolicyError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want a policy error")
	}
	if !errors.Is(err, engine.ErrPolicy) {
		t.Fatalf("error %q is not a policy error", err)
	}
	t.Logf("error: %v", err)
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is more than one line", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func rule(t *testing.T, eng *engine.Engine, id string) findings.Rule {
	t.Helper()
	for _, r := range eng.Rules() {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no rule %s in the catalog", id)
	return findings.Rule{}
}

// iamInput is an input whose one Karpenter role has one policy with the given statements.
func iamInput(t *testing.T, statements ...map[string]any) ast.Value {
	t.Helper()
	doc := map[string]any{"iam": map[string]any{"roles": []any{map[string]any{
		"address":   "module.karpenter.aws_iam_role.controller[0]",
		"karpenter": map[string]any{"detected": true, "by": []any{"module"}},
		"policies": []any{map[string]any{
			"address":   "module.karpenter.aws_iam_policy.controller[0]",
			"attribute": "policy",
			"status":    "known",
			"document":  map[string]any{"statements": statements},
		}},
	}}}, "plan": map[string]any{"format_version": "1.2", "resource_changes": []any{}}}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := util.UnmarshalJSON(raw, &v); err != nil {
		t.Fatal(err)
	}
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return val
}

func statement(sid string, actions ...string) map[string]any {
	a := make([]any, len(actions))
	for i, x := range actions {
		a[i] = x
	}
	return map[string]any{"index": 0, "sid": sid, "effect": "Allow", "actions": a, "not_actions": []any{}, "resources": []any{"*"}, "not_resources": []any{}, "conditions": []any{}}
}

func TestCatalogFromMetadata(t *testing.T) {
	eng := newEngine(t, engine.Options{Policies: []string{"testdata/native_ok"}})
	k := rule(t, eng, "KARP010")
	if k.Title == "" || k.Remediation == "" || k.Severity != findings.Error || k.Custom || k.Package != "data.karpgate.rules.wildcard_action" {
		t.Errorf("KARP010 = %+v", k)
	}
	u := rule(t, eng, "ACME100")
	want := findings.Rule{
		ID: "ACME100", Name: "acme_owner", Package: "data.karpgate.rules.acme_owner",
		Title: "Karpenter role without an owner", Description: "A Karpenter role must name its owner in data.karpgate.user.owners.",
		Severity: findings.Warning, Remediation: "Add the role's address to data.karpgate.user.owners.",
		Related: []string{"https://example.com/acme/iam-standards"}, Tags: []string{"acme"}, Enabled: true, Custom: true,
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("ACME100 =\n%+v, want\n%+v", u, want)
	}
	if !slices.IsSortedFunc(eng.Rules(), func(a, b findings.Rule) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("catalog is not sorted by id")
	}
}

func TestNativeRuleWithoutRemediationIsRefused(t *testing.T) {
	_, err := engine.New(context.Background(), engine.Options{Policies: []string{"testdata/no_remediation"}})
	wantPolicyError(t, err, "testdata/no_remediation/rule.rego:9:", "custom.remediation")
}

func TestUserPackageOverlappingTheLibraryIsRefused(t *testing.T) {
	_, err := engine.New(context.Background(), engine.Options{Policies: []string{"testdata/overlap_lib"}})
	wantPolicyError(t, err, "testdata/overlap_lib/lib.rego:1:", "karpgate.lib.iam_extra", "overlaps")
}

func TestUserDataOutsideKarpgateUserIsRefused(t *testing.T) {
	_, err := engine.New(context.Background(), engine.Options{Data: []string{"testdata/baddata"}})
	wantPolicyError(t, err, "data.karpgate.lib", "data.karpgate.user")
}

func TestHTTPSendNeedsAllowNet(t *testing.T) {
	_, err := engine.New(context.Background(), engine.Options{Policies: []string{"testdata/net"}})
	wantPolicyError(t, err, "testdata/net/net.rego:4:", "http.send", "network builtins are disabled")
	wantHint(t, err, engine.HintAllowNet)
	newEngine(t, engine.Options{Policies: []string{"testdata/net"}, AllowNet: true})
}

func TestEndlessRuleHitsTheTimeout(t *testing.T) {
	eng := newEngine(t, engine.Options{Policies: []string{"testdata/loop"}, NoDefaultRules: true, Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := eng.Eval(context.Background(), iamInput(t))
	wantPolicyError(t, err, "time limit", "300ms")
	wantHint(t, err, engine.HintTimeout)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("evaluation took %s after a 300ms limit", d)
	}
}

func TestUserDataIsVisibleToRules(t *testing.T) {
	eng := newEngine(t, engine.Options{Policies: []string{"testdata/userdata"}, NoDefaultRules: true})
	fs, err := eng.Eval(context.Background(), iamInput(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].RuleID != "ACME103" || fs[0].Message != "hello from data.karpgate.user" || fs[0].Severity != findings.Note {
		t.Fatalf("findings = %+v", fs)
	}
}

// TestConftestRuleIDs scans a plan with a conftest policy whose rules read input.plan: a rule
// without METADATA is <namespace>/<rule>, a rule with METADATA uses custom.id, and a result that
// carries an id reports under it, with a catalog entry derived from its rule. input.plan is the
// plan JSON exactly as the file holds it.
func TestConftestRuleIDs(t *testing.T) {
	const planFile = "../../testdata/plans/careless-ec2-star/plan.json"
	eng := newEngine(t, engine.Options{Policies: []string{"testdata/conftest", "testdata/conftest_echo"}, Namespaces: []string{"main", "echo"}})
	if !eng.UsesPlan() {
		t.Fatal("UsesPlan() = false for policies that read input.plan")
	}
	sc := scan.New(eng, scan.Options{Today: "2026-01-01"})
	res, err := sc.Scan(context.Background(), []scan.Source{{Name: planFile}}, scan.Run{})
	if err != nil {
		t.Fatal(err)
	}
	byRule := map[string][]findings.Finding{}
	for _, f := range res.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	if got := byRule["main/deny_public"]; len(got) != 1 || got[0].Message != "aws_iam_policy.karpenter_ec2_fix grants ec2:*" || got[0].Severity != findings.Error {
		t.Errorf("main/deny_public findings = %+v", got)
	}
	if got := byRule["ACME-CF-001"]; len(got) != 2 || got[0].Severity != findings.Warning || got[0].Address == "" {
		t.Errorf("ACME-CF-001 findings = %+v", got)
	}
	if got := byRule["ACME-CF-002"]; len(got) != 3 || !strings.Contains(got[0].Message, "AWS managed policy") {
		t.Errorf("ACME-CF-002 findings = %+v", got)
	}
	if _, ok := byRule["main/violation"]; ok {
		t.Error("a result with its own id also reported under main/violation")
	}
	if r := rule(t, eng, "ACME-CF-001"); r.Title != "IAM roles need an owner tag" || r.Package != "data.main" {
		t.Errorf("ACME-CF-001 = %+v", r)
	}
	if r := rule(t, eng, "ACME-CF-002"); r.Name != "main/violation" || !r.Custom || r.Severity != findings.Error {
		t.Errorf("derived ACME-CF-002 = %+v", r)
	}
	var ids []string
	for _, r := range res.Rules {
		ids = append(ids, r.ID)
	}
	for _, id := range []string{"main/deny_public", "ACME-CF-001", "ACME-CF-002", "echo/warn"} {
		if !slices.Contains(ids, id) {
			t.Errorf("result rules %v lack %s", ids, id)
		}
	}

	echo := byRule["echo/warn"]
	if len(echo) != 1 {
		t.Fatalf("echo/warn findings = %d", len(echo))
	}
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := util.NewJSONDecoder(bytes.NewReader(raw)).Decode(&want); err != nil {
		t.Fatal(err)
	}
	if err := util.NewJSONDecoder(strings.NewReader(echo[0].Message)).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("input.plan differs from the plan file")
	}
}

func TestConftestResultMayNotUseAnEmbeddedID(t *testing.T) {
	dir := t.TempDir()
	src := `package main

deny contains {"msg": "impostor", "id": "KARP010"}
`
	if err := os.WriteFile(dir+"/p.rego", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, engine.Options{Policies: []string{dir}})
	_, err := eng.Eval(context.Background(), iamInput(t))
	wantPolicyError(t, err, "KARP010", "data.karpgate.rules.wildcard_action")
}

func TestRunTests(t *testing.T) {
	ctx := context.Background()
	rep, err := engine.RunTests(ctx, engine.TestOptions{Paths: []string{"../../bundles/example"}, Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, failed, _ := rep.Tally(); failed > 0 || len(rep.Results) < 5 {
		t.Fatalf("results = %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.File, "karpgate:") {
			t.Errorf("embedded test %s reported", r.Name)
		}
	}
	const ruleFile = "../../bundles/example/karpgate/rules/example/privilege_escalation.rego"
	if cov, ok := rep.Coverage[ruleFile]; !ok || cov < 90 {
		t.Errorf("coverage = %v", rep.Coverage)
	}

	rep, err = engine.RunTests(ctx, engine.TestOptions{Paths: []string{"../../bundles/example"}, Run: regexp.MustCompile("test_deny_iam_wildcard$")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || !rep.Results[0].Pass {
		t.Errorf("--run results = %+v", rep.Results)
	}

	rep, err = engine.RunTests(ctx, engine.TestOptions{Paths: []string{"testdata/tests_failing"}})
	if err != nil {
		t.Fatal(err)
	}
	if passed, failed, skipped := rep.Tally(); passed != 1 || failed != 1 || skipped != 0 || len(rep.Results) != 2 {
		t.Errorf("failing results = %+v", rep.Results)
	}

	_, err = engine.RunTests(ctx, engine.TestOptions{Paths: []string{"testdata/tests_broken"}})
	wantPolicyError(t, err, "tests_broken/rule_test.rego:4:", "undefined_function")

	_, err = engine.RunTests(ctx, engine.TestOptions{Paths: []string{"testdata/no_remediation"}})
	wantPolicyError(t, err, "custom.remediation")

}
