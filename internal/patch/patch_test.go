package patch

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/source"
)

// applyPatch applies diff in dir with patch -p1, as a user would.
func applyPatch(t *testing.T, dir string, diff []byte) {
	t.Helper()
	bin, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("no patch command on PATH")
	}
	cmd := exec.Command(bin, "-p1", "--batch", "--forward")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(diff)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch -p1: %v\n%s\ndiff:\n%s", err, out, diff)
	}
}

// moduleArgs parses a file and returns the constant arguments of its module block as HCL text.
func moduleArgs(t *testing.T, path, name string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("the patched file does not parse: %s", diags.Error())
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "module" || len(b.Labels) != 1 || b.Labels[0] != name {
			continue
		}
		out := map[string]string{}
		for k, a := range b.Body.Attributes {
			r := a.Expr.Range()
			out[k] = string(src[r.Start.Byte:r.End.Byte])
		}
		return out
	}
	t.Fatalf("no module %q block in %s", name, path)
	return nil
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func switchFinding(module string) findings.Finding {
	return findings.Finding{RuleID: "KARP001", Address: module + ".aws_iam_policy.controller[0]", Edit: &findings.Edit{Module: module, Arguments: map[string]any{"enable_v1_permissions": true}}}
}

func TestDiffTurnsOnTheSwitchOfTheScenario(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "../../testdata/tf/eks-v20.24-v033/main.tf", filepath.Join(dir, "main.tf"))
	m, err := source.Index(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	f := switchFinding("module.karpenter")
	// Two findings with the same edit make one change; a suppressed one none.
	suppressed := switchFinding("module.other")
	suppressed.Suppression = &findings.Suppression{Reason: "later"}
	diff := Diff(m, []findings.Finding{f, f, suppressed}, "")
	for _, want := range []string{"--- a/main.tf\n+++ b/main.tf\n", "\n-  enable_v1_permissions = false\n", "\n+  enable_v1_permissions = true\n"} {
		if !strings.Contains(string(diff), want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	if strings.Contains(string(diff), "module.other") || strings.Contains(string(diff), "# karpgate") {
		t.Errorf("the diff has notes or the suppressed finding's module:\n%s", diff)
	}
	applyPatch(t, dir, diff)
	got := moduleArgs(t, filepath.Join(dir, "main.tf"), "karpenter")
	// The patched configuration is the eks-v20.24-v1 scenario's, whose plan (made by Terraform
	// from it) scans clean: internal/cli's test scans it.
	want := moduleArgs(t, "../../testdata/tf/eks-v20.24-v1/main.tf", "karpenter")
	if len(got) != len(want) {
		t.Errorf("arguments %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
}

func TestDiffUpgradesARegistryModule(t *testing.T) {
	dir := t.TempDir()
	src := "module \"karpenter\" {\n  source  = \"terraform-aws-modules/eks/aws//modules/karpenter\"\n  version = \"~> 20.0\"\n\n  cluster_name = \"prod\" # the cluster\n}"
	if err := os.WriteFile(filepath.Join(dir, "karpenter.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := source.Index(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	f := switchFinding("module.karpenter")
	f.Edit.Version = "~> 20.24"
	diff := Diff(m, []findings.Finding{f}, "")
	if !strings.Contains(string(diff), "\\ No newline at end of file") {
		t.Errorf("a file without a final newline: no marker in\n%s", diff)
	}
	applyPatch(t, dir, diff)
	got := moduleArgs(t, filepath.Join(dir, "karpenter.tf"), "karpenter")
	for k, v := range map[string]string{"version": `"~> 20.24"`, "enable_v1_permissions": "true", "cluster_name": `"prod"`, "source": `"terraform-aws-modules/eks/aws//modules/karpenter"`} {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "karpenter.tf"))
	if !strings.Contains(string(b), "# the cluster") {
		t.Errorf("the comment was lost:\n%s", b)
	}
}

func TestDiffNotesWhatItCannotEdit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("module \"eks\" {\n  source = \"terraform-aws-modules/eks/aws\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := source.Index(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		src  Sources
		f    findings.Finding
		want string
	}{
		{"no sources", nil, switchFinding("module.karpenter"), "# karpgate: module.karpenter: no Terraform sources to edit (give the sources); set enable_v1_permissions = true by hand\n"},
		{"no such module block", m, switchFinding("module.karpenter"), "# karpgate: module.karpenter: no module \"karpenter\" block in .; set enable_v1_permissions = true by hand\n"},
		{"a module inside a registry module", m, switchFinding("module.eks.module.karpenter"), "# karpgate: module.eks.module.karpenter: module eks: "},
		{"no finding with an edit", m, findings.Finding{RuleID: "KARP011"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Diff(tc.src, []findings.Finding{tc.f}, "give the sources"))
			if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want it to start with %q", got, tc.want)
			}
			if strings.Contains(got, "---") {
				t.Errorf("a diff where nothing could be edited:\n%s", got)
			}
		})
	}
}

func TestDiffWithoutAHintNamesNoWayToGiveSources(t *testing.T) {
	got := string(Diff(nil, []findings.Finding{switchFinding("module.karpenter")}, ""))
	want := "# karpgate: module.karpenter: no Terraform sources to edit; set enable_v1_permissions = true by hand\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnifiedAppliesWithPatch(t *testing.T) {
	for _, tc := range []struct{ name, before, after string }{
		{"a changed line in the middle", "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n"},
		{"a line added at the end", "a\nb\n", "a\nb\nc\n"},
		{"two changes far apart", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "one\n2\n3\n4\n5\n6\n7\n8\n9\nten\n"},
		{"no final newline", "a\nb", "a\nB"},
		{"a final newline added", "a\nb", "a\nb\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f.tf"), []byte(tc.before), 0o644); err != nil {
				t.Fatal(err)
			}
			applyPatch(t, dir, unified("f.tf", []byte(tc.before), []byte(tc.after)))
			got, err := os.ReadFile(filepath.Join(dir, "f.tf"))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.after {
				t.Errorf("patched %q, want %q", got, tc.after)
			}
		})
	}
	if d := unified("f.tf", []byte("same\n"), []byte("same\n")); d != nil {
		t.Errorf("a diff of equal files: %q", d)
	}
}
