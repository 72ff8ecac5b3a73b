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

// checkFailWord reads the reports a scan wrote to dir, one file per format: when the scan passed
// (exit 0, perhaps with KARP020 notes or warnings) no report contains "fail" in any case; when it
// failed the gate the text report says FAILED. TestScanScenarios calls it for every scenario.
func checkFailWord(t *testing.T, code int, dir string) {
	t.Helper()
	if code == ExitPolicy {
		b, err := os.ReadFile(filepath.Join(dir, "text"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "FAILED") {
			t.Errorf("a failing text report does not say FAILED:\n%s", b)
		}
	}
	if code != ExitPass {
		return
	}
	for _, format := range report.Formats() {
		b, err := os.ReadFile(filepath.Join(dir, format))
		if err != nil {
			t.Fatal(err)
		}
		if loc := anyFail.FindIndex(b); loc != nil {
			lo, hi := max(0, loc[0]-60), min(len(b), loc[1]+60)
			t.Errorf("passing %s output says %q: ...%s...", format, b[loc[0]:loc[1]], b[lo:hi])
		}
	}
}
