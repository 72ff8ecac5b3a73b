package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/plan"
	"github.com/karpgate/karpgate/internal/plan/plangen"
	"github.com/karpgate/karpgate/internal/report"
)

// TestFastPathFindingsEqualFullDecode scans every testdata plan (and the real plans of the corpus
// in ../shared when it is beside the checkout) through each fast path and with every resource and
// the whole text kept. The fast paths: the streaming single pass that keeps only IAM resources (the
// embedded rules), and the single pass over the whole text that a policy reading input.plan needs
// (a user policy that reports every resource change). That a plan with everything kept is the one
// encoding/json decodes, internal/plan's tests check against their oracle on the same plans.
//
// Of a testdata plan the test requires the same evaluation input from both ways of reading it (and
// the same report around it), without evaluating it: an evaluation is a deterministic function of
// the engine and its input, and the CLI's scenario tests evaluate every testdata plan. Of a corpus
// plan it requires byte-identical JSON reports, evaluated (evalMemo: once when the inputs agree).
func TestFastPathFindingsEqualFullDecode(t *testing.T) {
	dir := t.TempDir()
	policy := "package main\n\nwarn contains msg if {\n\tsome rc in input.resource_changes\n\tmsg := sprintf(\"%s %v\", [rc.address, rc.change.actions])\n}\n"
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
	streamingMemo, wholeMemo := newEvalMemo(streaming), newEvalMemo(whole)
	files, _ := filepath.Glob("../../testdata/plans/*/plan.json")
	corpus, _ := filepath.Glob("../../../shared/corpus/real-plans/*.json")
	if len(corpus) == 0 {
		t.Log("../shared corpus not present: comparing testdata plans only")
	}
	files = append(files, corpus...)
	if len(files) == 0 {
		t.Fatal("no plans")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			t.Parallel() // the engines are safe for concurrent use: scan plans on every core
			if !slices.Contains(corpus, f) {
				for name, eng := range map[string]*engine.Engine{"stream": streaming, "whole text": whole} {
					fastIn, fast := renderInput(t, eng, false, f)
					fullIn, full := renderInput(t, eng, true, f)
					if (fastIn == nil) != (fullIn == nil) || (fastIn != nil && fastIn.Compare(fullIn) != 0) {
						t.Errorf("%s: the fast path builds another evaluation input than the full decode", name)
					}
					if !bytes.Equal(fast, full) {
						t.Errorf("%s fast path and full decode disagree:\nfast: %s\nfull: %s", name, fast, full)
					}
					if eng == whole && !strings.HasPrefix(filepath.Base(filepath.Dir(f)), "state-") && !hasResourceChanges(fastIn) {
						t.Errorf("the input.plan policy gets no resource change")
					}
				}
				return
			}
			for name, eng := range map[string]*evalMemo{"stream": streamingMemo, "whole text": wholeMemo} {
				fast, full := render(t, eng, false, f), render(t, eng, true, f)
				if !bytes.Equal(fast, full) {
					t.Errorf("%s fast path and full decode disagree:\nfast: %s\nfull: %s", name, fast, full)
				}
				if eng == wholeMemo && strings.Contains(f, "/plans/") && !strings.HasPrefix(filepath.Base(filepath.Dir(f)), "state-") &&
					!bytes.Contains(fast, []byte(`"rule_id": "main/warn"`)) {
					t.Errorf("the input.plan policy found no resource change: %s", fast)
				}
			}
		})
	}
}

// TestSplitPlanFindingsEqualFullDecode scans a generated plan large enough for plan.Read to read
// it on all cores (plan.SplitMinSize), as karpgate scan opens it, and requires the report of the
// plan read whole with every resource kept.
func TestSplitPlanFindingsEqualFullDecode(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and fully decodes a 38 MB plan")
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := plangen.Write(f, 11_000, 3); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < plan.SplitMinSize {
		t.Fatalf("the generated plan (%d bytes) is too small to be split", st.Size())
	}
	eng, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	memo := newEvalMemo(eng)
	split, full := render(t, memo, false, path), render(t, memo, true, path)
	if !bytes.Equal(split, full) {
		t.Errorf("the split parse and the full decode disagree:\nsplit: %s\nfull: %s", split, full)
	}
	if !bytes.Contains(split, []byte(`"KARP001"`)) {
		t.Errorf("the generated Karpenter module did not produce KARP001: %s", split)
	}
}

// render scans one plan file, with everything kept or through the fast path the engine takes, and
// returns the JSON report.
// renderInput scans file as render does without evaluating: it returns the input the scan built
// (nil when it evaluated nothing) and the JSON report of a scan that found nothing.
func renderInput(t *testing.T, eng *engine.Engine, full bool, file string) (ast.Value, []byte) {
	t.Helper()
	var in ast.Value
	s := New(eng, Options{Gate: findings.Gate{FailOn: findings.Error}, Today: "2026-01-01", Eval: func(_ context.Context, v ast.Value) ([]findings.Finding, map[string]engine.Checked, error) {
		if in != nil {
			t.Error("one plan evaluated twice")
		}
		in = v
		return nil, nil, nil
	}})
	s.keepAll = full
	res, err := s.Scan(context.Background(), []Source{{Name: file}}, Run{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (report.JSON{}).Write(&buf, res); err != nil {
		t.Fatal(err)
	}
	return in, buf.Bytes()
}

// hasResourceChanges tells whether input.plan.resource_changes is a non-empty array.
func hasResourceChanges(in ast.Value) bool {
	obj, ok := in.(ast.Object)
	if !ok {
		return false
	}
	p := obj.Get(ast.StringTerm("plan"))
	if p == nil {
		return false
	}
	po, ok := p.Value.(ast.Object)
	if !ok {
		return false
	}
	rc := po.Get(ast.StringTerm("resource_changes"))
	if rc == nil {
		return false
	}
	arr, ok := rc.Value.(*ast.Array)
	return ok && arr.Len() > 0
}

func render(t *testing.T, memo *evalMemo, full bool, file string) []byte {
	t.Helper()
	s := memo.scanner(Options{Gate: findings.Gate{FailOn: findings.Error}, Today: "2026-01-01"})
	s.keepAll = full
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
