package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/findings"
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
}

// New returns a Scanner.
func New(eng *engine.Engine, opt Options) *Scanner { return &Scanner{eng: eng, opt: opt} }

// Source is one plan to scan: a file path, or "-" with its reader.
type Source struct {
	Name   string
	Reader io.Reader // nil: open Name
}

type planResult struct {
	findings []findings.Finding
	err      error
}

// Scan scans every source and returns one result. The first input or policy error (in the order
// of srcs) is returned and no result is produced: a gate never passes on a partial scan.
func (s *Scanner) Scan(ctx context.Context, srcs []Source, run Run) (findings.Result, error) {
	workers := s.opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]planResult, len(srcs))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fs, err := s.scanOne(ctx, src, run)
			results[i] = planResult{fs, err}
		}()
	}
	wg.Wait()
	var all []findings.Finding
	names := make([]string, 0, len(srcs))
	for i, r := range results {
		if r.err != nil {
			return findings.Result{}, r.err
		}
		all = append(all, r.findings...)
		names = append(names, srcs[i].Name)
	}
	return s.finish(names, all), nil
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

func (s *Scanner) scanOne(ctx context.Context, src Source, run Run) ([]findings.Finding, error) {
	r := src.Reader
	if r == nil {
		f, err := os.Open(src.Name)
		if err != nil {
			return nil, &plan.InputError{File: src.Name, Problem: "open: " + pathErr(err)}
		}
		defer f.Close()
		r = f
	}
	p, err := plan.Parse(src.Name, r, s.opt.MaxPlanSize)
	if err != nil {
		return nil, err
	}
	iam := facts.Build(p, s.opt.Facts)
	input, err := s.input(p, iam, run)
	if err != nil {
		return nil, err
	}
	fs, err := s.eng.Eval(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Name, err)
	}
	for i := range fs {
		fs[i].Plan = src.Name
	}
	return fs, nil
}

// Facts returns input.iam for one plan, as `karpgate facts` prints it.
func Facts(name string, r io.Reader, max int64, opt facts.Options) (*facts.IAM, error) {
	p, err := plan.Parse(name, r, max)
	if err != nil {
		return nil, err
	}
	return facts.Build(p, opt), nil
}

// input builds the OPA input value: iam always, plan only when a policy reads it.
func (s *Scanner) input(p *plan.Plan, iam *facts.IAM, run Run) (ast.Value, error) {
	iamJSON, err := json.Marshal(iam)
	if err != nil {
		return nil, fmt.Errorf("%s: encode input.iam: %w", p.Name, err)
	}
	var iamDoc any
	if err := util.UnmarshalJSON(iamJSON, &iamDoc); err != nil {
		return nil, fmt.Errorf("%s: decode input.iam: %w", p.Name, err)
	}
	runDoc := map[string]any{"plan_file": p.Name, "kind": string(p.Kind)}
	for k, v := range map[string]string{"workspace": run.Workspace, "stage": run.Stage, "run_id": run.RunID, "organization": run.Organization} {
		if v != "" {
			runDoc[k] = v
		}
	}
	doc := map[string]any{"iam": iamDoc, "run": runDoc}
	if s.eng.UsesPlan() {
		var planDoc any
		dec := util.NewJSONDecoder(bytes.NewReader(p.Raw))
		if err := dec.Decode(&planDoc); err != nil {
			return nil, &plan.InputError{File: p.Name, Problem: "decode for input.plan: " + err.Error()}
		}
		doc["plan"] = planDoc
	}
	v, err := ast.InterfaceToValue(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: build input: %w", p.Name, err)
	}
	return v, nil
}

func pathErr(err error) string {
	var pe *os.PathError
	if ok := asPathError(err, &pe); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func asPathError(err error, target **os.PathError) bool {
	pe, ok := err.(*os.PathError)
	if ok {
		*target = pe
	}
	return ok
}
