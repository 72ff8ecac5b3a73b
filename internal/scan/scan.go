package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/jsontext"
	"github.com/karpgate/karpgate/internal/plan"
)

// Options configures a Scanner.
type Options struct {
	Facts       facts.Options
	Gate        findings.Gate
	Overrides   findings.Overrides
	MaxPlanSize int64 // <= 0: plan.DefaultMaxSize
	Today       string
	Tool        findings.Tool
	Workers     int // plans scanned at once; <= 0: GOMAXPROCS
	// Config is copied into every result: the configuration applied and what it relaxed.
	Config *findings.ConfigApplied
	// Eval evaluates one input in place of the engine's EvalChecked when set. Tests that scan the
	// same plans many times pass a memo of the engine's evaluations; nil everywhere else.
	Eval func(context.Context, ast.Value) ([]findings.Finding, map[string]engine.Checked, error)
}

// Run carries run metadata into input.run.
type Run struct {
	Workspace    string `json:"workspace,omitempty"`
	Stage        string `json:"stage,omitempty"`
	RunID        string `json:"run_id,omitempty"`
	Organization string `json:"organization,omitempty"`
}

// Scanner runs the pipeline with one prepared engine. It is safe for concurrent use.
type Scanner struct {
	eng *engine.Engine
	opt Options
	// keepAll reads every resource of a plan and its whole text, instead of streaming it and
	// keeping only what the IAM model reads; findings are identical, only slower (tests compare).
	keepAll bool
	// eval evaluates one input: eng.EvalChecked, or Options.Eval.
	eval func(context.Context, ast.Value) ([]findings.Finding, map[string]engine.Checked, error)
}

// New returns a Scanner.
func New(eng *engine.Engine, opt Options) *Scanner {
	eval := eng.EvalChecked
	if opt.Eval != nil {
		eval = opt.Eval
	}
	return &Scanner{eng: eng, opt: opt, eval: eval}
}

// Source is one plan to scan: a file path, or "-" with its reader.
type Source struct {
	Name   string
	Reader io.Reader // nil: open Name
}

type planResult struct {
	findings []findings.Finding
	checked  []findings.Checked
	err      error
}

// Scan scans every source and returns one result. The first input or policy error (in the order
// of srcs) is returned and no result is produced: a gate never passes on a partial scan.
func (s *Scanner) Scan(ctx context.Context, srcs []Source, run Run) (findings.Result, error) {
	workers := s.opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	split := splitPlans(len(srcs), workers, runtime.GOMAXPROCS(0))
	results := make([]planResult, len(srcs))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fs, checked, err := s.scanOne(ctx, src, run, split)
			results[i] = planResult{fs, checked, err}
		}()
	}
	wg.Wait()
	var all []findings.Finding
	var checked []findings.Checked
	names := make([]string, 0, len(srcs))
	for i, r := range results {
		if r.err != nil {
			return findings.Result{}, r.err
		}
		all = append(all, r.findings...)
		checked = append(checked, r.checked...)
		names = append(names, srcs[i].Name)
	}
	res := s.finish(names, all)
	slices.SortFunc(checked, func(a, b findings.Checked) int {
		return cmp.Or(strings.Compare(a.Plan, b.Plan), strings.Compare(a.Role, b.Role))
	})
	res.Checked = checked
	return res, nil
}

