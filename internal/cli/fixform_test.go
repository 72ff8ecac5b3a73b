package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// fixCode is the code of a fix: every line from the first that is not its prose first line.
func fixCode(fix string) string {
	_, code, _ := strings.Cut(fix, "\n")
	return strings.TrimSpace(code)
}

// scanFix scans a scenario's plan with its .tf sources (or none) and returns its one finding of
// rule: its fix and the form it is written for.
func scanFix(t *testing.T, scenario, rule string, sources bool, extra ...string) (fix, form string) {
	t.Helper()
	args := append([]string{"scan", "--no-config", "--format", "json", "--karpenter-version", "1.0.0"}, extra...)
	if sources {
		args = append(args, "--source-dir", "../../testdata/tf/"+scenario, "--repo-root", "../../testdata/tf")
	}
	_, out, stderr := run(t, "", append(args, "../../testdata/plans/"+scenario+"/plan.json")...)
	var got struct {
		Findings []struct {
			RuleID  string `json:"rule_id"`
			Fix     string `json:"fix"`
			FixForm string `json:"fix_form"`
			Forms   any    `json:"fix_forms"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%s: output is not JSON: %v\n%s%s", scenario, err, out, stderr)
	}
	n := 0
	for _, f := range got.Findings {
		if f.Forms != nil {
			t.Errorf("%s: the report carries every form of the fix", scenario)
		}
		if f.RuleID == rule {
			fix, form = f.Fix, f.FixForm
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%s: %d %s findings, want 1:\n%s", scenario, n, rule, out)
	}
	return fix, form
}

// conditionsOf reads {test, variable, values} condition triples from a parsed HCL value (a list of
// objects) into operator -> key -> values.
func conditionsOf(t *testing.T, v cty.Value) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	for it := v.ElementIterator(); it.Next(); {
		_, c := it.Element()
		op, key := c.GetAttr("test").AsString(), c.GetAttr("variable").AsString()
		if out[op] == nil {
			out[op] = map[string][]string{}
		}
		for vit := c.GetAttr("values").ElementIterator(); vit.Next(); {
			_, x := vit.Element()
			out[op][key] = append(out[op][key], x.AsString())
		}
	}
	return out
}

// ownership is what every KARP014 fix of these scenarios adds, with the cluster filled in.
var ownership = map[string]map[string][]string{
	"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/prod": {"owned"}},
	"StringLike":   {"aws:ResourceTag/karpenter.sh/nodepool": {"*"}},
}

func sameConditions(t *testing.T, scenario string, got map[string]map[string][]string) {
	t.Helper()
	for op, keys := range ownership {
		for k, vs := range keys {
			if strings.Join(got[op][k], ",") != strings.Join(vs, ",") {
				t.Errorf("%s: the fix's %s %s = %v, want %v (all: %v)", scenario, op, k, got[op][k], vs, got)
			}
		}
	}
}

// TestFixInTheSyntaxOfThePolicy: the KARP014 fix of a statement written in an
// aws_iam_policy_document, in jsonencode(...) and in heredoc JSON is printed in that syntax, parses
// in it, holds the known cluster (no placeholder), and is what the passing twin (the scenario with
// "-scoped", planned by Terraform) has in its .tf; that twin scans clean with warnings failing the
// gate.
func TestFixInTheSyntaxOfThePolicy(t *testing.T) {
	for _, tc := range []struct {
		scenario, form string
		// withoutSources is the form the plan's configuration alone gives ("" when it cannot tell).
		withoutSources string
		parse          func(t *testing.T, code string) map[string]map[string][]string
	}{
		{"fix-form-document", "policy_document", "policy_document", func(t *testing.T, code string) map[string]map[string][]string {
			f, diags := hclsyntax.ParseConfig([]byte(code), "fix.tf", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("the fix does not parse as HCL: %s\n%s", diags.Error(), code)
			}
			var cs []cty.Value
			for _, b := range f.Body.(*hclsyntax.Body).Blocks {
				if b.Type != "condition" {
					t.Errorf("a %s block in the fix", b.Type)
				}
				attrs := map[string]cty.Value{}
				for name, a := range b.Body.Attributes {
					v, diags := a.Expr.Value(nil)
					if diags.HasErrors() {
						t.Fatalf("condition %s: %s", name, diags.Error())
					}
					attrs[name] = v
				}
				cs = append(cs, cty.ObjectVal(attrs))
			}
			return conditionsOf(t, cty.TupleVal(cs))
		}},
		{"fix-form-jsonencode", "jsonencode", "", func(t *testing.T, code string) map[string]map[string][]string {
			e, diags := hclsyntax.ParseExpression([]byte(code), "fix.tf", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("the fix does not parse as an HCL expression: %s\n%s", diags.Error(), code)
			}
			v, diags := e.Value(nil)
			if diags.HasErrors() {
				t.Fatalf("the fix is not a constant object: %s", diags.Error())
			}
			out := map[string]map[string][]string{}
			for op, keys := range v.AsValueMap() {
				out[op] = map[string][]string{}
				for k, x := range keys.AsValueMap() {
					out[op][k] = []string{x.AsString()}
				}
			}
			return out
		}},
		{"fix-form-heredoc", "json", "json", func(t *testing.T, code string) map[string]map[string][]string {
			var c map[string]map[string]string
			if err := json.Unmarshal([]byte(code), &c); err != nil {
				t.Fatalf("the fix is not JSON: %v\n%s", err, code)
			}
			out := map[string]map[string][]string{}
			for op, keys := range c {
				out[op] = map[string][]string{}
				for k, x := range keys {
					out[op][k] = []string{x}
				}
			}
			return out
		}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			fix, form := scanFix(t, tc.scenario, "KARP014", true)
			if form != tc.form {
				t.Fatalf("fix_form %q, want %q:\n%s", form, tc.form, fix)
			}
			code := fixCode(fix)
			sameConditions(t, tc.scenario, tc.parse(t, code))
			if strings.Contains(code, "<") || strings.Contains(code, "${") {
				t.Errorf("a placeholder in a fix whose values are known:\n%s", code)
			}
			// The passing twin holds the fix's lines, in order.
			twin, err := os.ReadFile(filepath.Join("../../testdata/tf", tc.scenario+"-scoped", "main.tf"))
			if err != nil {
				t.Fatal(err)
			}
			rest := string(twin)
			for _, line := range strings.Split(code, "\n") {
				line = strings.TrimSpace(line)
				if line == "" || line == "{" || line == "}" {
					continue
				}
				i := strings.Index(rest, line)
				if i < 0 {
					t.Fatalf("the twin %s-scoped lacks the fix's line %q (in order)", tc.scenario, line)
				}
				rest = rest[i+len(line):]
			}
			if code, stdout, stderr := run(t, "", "scan", "--no-config", "--fail-on", "warning", "--karpenter-version", "1.0.0", "../../testdata/plans/"+tc.scenario+"-scoped/plan.json"); code != ExitPass {
				t.Errorf("the twin: exit %d\n%s%s", code, stdout, stderr)
			}

			// A user policy runs the scan in the supervised child: the forms cross back.
			if _, f := scanFix(t, tc.scenario, "KARP014", true, "--policy", "testdata/conftest/v1"); f != tc.form {
				t.Errorf("supervised: fix_form %q, want %q", f, tc.form)
			}

			// Without the sources, the plan's configuration decides; where it cannot, the fix
			// says so and shows a policy document's blocks and JSON.
			fix, form = scanFix(t, tc.scenario, "KARP014", false)
			if form != tc.withoutSources {
				t.Errorf("without sources: fix_form %q, want %q", form, tc.withoutSources)
			}
			if form == "" && (!strings.HasPrefix(fix, "karpgate cannot tell how this policy is written") || !strings.Contains(fix, "condition {") || !strings.Contains(fix, `"aws:ResourceTag/kubernetes.io/cluster/prod": "owned"`)) {
				t.Errorf("without sources, the fix does not say the form is unknown and show both:\n%s", fix)
			}
		})
	}

	// The module's list: the entry in HCL object syntax, conditions as objects.
	t.Run("common-fix", func(t *testing.T) {
		fix, form := scanFix(t, "common-fix", "KARP014", true)
		if form != "" {
			t.Errorf("fix_form %q for a module list entry", form)
		}
		lines := strings.Split(fix, "\n")
		start := 0
		for start < len(lines) && !strings.HasPrefix(lines[start], "module ") {
			start++
		}
		end := start
		for end < len(lines) && lines[end] != "}" {
			end++
		}
		if end == len(lines) {
			t.Fatalf("no module block in the fix:\n%s", fix)
		}
		code := strings.Join(lines[start:end+1], "\n")
		f, diags := hclsyntax.ParseConfig([]byte(code), "fix.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("the fix does not parse as HCL: %s\n%s", diags.Error(), fix)
		}
		blocks := f.Body.(*hclsyntax.Body).Blocks
		if len(blocks) != 1 || blocks[0].Type != "module" {
			t.Fatalf("the fix is not one module block:\n%s", code)
		}
		list, diags := blocks[0].Body.Attributes["iam_policy_statements"].Expr.Value(nil)
		if diags.HasErrors() || list.LengthInt() != 1 {
			t.Fatalf("iam_policy_statements: %v (%s)", list, diags.Error())
		}
		entry := list.Index(cty.NumberIntVal(0))
		if entry.GetAttr("sid").AsString() != "AllowKarpenterV1InstanceTagging" {
			t.Errorf("the entry's sid: %v", entry.GetAttr("sid"))
		}
		got := conditionsOf(t, entry.GetAttr("conditions"))
		sameConditions(t, "common-fix", got)
		if got["StringEquals"]["aws:RequestedRegion"][0] != "eu-west-1" {
			t.Errorf("the entry lost its own condition: %v", got)
		}
	})
}
