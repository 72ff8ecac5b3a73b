package scan

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/report"
)

// TestScanManyPlansAtOnce scans every testdata plan in one Scan call, several at a time on one
// shared engine (what ScanMany and the run-task workers do), and requires the report of scanning
// the same plans one at a time. make test runs it under the race detector.
func TestScanManyPlansAtOnce(t *testing.T) {
	eng, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var srcs []Source
	for _, f := range testPlans(t) {
		srcs = append(srcs, Source{Name: f})
	}
	slices.SortFunc(srcs, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	// Every plan's own verdicts are checked by the scenario tests; here what matters is that many
	// plans scanned at once give what one at a time gives, which a spread of 24 plans (every
	// k-th, so every kind of scenario stays in) exercises as well as all of them.
	if testing.Short() && len(srcs) > 4 {
		srcs = srcs[:4] // the race run: four small plans are enough to race
	}
	const want = 24
	if k := (len(srcs) + want - 1) / want; k > 1 {
		var spread []Source
		for i := 0; i < len(srcs); i += k {
			spread = append(spread, srcs[i])
		}
		srcs = spread
	}
	scanWith := func(workers int) []byte {
		s := New(eng, Options{Gate: findings.Gate{FailOn: findings.Error}, Today: "2026-01-01", Workers: workers})
		res, err := s.Scan(context.Background(), srcs, Run{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := (report.JSON{}).Write(&buf, res); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	one, many := scanWith(1), scanWith(4)
	if !bytes.Equal(one, many) {
		t.Errorf("scanning %d plans 4 at a time differs from one at a time:\none:  %s\nmany: %s", len(srcs), one, many)
	}
	if !bytes.Contains(many, []byte(filepath.Base(filepath.Dir(srcs[0].Name)))) {
		t.Errorf("the report does not name the first plan %s", srcs[0].Name)
	}
}