func (s *Scanner) finish(names []string, all []findings.Finding) findings.Result {
	rules, fs, notices := s.opt.Overrides.Apply(s.eng.Rules(), all, s.opt.Today)
	findings.Sort(fs)
	fs = dedupe(fs)
	if fs == nil {
		fs = []findings.Finding{}
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	return findings.Result{
		Tool:     s.opt.Tool,
		Plans:    sorted,
		Rules:    rules,
		Findings: fs,
		Summary:  s.opt.Gate.Summarize(fs),
		Notices:  notices,
		Config:   s.opt.Config,
	}
}

func dedupe(fs []findings.Finding) []findings.Finding {
	out := fs[:0]
	for i, f := range fs {
		if i > 0 && findings.Compare(f, fs[i-1]) == 0 && f.Key() == fs[i-1].Key() {
			continue
		}
		out = append(out, f)
	}
	return out
}

// splitPlans reports whether a large plan is read on several cores (plan.Options.Split): only
// when fewer plans are scanned at once than there are cores, so that some are idle.
func splitPlans(plans, workers, cores int) bool {
	return min(plans, workers) < cores
}

func (s *Scanner) scanOne(ctx context.Context, src Source, run Run, split bool) ([]findings.Finding, []findings.Checked, error) {
	r := src.Reader
	if r == nil {
		f, err := os.Open(src.Name)
		if err != nil {
			return nil, nil, &plan.InputError{File: src.Name, Problem: "open: " + pathErr(err)}
		}
		defer f.Close()
		r = f
	}
	hr := &headReader{r: r}
	if !regularFile(r) {
		r = hr // a regular file keeps its type: the split parse reads it at offsets
	}
	// input.plan is built from the text, so a policy that reads it needs the text held whole.
	opt := plan.Options{MaxSize: s.opt.MaxPlanSize, Keep: facts.Relevant, Text: s.eng.UsesPlan(), Split: split}
	if s.keepAll {
		opt.Keep, opt.Text = nil, true
	}
	p, err := plan.Read(src.Name, r, opt)
	if err != nil {
		return nil, nil, binaryPlanHint(err, hr)
	}
	iam := facts.Build(p, s.opt.Facts)
	forms := policyForms(p, iam)
	input, err := s.input(p, iam, run)
	if err != nil {
		return nil, nil, err
	}
	fs, counts, err := s.eval(ctx, input)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", src.Name, err)
	}
	for i := range fs {
		fs[i].Plan = src.Name
	}
	useForms(fs, forms)
	checked := make([]findings.Checked, 0, len(counts))
	for role, c := range counts {
		checked = append(checked, findings.Checked{Plan: src.Name, Role: role, Requests: c.Requests, Version: c.Version, Compatibility: c.Compatibility})
	}
	return fs, checked, nil
}

// Facts returns input.iam for one plan, as `karpgate facts` prints it.
func Facts(name string, r io.Reader, max int64, opt facts.Options) (*facts.IAM, error) {
	p, err := plan.Read(name, r, plan.Options{MaxSize: max, Keep: facts.Relevant, Split: runtime.GOMAXPROCS(0) > 1})
	if err != nil {
		return nil, err
	}
	return facts.Build(p, opt), nil
}

// input builds the OPA input value: iam always, plan only when a policy reads it. Both are
// converted straight to OPA values (input.go, planvalue.go); the value is the one OPA would
// build from the JSON of iam and from the plan text. p is not referenced once its fields are
// read, so the parsed plan can be collected while input.plan is decoded from the raw text.
func (s *Scanner) input(p *plan.Plan, iam *facts.IAM, run Run) (ast.Value, error) {
	return buildInput(p, iam, run, s.eng.UsesPlan())
}

func buildInput(p *plan.Plan, iam *facts.IAM, run Run, withPlan bool) (ast.Value, error) {
	name, raw := p.Name, []byte(nil)
	if withPlan {
		raw = p.Raw // the only reference to the plan kept past this point
	}
	runDoc := [][2]*ast.Term{
		{ast.InternedTerm("plan_file"), ast.InternedTerm(p.Name)},
		{ast.InternedTerm("kind"), ast.InternedTerm(string(p.Kind))},
	}
	for _, kv := range [...][2]string{{"workspace", run.Workspace}, {"stage", run.Stage}, {"run_id", run.RunID}, {"organization", run.Organization}} {
		if kv[1] != "" {
			runDoc = append(runDoc, [2]*ast.Term{ast.InternedTerm(kv[0]), ast.InternedTerm(kv[1])})
		}
	}
	doc := [][2]*ast.Term{
		{ast.InternedTerm("iam"), ast.NewTerm(iamValue(iam))},
		{ast.InternedTerm("run"), ast.ObjectTerm(runDoc...)},
	}
	if withPlan {
		v, err := planValue(raw)
		if err != nil {
			var ne *jsontext.NumberError
			if errors.As(err, &ne) {
				// A number OPA cannot evaluate (1e100000): the error ast.InterfaceToValue gives.
				return nil, fmt.Errorf("%s: build input: %w", name, ne.Err)
			}
			return nil, &plan.InputError{File: name, Problem: "decode for input.plan: " + err.Error()}
		}
		doc = append(doc, [2]*ast.Term{ast.InternedTerm("plan"), ast.NewTerm(v)})
	}
	return ast.NewObject(doc...), nil
}

// pathErr drops the operation and path os.Open puts in its error: the caller names the file.
func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
