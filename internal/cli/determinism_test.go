package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/karpgate/karpgate/internal/report"
)

// determinismPlans are scanned together: several roles, every severity, an invalid policy, a plan
// without Karpenter, a state, and a UTF-16 file.
var determinismPlans = []string{
	"../../testdata/plans/upstream-v1/plan.json",
	"../../testdata/plans/eks-v19/plan.json",
	"../../testdata/plans/eks-v20.24-v033/plan.json",
	"../../testdata/plans/common-fix/plan.json",
	"../../testdata/plans/invalid-policy/plan.json",
	"../../testdata/plans/nested-for-each/plan.json",
	"../../testdata/plans/no-karpenter/plan.json",
	"../../testdata/plans/state-upstream-v1/plan.json",
	"../../testdata/plans/utf16-bom/plan.json",
}

// scanAllFormats scans plans once, writing text (--color never) to stdout and every other format
// to a file, and returns each format's bytes. run is Run (a fresh engine) or runShared.
func scanAllFormats(t *testing.T, run func(context.Context, []string, io.Reader, io.Writer, io.Writer) int, plans []string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	args := []string{"scan", "--color", "never", "--format", "text"}
	for _, f := range report.Formats() {
		if f != "text" {
			args = append(args, "--format", f+"="+filepath.Join(dir, f))
		}
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), append(args, plans...), strings.NewReader(""), &out, &errOut)
	if code != ExitPolicy {
		t.Fatalf("exit %d, want %d (the plans have errors); stderr: %s", code, ExitPolicy, errOut.String())
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %s", errOut.String())
	}
	got := map[string][]byte{"text": out.Bytes()}
	for _, f := range report.Formats() {
		if f == "text" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		got[f] = b
	}
	return got
}

// TestOutputIsDeterministic: the same plans give byte-identical output in every format whatever
// GOMAXPROCS is, run after run (every run iterates maps in a new order), and whatever the order of
// the plans on the command line.
// No output holds the date or time of the run. The reference compiles its own engine and the
// variants share another one (runSharedEngine: every variant evaluates), so the output is also the same from one compile to
// the next.
func TestOutputIsDeterministic(t *testing.T) {
	for _, p := range determinismPlans {
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}
	want := scanAllFormats(t, Run, determinismPlans)
	for _, f := range report.Formats() {
		if len(want[f]) == 0 {
			t.Errorf("%s output is empty", f)
		}
	}
	now := time.Now().UTC()
	for f, b := range want {
		for _, clock := range []string{now.Format("2006-01-02"), now.Format("02 Jan 2006"), now.Format("Jan 2, 2006"), now.Format("2006/01/02")} {
			if bytes.Contains(b, []byte(clock)) {
				t.Errorf("%s output holds today's date %q", f, clock)
			}
		}
	}

	reversed := slices.Clone(determinismPlans)
	slices.Reverse(reversed)
	rotated := append(slices.Clone(determinismPlans[4:]), determinismPlans[:4]...)
	variants := []struct {
		name       string
		gomaxprocs int
		plans      []string
	}{
		{"GOMAXPROCS=1", 1, determinismPlans},
		{"the plans in reverse order, GOMAXPROCS=4", 4, reversed},
		{"the plans rotated", 1, rotated},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if v.gomaxprocs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(v.gomaxprocs))
			}
			got := scanAllFormats(t, runSharedEngine, v.plans)
			for _, f := range report.Formats() {
				if !bytes.Equal(got[f], want[f]) {
					t.Errorf("%s output differs:\n%s", f, firstDifference(want[f], got[f]))
				}
			}
		})
	}
}

// firstDifference shows the first line where two outputs differ.
func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n-%s\n+%s", i+1, x, y)
		}
	}
	return "(same lines, different bytes)"
}
