package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/karpgate/karpgate/internal/report"
)

// expectation is testdata/plans/<scenario>/expect.json: the findings RULES.md predicts.
type expectation struct {
	Description    string   `json:"description"`
	KarpenterRoles []string `json:"karpenter_roles"`
	Findings       []struct {
		Rule    string `json:"rule"`
		Address string `json:"address"`
		Why     string `json:"why"`
		// Message and Fix, when given, are substrings the finding's message and fix must hold.
		Message []string `json:"message"`
		Fix     []string `json:"fix"`
	} `json:"findings"`
	Absent []string `json:"absent"`
	// CleanRoles are Karpenter roles no finding may name (a plan with several roles where only
	// some are wrong).
	CleanRoles []string `json:"clean_roles"`
	// Args are extra scan arguments, e.g. the deployed Karpenter version the scenario runs.
	Args []string `json:"args"`
}

type jsonResult struct {
	Findings []struct {
		RuleID      string `json:"rule_id"`
		Severity    string `json:"severity"`
		Address     string `json:"address"`
		Role        string `json:"role"`
		Message     string `json:"message"`
		Fix         string `json:"fix"`
		Suppression any    `json:"suppression"`
	} `json:"findings"`
	Summary struct {
		Passed   bool `json:"passed"`
		ExitCode int  `json:"exit_code"`
	} `json:"summary"`
}

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runShared(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestScanScenarios scans every testdata plan and checks the findings its expect.json predicts
// from RULES.md: each expected rule fires on the expected address, each absent rule stays silent,
// and the exit code follows the default gate (fail on error).
func TestScanScenarios(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/plans/*/expect.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	// Every scan also writes every format: a passing scan's output never says "fail" (Atlantis's
	// policy-check parser reads the word as a failure), a failing one says FAILED.
	var passing, ran atomic.Int32
	t.Cleanup(func() {
		if n := passing.Load(); n < 3 && int(ran.Load()) == len(dirs) {
			t.Errorf("only %d passing scenarios: the check that passing output never says fail checks too little", n)
		}
	})
	// A .karpgate.yaml beside a plan is its scenario's configuration.
	for _, exp := range dirs {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel() // each scan builds its own engine: use both cores
			ran.Add(1)
			var want expectation
			b, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("%s: %v", exp, err)
			}
			args := append([]string{"scan", "--format", "json"}, want.Args...)
			outDir := t.TempDir()
			for _, format := range report.Formats() {
				args = append(args, "--format", format+"="+filepath.Join(outDir, format))
			}
			args = append(args, filepath.Join(dir, "plan.json"))
			if cfg := filepath.Join(dir, ".karpgate.yaml"); fileExists(cfg) {
				args = append(args, "--config", cfg)
			}
			code, out, stderr := run(t, "", args...)
			if code != 0 && code != 1 {
				t.Fatalf("exit %d, stderr: %s", code, stderr)
			}
			var got jsonResult
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			for _, w := range want.Findings {
				found := false
				for _, f := range got.Findings {
					if f.RuleID != w.Rule || f.Address != w.Address {
						continue
					}
					found = true
					for _, m := range w.Message {
						if !strings.Contains(f.Message, m) {
							t.Errorf("%s on %q: message does not hold %q:\n%s", w.Rule, w.Address, m, f.Message)
						}
					}
					for _, m := range w.Fix {
						if !strings.Contains(f.Fix, m) {
							t.Errorf("%s on %q: fix does not hold %q:\n%s", w.Rule, w.Address, m, f.Fix)
						}
					}
				}
				if !found {
					t.Errorf("missing %s on %q (%s)", w.Rule, w.Address, w.Why)
				}
			}
			errors := 0
			for _, f := range got.Findings {
				if slices.Contains(want.Absent, f.RuleID) {
					t.Errorf("unexpected %s on %q: %s", f.RuleID, f.Address, f.Message)
				}
				if slices.Contains(want.CleanRoles, f.Role) {
					t.Errorf("unexpected %s on %q for the clean role %s: %s", f.RuleID, f.Address, f.Role, f.Message)
				}
				if f.Severity == "error" && f.Suppression == nil {
					errors++
				}
			}
			wantCode := 0
			if errors > 0 {
				wantCode = 1
			}
			if code != wantCode || got.Summary.ExitCode != wantCode || got.Summary.Passed != (wantCode == 0) {
				t.Errorf("exit %d, summary exit %d passed %v; want exit %d with %d errors", code, got.Summary.ExitCode, got.Summary.Passed, wantCode, errors)
			}
			checkFailWord(t, code, outDir)
			if code == ExitPass {
				passing.Add(1)
			}
		})
	}
}

// scenarioArgs returns the extra scan arguments of the scenario whose plan is planFile (its
// expect.json "args"), or none.
func scenarioArgs(t *testing.T, planFile string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(planFile), "expect.json"))
	if err != nil {
		return nil
	}
	var want expectation
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", planFile, err)
	}
	return want.Args
}

// TestScanBadInputs: every bad input ends with exit 3 and one line on stderr naming the file,
// never a pass and never a panic.
func TestScanBadInputs(t *testing.T) {
	files, err := filepath.Glob("../../testdata/bad/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, stderr := run(t, "", "scan", f)
			if code != ExitInput {
				t.Fatalf("exit %d, want %d; stderr %q", code, ExitInput, stderr)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], f) {
				t.Errorf("stderr should be one line naming %s, got %q", f, stderr)
			}
		})
	}
	if n == 0 {
		t.Fatal("no bad inputs found")
	}
}

func TestScanExitCodes(t *testing.T) {
	plan := "../../testdata/plans/upstream-v1/plan.json"
	tests := []struct {
		name string
		args []string
		want int
		err  string
	}{
		{"a missing plan file is an input error", []string{"scan", "does-not-exist.json"}, ExitInput, "does-not-exist.json"},
		{"no plan at all is a usage error", []string{"scan"}, ExitUsage, "at least one plan"},
		{"an unknown format is a usage error", []string{"scan", "--format", "xml", plan}, ExitUsage, "unknown format"},
		{"an unknown flag is a usage error", []string{"scan", "--nope", plan}, ExitUsage, "unknown flag"},
		{"a bad --fail-on is a usage error", []string{"scan", "--fail-on", "high", plan}, ExitUsage, "--fail-on"},
		{"an unwritable output is a usage error before any work", []string{"scan", "--format", "sarif=/nonexistent-dir/x.sarif", plan}, ExitUsage, "not writable"},
		{"two formats on stdout is a usage error", []string{"scan", "--format", "text", "--format", "json", plan}, ExitUsage, "only one format"},
		{"a missing config file is a configuration error", []string{"scan", "--config", "nope.yaml", plan}, ExitUsage, "nope.yaml"},
		{"a policy that does not compile is a policy error", []string{"scan", "--policy", "testdata/policies/broken", plan}, ExitBundle, "broken.rego:"},
		{"a policy calling http.send is a policy error", []string{"scan", "--policy", "testdata/policies/network", plan}, ExitBundle, "http.send"},
		{"a clean plan passes", []string{"scan", plan}, ExitPass, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.want, stderr)
			}
			if tc.err != "" && !strings.Contains(stderr, tc.err) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.err)
			}
			if tc.want != ExitPass && strings.Count(strings.TrimRight(stderr, "\n"), "\n") > 1 {
				t.Errorf("error should be short, got %q", stderr)
			}
		})
	}
}

func TestScanStdinAndAtomicOutput(t *testing.T) {
	b, err := os.ReadFile("../../testdata/plans/invalid-policy/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sarif := filepath.Join(dir, "out.sarif")
	code, out, stderr := run(t, string(b), "scan", "--format", "text", "--format", "sarif="+sarif, "-")
	if code != ExitPolicy {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(out, "KARP022") || !strings.Contains(out, "FAILED") {
		t.Errorf("text output lacks the finding or the verdict:\n%s", out)
	}
	s, err := os.ReadFile(sarif)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(s) || !strings.Contains(string(s), `"ruleId": "KARP022"`) {
		t.Errorf("SARIF file is not the report:\n%s", s)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestTextOutputForAtlantis: a passing run never says "fail" (older Atlantis fails on the
// substring); a failing one matches Atlantis's `[1-9][0-9]* failure` pattern.
func TestTextOutputForAtlantis(t *testing.T) {
	_, pass, _ := run(t, "", "scan", "--color", "never", "--karpenter-version", "1.0.0", "../../testdata/plans/upstream-v1/plan.json")
	if strings.Contains(strings.ToLower(pass), "fail") {
		t.Errorf("passing output contains \"fail\":\n%s", pass)
	}
	_, fail, _ := run(t, "", "scan", "--color", "never", "../../testdata/plans/invalid-policy/plan.json")
	if !regexpFailures.MatchString(fail) {
		t.Errorf("failing output does not match %s:\n%s", regexpFailures, fail)
	}
}

func TestRulesCommand(t *testing.T) {
	code, out, _ := run(t, "", "rules")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, id := range []string{"KARP010", "KARP013", "KARP021", "KARP022"} {
		if !strings.Contains(out, id) {
			t.Errorf("rules list lacks %s", id)
		}
	}
	code, out, _ = run(t, "", "rules", "KARP013")
	if code != 0 || !strings.Contains(out, "How to fix") || !strings.Contains(out, "https://") {
		t.Errorf("rules KARP013 exit %d:\n%s", code, out)
	}
	if code, _, _ := run(t, "", "rules", "KARP999"); code != ExitUsage {
		t.Errorf("unknown rule: exit %d", code)
	}
}

func TestFactsCommand(t *testing.T) {
	code, out, stderr := run(t, "", "facts", "../../testdata/plans/first-apply/plan.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var iam struct {
		KarpenterRoles int `json:"karpenter_roles"`
		Roles          []struct {
			Address  string `json:"address"`
			Policies []struct {
				Status string `json:"status"`
			} `json:"policies"`
		} `json:"roles"`
	}
	if err := json.Unmarshal([]byte(out), &iam); err != nil {
		t.Fatal(err)
	}
	if iam.KarpenterRoles != 1 {
		t.Errorf("karpenter_roles = %d, want 1", iam.KarpenterRoles)
	}
	partial := false
	for _, r := range iam.Roles {
		for _, p := range r.Policies {
			partial = partial || p.Status == "partial"
		}
	}
	if !partial {
		t.Errorf("the first apply's controller policy should be partial:\n%s", out)
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestRulesDocIsCurrent keeps docs/rules.md equal to what the rules' METADATA says.
func TestRulesDocIsCurrent(t *testing.T) {
	code, out, stderr := run(t, "", "rules", "--markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := "../../docs/rules.md"
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden)", err)
	}
	if string(want) != out {
		t.Errorf("docs/rules.md is out of date with the rules' METADATA: run make golden")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
