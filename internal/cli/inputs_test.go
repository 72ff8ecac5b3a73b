package cli

import (
	"os"
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
