package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/report"
)

// TestFastPathFindingsEqualFullDecode scans every testdata plan (and the real plans of the corpus
// in ../shared when it is beside the checkout) through each fast path and through a plain full
// decode, and requires byte-identical JSON reports. The fast paths: the streaming single pass that
// keeps only IAM resources (the embedded rules), and the single pass over the whole text that a
// policy reading input.plan needs (a user policy that reports every resource change).
func TestFastPathFindingsEqualFullDecode(t *testing.T) {
	dir := t.TempDir()
	policy := "package main\n\nwarn contains msg if {\n\tsome rc in input.plan.resource_changes\n\tmsg := sprintf(\"%s %v\", [rc.address, rc.change.actions])\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "plan.rego"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	streaming, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := engine.New(context.Background(), engine.Options{Policies: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if streaming.UsesPlan() || !whole.UsesPlan() {
		t.Fatal("the engines do not take the two fast paths")
	}
	files, _ := filepath.Glob("../../testdata/plans/*/plan.json")
	corpus, _ := filepath.Glob("../../../shared/corpus/real-plans/*.json")
	if len(corpus) == 0 {
		t.Log("../shared corpus not present: comparing testdata plans only")
	}
	files = append(files, corpus...)
	if len(files) == 0 {
		t.Fatal("no plans")
	}
	gate := findings.Gate{FailOn: findings.Error}
	render := func(t *testing.T, eng *engine.Engine, full bool, file string) []byte {
		t.Helper()
		s := New(eng, Options{Gate: gate, Today: "2026-01-01", FullDecode: full})
		res, err := s.Scan(context.Background(), []Source{{Name: file}}, Run{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := (report.JSON{}).Write(&buf, res); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			for name, eng := range map[string]*engine.Engine{"stream": streaming, "whole text": whole} {
				fast, full := render(t, eng, false, f), render(t, eng, true, f)
				if !bytes.Equal(fast, full) {
					t.Errorf("%s fast path and full decode disagree:\nfast: %s\nfull: %s", name, fast, full)
				}
				if eng == whole && strings.Contains(f, "/plans/") && !strings.HasPrefix(filepath.Base(filepath.Dir(f)), "state-") &&
					!bytes.Contains(fast, []byte(`"rule_id": "main/warn"`)) {
					t.Errorf("the input.plan policy found no resource change: %s", fast)
				}
			}
		})
	}
}
