package scan

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/report"
)

// TestFastPathFindingsEqualFullDecode scans every testdata plan (and the real plans of the corpus
// in ../shared when it is beside the checkout) twice, through the single-pass parser that keeps only
// IAM resources and through a plain full decode, and requires byte-identical JSON reports.
func TestFastPathFindingsEqualFullDecode(t *testing.T) {
	eng, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
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
	render := func(t *testing.T, full bool, file string) []byte {
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
			fast, full := render(t, false, f), render(t, true, f)
			if !bytes.Equal(fast, full) {
				t.Errorf("fast path and full decode disagree:\nfast: %s\nfull: %s", fast, full)
			}
		})
	}
}
