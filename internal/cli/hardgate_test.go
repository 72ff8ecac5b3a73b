package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prConfig is what a pull request could add to turn the gate off.
const prConfig = `fail_on: never
rules:
  KARP001: {enabled: false}
  KARP010: {severity: note}
exceptions:
  - rule: KARP002
    address: "module.*"
    reason: "later"
    expires: 2999-01-01
`

// TestConfigFromTheWorkingDirectoryIsReported: a .karpgate.yaml that a pull request adds relaxes
// the gate, and every report says so: the file and each relaxation, in text, Markdown, SARIF run
// properties and JSON.
func TestConfigFromTheWorkingDirectoryIsReported(t *testing.T) {
	plan, err := filepath.Abs("../../testdata/plans/eks-v20.24-v033/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".karpgate.yaml"), []byte(prConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	want := []string{".karpgate.yaml", "rule KARP001 disabled", "rule KARP010 severity lowered from error to note", "gate threshold changed from error to never", "exception for KARP002 on module"}
	for _, format := range []string{"text", "markdown", "sarif", "json"} {
		code, out, stderr := run(t, "", "scan", "--format", format, plan)
		if code != 0 {
			t.Fatalf("%s: exit %d (the PR config should pass the plan): %s", format, code, stderr)
		}
		for _, w := range want {
			if format != "markdown" {
				w = strings.ReplaceAll(w, "\\_", "_")
			}
			if !strings.Contains(out, w) {
				t.Errorf("%s report does not say %q:\n%.2000s", format, w, out)
			}
		}
		switch format {
		case "text":
			// Older Atlantis fails a policy check whose output says "fail" anywhere.
			if strings.Contains(strings.ToLower(out), "fail") {
				t.Errorf("a passing text report says \"fail\":\n%s", out)
			}
		case "sarif":
			var doc struct {
				Runs []struct {
					Properties map[string]struct {
						File    string   `json:"file"`
						Relaxed []string `json:"relaxed"`
					} `json:"properties"`
				} `json:"runs"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if c := doc.Runs[0].Properties["karpgate/config"]; c.File != ".karpgate.yaml" || len(c.Relaxed) != 4 {
				t.Errorf("SARIF run properties: %+v", doc.Runs[0].Properties)
			}
		case "json":
			var doc struct {
				Config struct {
					File    string   `json:"file"`
					Pinned  bool     `json:"pinned"`
					Relaxed []string `json:"relaxed"`
				} `json:"config"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Config.File != ".karpgate.yaml" || doc.Config.Pinned || len(doc.Config.Relaxed) != 4 {
				t.Errorf("JSON config: %+v", doc.Config)
			}
		}
	}
}

// TestNoConfigPinsTheGate: --no-config ignores the working directory's .karpgate.yaml, so the
// plan fails as the built-in gate says, and the report names the built-in defaults.
func TestNoConfigPinsTheGate(t *testing.T) {
	plan, err := filepath.Abs("../../testdata/plans/eks-v20.24-v033/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".karpgate.yaml"), []byte(prConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, out, stderr := run(t, "", "scan", "--no-config", "--format", "text", plan)
	if code != ExitPolicy {
		t.Fatalf("exit %d, want %d: %s", code, ExitPolicy, stderr)
	}
	if !strings.Contains(out, "KARP001") || !strings.Contains(out, "built-in defaults (chosen on the command line); relaxes nothing") {
		t.Errorf("report:\n%s", out)
	}
	if code, _, stderr := run(t, "", "scan", "--no-config", "--config", ".karpgate.yaml", plan); code != ExitUsage {
		t.Errorf("--no-config with --config: exit %d, want %d: %s", code, ExitUsage, stderr)
	}
}
