package cli

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestBinaryPlanGetsTheShowHint: the zip `terraform plan -out tfplan` writes (a real one, from
// Terraform 1.11) is an input error with the command that makes JSON of it, from a file and from
// stdin.
func TestBinaryPlanGetsTheShowHint(t *testing.T) {
	const tfplan = "testdata/tfplan/tfplan"
	raw, err := os.ReadFile(tfplan)
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{"file": {"scan", tfplan}, "stdin": {"scan", "-"}} {
		t.Run(name, func(t *testing.T) {
			code, out, stderr := run(t, string(raw), args...)
			if code != ExitInput || out != "" {
				t.Fatalf("exit %d, stdout %q", code, out)
			}
			if !strings.Contains(stderr, "terraform show -json tfplan > plan.json") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr %q lacks the one-line hint", stderr)
			}
		})
	}
}

// TestPlanWithoutIAMSaysNothingWasChecked: a plan with no IAM role passes by default with a
// KARP021 note that says so, and --fail-on note fails it.
func TestPlanWithoutIAMSaysNothingWasChecked(t *testing.T) {
	const p = "../../testdata/plans/no-iam/plan.json"
	code, out, stderr := run(t, "", "scan", "--color", "never", p)
	if code != ExitPass || !strings.Contains(out, "KARP021") || !strings.Contains(out, "no IAM role") {
		t.Errorf("default gate: exit %d: %s %s", code, out, stderr)
	}
	if code, out, _ := run(t, "", "scan", "--color", "never", "--fail-on", "note", p); code != ExitPolicy || !strings.Contains(out, "FAILED") {
		t.Errorf("--fail-on note: exit %d: %s", code, out)
	}
}

// TestDirectoryArgumentScansEveryJSONPlan: a directory is every *.json in it, reported together;
// one that is not a plan fails closed, and an empty directory is an input error.
func TestDirectoryArgumentScansEveryJSONPlan(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"a.json": "../../testdata/plans/eks-v20.24-v033/plan.json", "b.json": "../../testdata/plans/upstream-v1/plan.json", "notes.txt": "../../testdata/plans/README.md"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := run(t, "", "scan", "--format", "json", dir)
	if code != ExitPolicy {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Plans []string `json:"plans"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if want := []string{dir + "/a.json", dir + "/b.json"}; !slices.Equal(res.Plans, want) {
		t.Errorf("plans %v, want %v", res.Plans, want)
	}
	if err := os.WriteFile(dir+"/c.json", []byte(`{"not":"a plan"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "", "scan", dir); code != ExitInput || !strings.Contains(stderr, "c.json") {
		t.Errorf("a non-plan .json: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "scan", t.TempDir()); code != ExitInput || !strings.Contains(stderr, "no *.json plan") {
		t.Errorf("an empty directory: exit %d: %s", code, stderr)
	}
}

// TestQuietPrintsOnlyTheSummary: --quiet leaves the summary line on stdout; a report file still
// gets everything.
func TestQuietPrintsOnlyTheSummary(t *testing.T) {
	const p = "../../testdata/plans/eks-v20.24-v033/plan.json"
	file := t.TempDir() + "/report.txt"
	code, out, _ := run(t, "", "scan", "--quiet", "--color", "never", "--format", "text", "--format", "text="+file, p)
	if code != ExitPolicy || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "karpgate: ") || !strings.Contains(out, "FAILED") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "KARP001") {
		t.Errorf("the report file lost its findings: %v %.200s", err, b)
	}
}

// TestCleanScanNamesWhatItChecked: a passing scan names each Karpenter role and how many
// Karpenter requests were simulated against it, in text, Markdown and JSON.
func TestCleanScanNamesWhatItChecked(t *testing.T) {
	const p = "../../testdata/plans/nested-for-each/plan.json"
	dir := t.TempDir()
	code, out, stderr := run(t, "", "scan", "--color", "never", "--karpenter-version", "1.0.0", "--format", "text", "--format", "markdown="+dir+"/c.md", "--format", "json="+dir+"/r.json", p)
	if code != ExitPass {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	md, _ := os.ReadFile(dir + "/c.md")
	for _, role := range []string{`module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`, `module.clusters["staging"].module.karpenter.aws_iam_role.controller[0]`} {
		if !strings.Contains(out, "checked "+role+": ") || !strings.Contains(string(md), "Checked `"+role+"`: ") {
			t.Errorf("text or Markdown does not name %s:\n%s\n%s", role, out, md)
		}
	}
	var res struct {
		Checked []struct {
			Role          string `json:"role"`
			Requests      int    `json:"requests"`
			Version       string `json:"version"`
			Compatibility string `json:"compatibility"`
		} `json:"checked"`
	}
	b, _ := os.ReadFile(dir + "/r.json")
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Checked) != 2 || res.Checked[0].Requests < 10 || res.Checked[0].Requests != res.Checked[1].Requests {
		t.Errorf("checked = %+v", res.Checked)
	}
	if !strings.Contains(out, "Karpenter requests simulated") {
		t.Errorf("no request count:\n%s", out)
	}
	// The compatibility line (RULES.md section 7): the v1 policy of the module serves every v1
	// version; v0.x launches lack the v1 tags its launch statements require.
	const line = "works with v1.0+; v0.32-v0.37 break launch"
	for _, c := range res.Checked {
		if c.Version != "Karpenter 1.0.0 (--karpenter-version)" || c.Compatibility != line {
			t.Errorf("checked %s: version %q, compatibility %q; want %q", c.Role, c.Version, c.Compatibility, line)
		}
	}
	if !strings.Contains(out, "; "+line) || !strings.Contains(string(md), "; "+line) {
		t.Errorf("text or Markdown lacks the compatibility line:\n%s\n%s", out, md)
	}
}

// TestCompatibilityLineOfAV0Policy: a v0.33-era policy deployed as Karpenter 0.37 works with
// v0.32-v0.37 (the module also grants what v0.32 needs) and breaks tagging from v1.0 (RULES.md
// section 7).
func TestCompatibilityLineOfAV0Policy(t *testing.T) {
	code, out, stderr := run(t, "", "scan", "--no-config", "--color", "never", "--karpenter-version", "0.37.0", "../../testdata/plans/eks-v20.24-v033/plan.json")
	if code > 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "works with v0.32-v0.37; v1.0+ breaks tagging") {
		t.Errorf("no compatibility line:\n%s", out)
	}
}
