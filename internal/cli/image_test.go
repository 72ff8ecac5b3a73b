package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImageScansLikeTheSources: engines compiled from the image of the embedded bundle (what the
// binary `make build` writes runs, and what the shared test engines use) and engines compiled from
// the sources give byte-identical reports, in every format, on a quarter of the scenarios (each
// is a different role, version, layer or configuration; internal/engine's
// TestImageCompilesLikeTheSources compares the compiled modules themselves).
func TestImageScansLikeTheSources(t *testing.T) {
	exps, err := filepath.Glob("../../testdata/plans/*/expect.json")
	if err != nil || len(exps) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	slices.Sort(exps)
	fromSources := newEngineCache(nil)
	for i, exp := range exps {
		if i%4 != 0 {
			continue
		}
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			var want expectation
			b, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("%s: %v", exp, err)
			}
			args := append([]string{"scan"}, want.Args...)
			if cfg := filepath.Join(dir, ".karpgate.yaml"); fileExists(cfg) {
				args = append(args, "--config", cfg)
			}
			args = append(args, filepath.Join(dir, "plan.json"))
			scan := func(c *engineCache, format string) (int, string) {
				var out, errOut bytes.Buffer
				code := execute(context.Background(), append(slices.Clone(args), "--format", format), &streams{in: strings.NewReader(""), out: &out, err: &errOut, newEngine: c.New, evalFor: c.sharedEvalFor})
				return code, out.String() + errOut.String()
			}
			for _, format := range []string{"json", "text", "sarif", "markdown"} {
				codeImg, outImg := scan(testEngines, format)
				codeSrc, outSrc := scan(fromSources, format)
				if codeImg != codeSrc || outImg != outSrc {
					t.Errorf("--format %s: the image gives exit %d and\n%s\nthe sources exit %d and\n%s", format, codeImg, outImg, codeSrc, outSrc)
				}
			}
		})
	}
}
