package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/plan"
)

// TestScanLocatesFindingsInSources scans every testdata scenario with its configuration as the
// source directory (testdata/tf/<scenario> for a plan Terraform generated, else the main.tf beside
// a hand-written plan) and checks that each finding points at the block its address names: the
// module call for resources of a module, the resource or data block for root resources, and, for
// a statement with a Sid written in the root module, the line that holds that Sid.
func TestScanLocatesFindingsInSources(t *testing.T) {
	plans, _ := filepath.Glob("../../testdata/plans/*/plan.json")
	// The plan lies beside its sources, as in a repository that commits both: a copy of
	// testdata/tf (module sources are relative) with each generated plan put in its scenario.
	tfCopy := filepath.Join(t.TempDir(), "tf")
	if err := os.CopyFS(tfCopy, os.DirFS("../../testdata/tf")); err != nil {
		t.Fatal(err)
	}
	scanned := 0
	for _, src := range plans {
		name := filepath.Base(filepath.Dir(src))
		dir := scenarioSources(name)
		if dir == "" {
			continue
		}
		planFile := filepath.Join(dir, "plan.json")
		if strings.Contains(dir, "testdata/tf/") {
			dir = filepath.Join(tfCopy, name)
			planFile = filepath.Join(dir, "plan.json")
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(planFile, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		scanned++
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each scan builds its own engine: use both cores
			args := append([]string{"scan", "--format", "json", "--source-dir", dir, "--repo-root", dir}, scenarioArgs(t, src)...)
			code, out, stderr := run(t, "", append(args, planFile)...)
			if code > 1 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var res struct {
				Findings []struct {
					RuleID    string `json:"rule_id"`
					Address   string `json:"address"`
					Statement *struct {
						Policy string `json:"policy"`
						Sid    string `json:"sid"`
					} `json:"statement"`
					Location *struct {
						File      string `json:"file"`
						StartLine int    `json:"start_line"`
						Note      string `json:"note"`
					} `json:"location"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			files := map[string][]string{}
			lines := func(name string) []string {
				if l, ok := files[name]; ok {
					return l
				}
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil {
					t.Fatalf("location names a file that does not exist: %v", err)
				}
				files[name] = strings.Split(string(b), "\n")
				return files[name]
			}
			for _, f := range res.Findings {
				if f.Location == nil {
					t.Errorf("%s on %q has no location", f.RuleID, f.Address)
					continue
				}
				if f.Address == "" {
					if f.Location.File != "plan.json" || f.Location.StartLine != 1 {
						t.Errorf("%s (plan-level) points at %s:%d, want plan.json:1", f.RuleID, f.Location.File, f.Location.StartLine)
					}
					continue
				}
				addr := f.Address
				if f.Statement != nil && f.Statement.Policy != "" {
					addr = f.Statement.Policy
				}
				if strings.HasPrefix(addr, "arn:") {
					// A policy outside the plan has no source: the plan file is the location.
					if f.Location.File != "plan.json" {
						t.Errorf("%s on external %q points at %s", f.RuleID, addr, f.Location.File)
					}
					continue
				}
				l := lines(f.Location.File)
				if f.Location.StartLine < 1 || f.Location.StartLine > len(l) {
					t.Errorf("%s on %q points past the end of %s", f.RuleID, addr, f.Location.File)
					continue
				}
				got := strings.TrimSpace(l[f.Location.StartLine-1])
				want := blockPattern(addr)
				if f.Statement != nil && !strings.HasPrefix(addr, "module.") && f.Location.Note == "" {
					// a statement block, a Sid line, or the opening brace of a jsonencode/heredoc object
					// (alone, or opening the list too: Statement = [{)
					want = regexp.MustCompile(`(statement|Sid|"Sid"|sid|^\{|\[\{$|` + want.String() + `)`)
				}
				if !want.MatchString(got) {
					t.Errorf("%s on %q points at %s:%d %q, want a line matching %s (note %q)", f.RuleID, addr, f.Location.File, f.Location.StartLine, got, want, f.Location.Note)
				}
			}
		})
	}
	if scanned == 0 {
		t.Fatal("no scenarios with sources")
	}
}

// scenarioSources is the directory holding a scenario's root configuration, or "" when it has
// none of its own.
func scenarioSources(name string) string {
	for _, dir := range []string{"../../testdata/tf/" + name, "../../testdata/plans/" + name} {
		if tf, _ := filepath.Glob(filepath.Join(dir, "*.tf")); len(tf) > 0 {
			return dir
		}
	}
	return ""
}

// blockPattern is the header of the block an address lives in, in the root module's files.
func blockPattern(addr string) *regexp.Regexp {
	mod, rel := plan.SplitAddress(addr)
	if mod != "" {
		// The call in the root, or a nested call the locator followed a local module source to
		// (module.clusters["prod"].module.karpenter: module "clusters" or module "karpenter").
		var names []string
		for i, part := range strings.Split(plan.StripKeys(mod), ".") {
			if i%2 == 1 {
				names = append(names, regexp.QuoteMeta(part))
			}
		}
		return regexp.MustCompile(`^module\s+"(` + strings.Join(names, "|") + `)"`)
	}
	parts := strings.Split(plan.StripKeys(rel), ".")
	if parts[0] == "data" {
		return regexp.MustCompile(`^data\s+"` + regexp.QuoteMeta(parts[1]) + `"\s+"` + regexp.QuoteMeta(parts[2]) + `"`)
	}
	return regexp.MustCompile(`^resource\s+"` + regexp.QuoteMeta(parts[0]) + `"\s+"` + regexp.QuoteMeta(parts[1]) + `"`)
}

// TestFingerprintsSurviveUnrelatedEdits scans a scenario with its sources, inserts lines at the
// top of main.tf, scans again, and requires the same fingerprints while the lines moved.
func TestFingerprintsSurviveUnrelatedEdits(t *testing.T) {
	dir := t.TempDir()
	for f, src := range map[string]string{
		"plan.json": "../../testdata/plans/careless-ec2-star/plan.json",
		"main.tf":   "../../testdata/tf/careless-ec2-star/main.tf",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scanSARIF := func() (map[string]int, error) {
		out := filepath.Join(t.TempDir(), "r.sarif")
		code, _, stderr := run(t, "", "scan", "--source-dir", dir, "--repo-root", dir, "--format", "sarif="+out, filepath.Join(dir, "plan.json"))
		if code > 1 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			return nil, err
		}
		var log struct {
			Runs []struct {
				Results []struct {
					PartialFingerprints map[string]string `json:"partialFingerprints"`
					Locations           []struct {
						PhysicalLocation struct {
							Region struct {
								StartLine int `json:"startLine"`
							} `json:"region"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(b, &log); err != nil {
			return nil, err
		}
		fps := map[string]int{}
		for _, r := range log.Runs[0].Results {
			fps[r.PartialFingerprints["primaryLocationLineHash"]] = r.Locations[0].PhysicalLocation.Region.StartLine
		}
		return fps, nil
	}
	before, err := scanSARIF()
	if err != nil || len(before) == 0 {
		t.Fatalf("no results: %v", err)
	}
	tf := filepath.Join(dir, "main.tf")
	b, _ := os.ReadFile(tf)
	if err := os.WriteFile(tf, append([]byte("# a comment\n\nlocals {\n  unrelated = true\n}\n\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := scanSARIF()
	if err != nil {
		t.Fatal(err)
	}
	for fp, line := range before {
		newLine, ok := after[fp]
		if !ok {
			t.Errorf("fingerprint %s disappeared after an unrelated edit", fp)
			continue
		}
		if newLine != line+6 {
			t.Errorf("fingerprint %s: line %d became %d, want %d", fp, line, newLine, line+6)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d results before, %d after", len(before), len(after))
	}
}
