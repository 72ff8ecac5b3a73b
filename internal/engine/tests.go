package engine

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	regofs "github.com/karpgate/karpgate/rego"
)

// DefaultTestTimeout bounds one Rego test, as `opa test` does.
const DefaultTestTimeout = 5 * time.Second

// TestOptions configures RunTests.
type TestOptions struct {
	Paths    []string       // .rego files, directories (with data beside them) or bundle .tar.gz files
	Run      *regexp.Regexp // only tests whose name matches it (nil runs all)
	Coverage bool           // measure which lines of the user's files the tests evaluate
	AllowNet bool           // keep http.send and net.* in user code
	Timeout  time.Duration  // per test; 0 means DefaultTestTimeout
	// RegoVersion of the .rego files given as paths: ast.RegoV1 (also when unset) or ast.RegoV0,
	// as conftest verify's option.
	RegoVersion ast.RegoVersion
}

// TestResult is one Rego test.
type TestResult struct {
	Package  string        `json:"package"` // e.g. "karpgate.rules.acme.boundary_test"
	Name     string        `json:"name"`    // e.g. "test_deny_missing_boundary"
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Pass     bool          `json:"pass"`
	Skip     bool          `json:"skip,omitempty"`      // todo_test_
	Error    string        `json:"error,omitempty"`     // an evaluation error (counts as a failure)
	TimedOut bool          `json:"timed_out,omitempty"` // the error is the time limit (TestOptions.Timeout)
	Duration time.Duration `json:"duration_ns"`
	Output   string        `json:"output,omitempty"` // what print() wrote
}

// TestReport is the outcome of RunTests. Coverage (percent, by file) holds the user's non-test
// files only, and only when TestOptions.Coverage is set.
type TestReport struct {
	Results  []TestResult       `json:"results"`
	Coverage map[string]float64 `json:"coverage,omitempty"`
}

// TestStatus is the outcome of one test.
type TestStatus string

// The outcomes.
const (
	TestPassed  TestStatus = "PASS"
	TestFailed  TestStatus = "FAIL"
	TestErrored TestStatus = "ERROR" // it could not be evaluated; counts as failed
	TestSkipped TestStatus = "SKIP"  // todo_test_
)

// Status is the test's outcome.
func (t TestResult) Status() TestStatus {
	switch {
	case t.Skip:
		return TestSkipped
	case t.Error != "":
		return TestErrored
	case !t.Pass:
		return TestFailed
	}
	return TestPassed
}

// Tally counts the outcomes: failed includes the tests that could not be evaluated.
func (r *TestReport) Tally() (passed, failed, skipped int) {
	for _, t := range r.Results {
		switch t.Status() {
		case TestPassed:
			passed++
		case TestSkipped:
			skipped++
		default:
			failed++
		}
	}
	return passed, failed, skipped
}

