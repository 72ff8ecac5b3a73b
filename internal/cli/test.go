package cli

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/engine"
)

const testLong = `Run the Rego tests (rules named test_*, in *_test.rego files) of your own rules, with the rules
and data beside them, against karpgate's embedded library and rules, like 'opa test'. Tests see
the same capabilities and strict mode as a scan, so a rule that passes here loads in a scan; write
inputs in the shape of docs/input.md (input.iam, input.plan, input.run).

PATH is a .rego file, a directory (loaded recursively with its .json/.yaml data; hidden directories
are skipped) or a bundle .tar.gz; the default is the working directory.

Examples:
  karpgate test bundles/example
  karpgate test -v --coverage policy/
  karpgate test --run 'test_deny_.*' policy/

Exit codes:
  0  every test passed
  1  a test failed or could not be evaluated
  2  usage error
  4  the policies do not compile, or a native rule's # METADATA is incomplete`

type testFlags struct {
	verbose  bool
	coverage bool
	run      string
	timeout  time.Duration
	allowNet bool
	regoVer  string
}

func newTest(s *streams) *cobra.Command {
	f := &testFlags{}
	cmd := &cobra.Command{
		Use:   "test [flags] [PATH...]",
		Short: "Run the Rego tests of your own rules against karpgate's library",
		Long:  testLong,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			if f.timeout <= 0 {
				return usageErr(fmt.Errorf("--timeout must be positive"))
			}
			rv, err := engine.ParseRegoVersion(f.regoVer)
			if err != nil {
				return usageErr(fmt.Errorf("--rego-version: %w", err))
			}
			var run *regexp.Regexp
			if f.run != "" {
				if run, err = regexp.Compile(f.run); err != nil {
					return usageErr(fmt.Errorf("--run: %w", err))
				}
			}
			rep, err := engine.RunTests(cmd.Context(), engine.TestOptions{RegoVersion: rv, Paths: args, Run: run, Coverage: f.coverage, AllowNet: f.allowNet, Timeout: f.timeout})
			if err != nil {
				if codeOf(err) == ExitBundle {
					return err
				}
				return usageErr(err)
			}
			return f.print(s, rep)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list every test with its outcome and duration")
	fl.BoolVar(&f.coverage, "coverage", false, "print the percentage of each (non-test) policy file's lines the tests evaluate")
	fl.StringVar(&f.run, "run", "", "run only the tests whose name matches this regular expression")
	fl.DurationVar(&f.timeout, "timeout", engine.DefaultTestTimeout, "time limit for one test")
	fl.BoolVar(&f.allowNet, "allow-net", false, "let policies call http.send and net.* builtins")
	fl.StringVar(&f.regoVer, "rego-version", "v1", "Rego syntax of the .rego files, as conftest's flag: v1 or v0")
	return cmd
}

func (f *testFlags) print(s *streams, rep *engine.TestReport) error {
	w := s.out
	for _, r := range rep.Results {
		status := r.Status()
		if !f.verbose && (status == engine.TestPassed || status == engine.TestSkipped) {
			continue
		}
		fmt.Fprintf(w, "%s:%d: %s.%s: %s (%s)\n", r.File, r.Line, r.Package, r.Name, status, r.Duration.Round(time.Microsecond))
		switch {
		case r.TimedOut:
			fmt.Fprintf(w, "  %s (--timeout)\n", r.Error)
		case r.Error != "":
			fmt.Fprintf(w, "  %s\n", r.Error)
		}
		if r.Output != "" && status != engine.TestPassed {
			fmt.Fprintln(w, indent(strings.TrimRight(r.Output, "\n"), "  "))
		}
	}
	if f.coverage {
		fmt.Fprintln(w, "\nCoverage:")
		for _, file := range slices.Sorted(maps.Keys(rep.Coverage)) {
			fmt.Fprintf(w, "  %6.2f%%  %s\n", rep.Coverage[file], file)
		}
	}
	passed, failed, skipped := rep.Tally()
	total := passed + failed + skipped
	if total == 0 {
		fmt.Fprintln(s.err, "karpgate: no tests found (test rules are named test_* and live in *_test.rego files)")
		return &exitError{code: ExitPolicy, err: fmt.Errorf("no tests found")}
	}
	summary := fmt.Sprintf("%d tests, %d passed, %d failed", total, passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	if failed > 0 {
		fmt.Fprintf(w, "FAIL: %s\n", summary)
		return &exitError{code: ExitPolicy, err: fmt.Errorf("%d tests failed", failed)}
	}
	_, err := fmt.Fprintf(w, "PASS: %s\n", summary)
	return err
}
