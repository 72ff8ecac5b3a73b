package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/report"
)

// anyFail is what Atlantis's policy-check parser, and a person skimming a log, read as a failure.
var anyFail = regexp.MustCompile(`(?i)fail`)

// TestPassingOutputNeverSaysFail scans every testdata plan that passes the default gate (some
// with KARP020 notes, some with warnings) in every format and requires that no output contains
// "fail" in any case; a failing scan must still say FAILED.
func TestPassingOutputNeverSaysFail(t *testing.T) {
	plans, _ := filepath.Glob("../../testdata/plans/*/plan.json")
	passing := 0
	for _, p := range plans {
		name := filepath.Base(filepath.Dir(p))
		dir := t.TempDir()
		args := []string{"scan", "--color", "never", "--format", "text"}
		for _, format := range report.Formats() {
			args = append(args, "--format", format+"="+filepath.Join(dir, format))
		}
		code, out, _ := run(t, "", append(args, p)...)
		if code == ExitPolicy && !strings.Contains(out, "FAILED") {
			t.Errorf("%s: a failing text report does not say FAILED:\n%s", name, out)
		}
		if code != ExitPass {
			continue // failing, or an input error (tested elsewhere)
		}
		passing++
		for _, format := range report.Formats() {
			b, err := os.ReadFile(filepath.Join(dir, format))
			if err != nil {
				t.Fatal(err)
			}
			if loc := anyFail.FindIndex(b); loc != nil {
				lo, hi := max(0, loc[0]-60), min(len(b), loc[1]+60)
				t.Errorf("%s: passing %s output says %q: ...%s...", name, format, b[loc[0]:loc[1]], b[lo:hi])
			}
		}
	}
	if passing < 3 {
		t.Errorf("only %d passing plans: the test checks too little", passing)
	}
}