// RunTests runs the user's Rego tests (rules named test_*) with the user's rules and data, against
// the embedded library and rules, with the capabilities and strict mode of a scan. Policies that do
// not compile, or native rules whose # METADATA is incomplete, are a PolicyError.
func RunTests(ctx context.Context, opt TestOptions) (*TestReport, error) {
	caps := capabilities(opt.AllowNet)
	mods, stems, err := embeddedModules(false, false)
	if err != nil {
		return nil, err
	}
	data, err := regofs.Data()
	if err != nil {
		return nil, &PolicyError{Problem: "embedded data: " + err.Error()}
	}
	src := &sources{mods: mods, user: map[string]*ast.Module{}, data: data}
	userMods, err := loadTestPaths(opt.Paths, caps, data, regoVersion(opt.RegoVersion))
	if err != nil {
		return nil, err
	}
	if err := src.addUser(userMods, nil, stems, ""); err != nil {
		return nil, err
	}
	// The same checks as a scan: compile (tests left out) and complete # METADATA.
	prod := map[string]*ast.Module{}
	for name, m := range src.mods {
		if !strings.HasSuffix(name, "_test.rego") {
			prod[name] = m
		}
	}
	c, err := compileModules(prod, caps, false)
	if err != nil {
		return nil, err
	}
	if _, _, err := buildCatalog(c, nil); err != nil {
		return nil, err
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTestTimeout
	}
	runner := tester.NewRunner().
		SetCompiler(newCompiler(caps, true)).
		SetStore(inmem.NewFromObject(src.data)).
		SetModules(src.mods).
		SetTimeout(timeout).
		CapturePrintOutput(true).
		AddCustomBuiltins(localSchemaTestBuiltins()).
		SetParallel(2)
	var cov *cover.Cover
	if opt.Coverage {
		cov = cover.New()
		runner = runner.SetCoverageQueryTracer(cov)
	}
	if opt.Run != nil {
		runner = runner.Filter(opt.Run.String())
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		if errs, ok := err.(ast.Errors); ok && len(errs) > 0 {
			return nil, compileError(errs)
		}
		return nil, &PolicyError{Problem: "run tests: " + err.Error()}
	}
	report := &TestReport{Results: []TestResult{}}
	for r := range ch {
		// Only the user's tests: the embedded ones run in karpgate's own test suite.
		if r.Location != nil && strings.HasPrefix(r.Location.File, "karpgate:") {
			continue
		}
		tr := TestResult{Package: strings.TrimPrefix(r.Package, "data."), Name: r.Name, Pass: r.Pass(), Skip: r.Skip, Duration: r.Duration, Output: string(r.Output)}
		if r.Location != nil {
			tr.File, tr.Line = r.Location.File, r.Location.Row
		}
		if r.Error != nil {
			tr.Error = strings.ReplaceAll(r.Error.Error(), "\n", " ")
			if ctx.Err() == nil && r.Duration >= timeout {
				tr.Error, tr.TimedOut = fmt.Sprintf("test exceeded the time limit of %s", timeout), true
			}
		}
		report.Results = append(report.Results, tr)
	}
	slices.SortFunc(report.Results, func(a, b TestResult) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	if cov != nil {
		report.Coverage = map[string]float64{}
		rep := cov.Report(userMods)
		for _, name := range sortedKeys(userMods) {
			if strings.HasSuffix(name, "_test.rego") {
				continue
			}
			pct := 0.0
			if fr := rep.Files[name]; fr != nil {
				pct = fr.Coverage
			}
			report.Coverage[name] = pct
		}
	}
	return report, nil
}

// loadTestPaths loads .rego (tests included) and data files from files and directories, and bundle
// tarballs as bundles, merging the data into data. Hidden directories (.git, .terraform) are
// skipped.
func loadTestPaths(paths []string, caps *ast.Capabilities, data map[string]any, rv ast.RegoVersion) (map[string]*ast.Module, error) {
	mods := map[string]*ast.Module{}
	var plain []string
	for _, p := range paths {
		if !strings.HasSuffix(p, ".tar.gz") {
			plain = append(plain, p)
			continue
		}
		b, err := readRaw(p, caps, nil, false)
		if err != nil {
			return nil, err
		}
		for _, mf := range b.Modules {
			name := p + "/" + strings.TrimPrefix(mf.Path, "/")
			m, err := ast.ParseModuleWithOpts(name, string(mf.Raw), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1, Capabilities: caps})
			if err != nil {
				return nil, loaderError(err)
			}
			mods[name] = m
		}
		if err := mergeData(data, b.Data, p); err != nil {
			return nil, err
		}
	}
	if len(plain) > 0 {
		if err := checkLinks(plain); err != nil {
			return nil, err
		}
		for _, p := range plain {
			if _, err := os.Stat(p); err != nil {
				return nil, &PolicyError{File: p, Problem: pathProblem(err)}
			}
		}
		res, err := loader.NewFileLoader().
			WithProcessAnnotation(true).
			WithRegoVersion(rv).
			WithCapabilities(caps).
			Filtered(plain, func(_ string, info fs.FileInfo, depth int) bool {
				return depth > 0 && strings.HasPrefix(info.Name(), ".")
			})
		if err != nil {
			return nil, loaderError(err)
		}
		for name, m := range res.Modules {
			mods[name] = m.Parsed
		}
		if err := mergeData(data, res.Documents, "test data"); err != nil {
			return nil, err
		}
	}
	if len(mods) == 0 {
		return nil, &PolicyError{File: strings.Join(paths, ", "), Problem: "no .rego files found"}
	}
	return mods, nil
}
