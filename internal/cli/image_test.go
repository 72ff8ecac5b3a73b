package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImageScansLikeTheSources: an engine compiled from the image of the embedded bundle (what
// the binary `make build` writes runs, and what the shared test engines use) and one compiled from
// the sources give byte-identical reports on a sixth of the scenario plans (each a different role,
// version, layer or fix; internal/engine's TestImageCompilesLikeTheSources compares the compiled
// modules themselves). The scans use the defaults (--no-config), so each side compiles once.
func TestImageScansLikeTheSources(t *testing.T) {
	plans, err := filepath.Glob("../../testdata/plans/*/plan.json")
	if err != nil || len(plans) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	slices.Sort(plans)
	fromSources := newEngineCache(nil)
	for i, plan := range plans {
		if i%6 != 0 {
			continue
		}
		t.Run(filepath.Base(filepath.Dir(plan)), func(t *testing.T) {
			t.Parallel()
			scan := func(c *engineCache) (int, string) {
				var out, errOut bytes.Buffer
				args := []string{"scan", "--no-config", "--format", "json", plan}
				code := execute(context.Background(), args, &streams{in: strings.NewReader(""), out: &out, err: &errOut, newEngine: c.New, evalFor: c.sharedEvalFor})
				return code, out.String() + errOut.String()
			}
			codeImg, outImg := scan(testEngines)
			codeSrc, outSrc := scan(fromSources)
			if codeImg != codeSrc || outImg != outSrc {
				t.Errorf("the image gives exit %d and\n%s\nthe sources exit %d and\n%s", codeImg, outImg, codeSrc, outSrc)
			}
			if codeImg > 1 {
				t.Errorf("exit %d: %s", codeImg, outImg)
			}
		})
	}
}
