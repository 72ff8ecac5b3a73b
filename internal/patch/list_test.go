package patch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/source"
)

func entryFinding(ee ...findings.EntryEdit) findings.Finding {
	return findings.Finding{RuleID: "KARP014", Edit: &findings.Edit{Module: "module.karpenter", Entries: ee}}
}

// statements parses the patched file and returns its module's iam_policy_statements value.
func statements(t *testing.T, path string) cty.Value {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("the patched file does not parse: %s\n%s", diags.Error(), src)
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if a, ok := b.Body.Attributes["iam_policy_statements"]; ok && b.Type == "module" {
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				t.Fatalf("iam_policy_statements: %s", diags.Error())
			}
			return v
		}
	}
	t.Fatalf("no iam_policy_statements in\n%s", src)
	return cty.NilVal
}

func TestDiffEditsListEntries(t *testing.T) {
	cond := map[string]any{"test": "StringLike", "variable": "aws:ResourceTag/karpenter.sh/nodepool", "values": []any{"*"}}
	added := map[string]any{"sid": "AllowScopedResourceTagging", "actions": []any{"ec2:CreateTags"}, "resources": []any{"arn:aws:ec2:eu-west-1:*:instance/*"}}
	for _, tc := range []struct {
		name, src string
		edits     []findings.EntryEdit
		check     func(t *testing.T, v cty.Value, text string)
	}{
		{
			name: "a condition added to a one-line entry, the other entry and the comment kept",
			src: `module "karpenter" {
  source = "../modules/karpenter-v20.24"
  iam_policy_statements = [
    { sid = "Other", actions = ["s3:GetObject"], resources = ["*"] }, # kept
    { sid = "Tagging", actions = ["ec2:CreateTags"], resources = ["arn:aws:ec2:*:*:instance/*"] }
  ]
}
`,
			edits: []findings.EntryEdit{{Argument: "iam_policy_statements", Sid: "Tagging", Set: map[string]any{"conditions": []any{cond}}}},
			check: func(t *testing.T, v cty.Value, text string) {
				if n := v.LengthInt(); n != 2 {
					t.Fatalf("%d entries, want 2", n)
				}
				c := v.Index(cty.NumberIntVal(1)).GetAttr("conditions").Index(cty.NumberIntVal(0))
				if c.GetAttr("variable").AsString() != "aws:ResourceTag/karpenter.sh/nodepool" {
					t.Errorf("condition %v", c)
				}
				if !strings.Contains(text, "# kept") {
					t.Errorf("the comment was lost:\n%s", text)
				}
			},
		},
		{
			name: "an entry appended to a list without a trailing comma",
			src: `module "karpenter" {
  iam_policy_statements = [
    {
      sid     = "Other"
      actions = ["s3:GetObject"]
    }
  ]
}
`,
			edits: []findings.EntryEdit{{Argument: "iam_policy_statements", Append: added}, {Argument: "iam_policy_statements", Append: added}},
			check: func(t *testing.T, v cty.Value, _ string) {
				if n := v.LengthInt(); n != 2 {
					t.Fatalf("%d entries, want 2 (the same entry added once)", n)
				}
				if v.Index(cty.NumberIntVal(1)).GetAttr("sid").AsString() != "AllowScopedResourceTagging" {
					t.Errorf("the new entry: %v", v.Index(cty.NumberIntVal(1)))
				}
			},
		},
		{
			name:  "the list created when the call does not set it",
			src:   "module \"karpenter\" {\n  source = \"../modules/karpenter-v21\"\n}\n",
			edits: []findings.EntryEdit{{Argument: "iam_policy_statements", Append: added}},
			check: func(t *testing.T, v cty.Value, _ string) {
				if v.LengthInt() != 1 || v.Index(cty.NumberIntVal(0)).GetAttr("actions").Index(cty.NumberIntVal(0)).AsString() != "ec2:CreateTags" {
					t.Errorf("iam_policy_statements = %v", v)
				}
			},
		},
		{
			name: "two different entries appended where the call sets no list (a fix of several statements)",
			src:  "module \"karpenter\" {\n  source = \"../modules/karpenter-v21\"\n}\n",
			edits: []findings.EntryEdit{
				{Argument: "iam_policy_statements", Append: map[string]any{"sid": "AllowKarpenterUnscopedReadActions", "actions": []any{"ec2:DescribePlacementGroups"}, "resources": []any{"*"}}},
				{Argument: "iam_policy_statements", Append: map[string]any{"sid": "AllowKarpenterEC2ScopedActions", "actions": []any{"ec2:CreateFleet", "ec2:RunInstances"}, "resources": []any{"arn:aws:ec2:eu-west-1:111122223333:placement-group/*"}}},
			},
			check: func(t *testing.T, v cty.Value, _ string) {
				if n := v.LengthInt(); n != 2 {
					t.Fatalf("%d entries, want 2", n)
				}
				if v.Index(cty.NumberIntVal(0)).GetAttr("sid").AsString() != "AllowKarpenterUnscopedReadActions" || v.Index(cty.NumberIntVal(1)).GetAttr("sid").AsString() != "AllowKarpenterEC2ScopedActions" {
					t.Errorf("iam_policy_statements = %v", v)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := source.Index(dir, dir)
			if err != nil {
				t.Fatal(err)
			}
			var fs []findings.Finding
			for _, e := range tc.edits {
				fs = append(fs, entryFinding(e))
			}
			diff := Diff(m, fs, "")
			if strings.Contains(string(diff), "# karpgate") {
				t.Fatalf("notes in the diff:\n%s", diff)
			}
			applyPatch(t, dir, diff)
			b, _ := os.ReadFile(filepath.Join(dir, "main.tf"))
			tc.check(t, statements(t, filepath.Join(dir, "main.tf")), string(b))
		})
	}
}

func TestDiffNotesAnEntryItCannotFind(t *testing.T) {
	dir := t.TempDir()
	src := "module \"karpenter\" {\n  iam_policy_statements = var.statements\n}\nmodule \"other\" {\n  iam_policy_statements = [{ sid = \"A\" }]\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := source.Index(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]any{"conditions": []any{}}
	for _, tc := range []struct {
		name string
		f    findings.Finding
		want string
	}{
		{"a list from a variable", entryFinding(findings.EntryEdit{Argument: "iam_policy_statements", Sid: "A", Set: set}), "not a list written out in the module block"},
		{"no entry with the sid", findings.Finding{Edit: &findings.Edit{Module: "module.other", Entries: []findings.EntryEdit{{Argument: "iam_policy_statements", Sid: "B", Set: set}}}}, "no entry with sid \"B\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Diff(m, []findings.Finding{tc.f}, ""))
			if !strings.HasPrefix(got, "# karpgate: main.tf: ") || !strings.Contains(got, tc.want) || strings.Contains(got, "---") {
				t.Errorf("got %q, want a note with %q and no diff", got, tc.want)
			}
		})
	}
}
