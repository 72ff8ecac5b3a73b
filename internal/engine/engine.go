package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/karpgate/karpgate/internal/findings"
	regofs "github.com/karpgate/karpgate/rego"
)

// ErrPolicy marks every problem with a policy, a bundle or rule metadata (exit code 4).
var ErrPolicy = errors.New("policy error")

// PolicyError is a problem with one policy source; File and Line are set when known.
type PolicyError struct {
	File    string
	Line    int
	Problem string
}

func (e *PolicyError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	case e.File != "":
		return e.File + ": " + e.Problem
	}
	return e.Problem
}

// Is makes errors.Is(err, ErrPolicy) true.
func (e *PolicyError) Is(target error) bool { return target == ErrPolicy }

// DefaultTimeout bounds one evaluation.
const DefaultTimeout = 30 * time.Second

// Options configures an Engine.
type Options struct {
	Policies       []string       // user .rego files or directories (with .json/.yaml data beside them)
	Data           []string       // extra data files or directories
	Namespaces     []string       // conftest namespaces to evaluate (default: main, when it exists)
	NoDefaultRules bool           // leave out the embedded rules (the library stays)
	AllowNet       bool           // keep http.send and net.* in user code
	Timeout        time.Duration  // per evaluation; 0 means DefaultTimeout
	ExtraData      map[string]any // merged at data.karpgate.config (the user's config)
}

// Engine is a compiled policy set with one prepared query. It is safe for concurrent use.
type Engine struct {
	pq       rego.PreparedEvalQuery
	catalog  []findings.Rule
	byPkg    map[string]findings.Rule // rule by package path ("karpgate.rules.x") or conftest rule ref
	usesPlan bool
	timeout  time.Duration
}

// New loads, compiles and prepares everything.
func New(ctx context.Context, opt Options) (*Engine, error) {
	mods := map[string]*ast.Module{}
	parseOpts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	err := fs.WalkDir(regofs.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		if opt.NoDefaultRules && strings.HasPrefix(p, "rules/") {
			return nil
		}
		src, err := fs.ReadFile(regofs.FS(), p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts("karpgate:"+p, string(src), parseOpts)
		if err != nil {
			return fmt.Errorf("embedded policy %s: %w", p, err)
		}
		mods["karpgate:"+p] = m
		return nil
	})
	if err != nil {
		return nil, &PolicyError{Problem: err.Error()}
	}
	data, err := regofs.Data()
	if err != nil {
		return nil, &PolicyError{Problem: "embedded data: " + err.Error()}
	}
	if opt.ExtraData != nil {
		data[regofs.Root].(map[string]any)["config"] = opt.ExtraData
	}
	userMods, userData, err := loadUser(opt)
	if err != nil {
		return nil, err
	}
	for name, m := range userMods {
		if err := checkUserPackage(name, m); err != nil {
			return nil, err
		}
		mods[name] = m
	}
	if err := mergeData(data, userData); err != nil {
		return nil, err
	}
	caps := capabilities(opt.AllowNet)
	c := ast.NewCompiler().WithCapabilities(caps).WithStrict(true).WithEnablePrintStatements(false)
	c.Compile(mods)
	if c.Failed() {
		return nil, compileError(c.Errors)
	}
	catalog, byPkg, err := buildCatalog(c, opt.Namespaces)
	if err != nil {
		return nil, err
	}
	query := buildQuery(byPkg)
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	pq, err := rego.New(
		rego.Compiler(c),
		rego.Store(inmem.NewFromObject(data)),
		rego.Query(query),
		rego.Capabilities(caps),
		rego.StrictBuiltinErrors(false),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, &PolicyError{Problem: "prepare query: " + err.Error()}
	}
	return &Engine{pq: pq, catalog: catalog, byPkg: byPkg, usesPlan: referencesPlan(userMods), timeout: timeout}, nil
}

// Rules returns the rule catalog sorted by id.
func (e *Engine) Rules() []findings.Rule { return slices.Clone(e.catalog) }

// UsesPlan reports whether a loaded policy reads input.plan (so the caller must convert the plan).
func (e *Engine) UsesPlan() bool { return e.usesPlan }

func loadUser(opt Options) (map[string]*ast.Module, map[string]any, error) {
	paths := append(append([]string{}, opt.Policies...), opt.Data...)
	if len(paths) == 0 {
		return nil, nil, nil
	}
	res, err := loader.NewFileLoader().
		WithProcessAnnotation(true).
		WithRegoVersion(ast.RegoV1).
		Filtered(paths, func(_ string, info fs.FileInfo, _ int) bool {
			return !info.IsDir() && strings.HasSuffix(info.Name(), "_test.rego")
		})
	if err != nil {
		return nil, nil, loaderError(err)
	}
	mods := map[string]*ast.Module{}
	for name, m := range res.Modules {
		mods[name] = m.Parsed
	}
	return mods, res.Documents, nil
}

// checkUserPackage keeps user code out of the embedded library's namespace: user rules live under
// data.karpgate.rules.<name> or in any package outside data.karpgate.
func checkUserPackage(file string, m *ast.Module) error {
	path := strings.TrimPrefix(m.Package.Path.String(), "data.")
	if path == regofs.Root || (strings.HasPrefix(path, regofs.Root+".") && !strings.HasPrefix(path, regofs.Root+".rules.")) {
		return &PolicyError{File: file, Line: m.Package.Location.Row, Problem: fmt.Sprintf("package %s overlaps the embedded karpgate library (user rules go under karpgate.rules.<name>)", path)}
	}
	return nil
}

func mergeData(dst, src map[string]any) error {
	for k, v := range src {
		if k == regofs.Root {
			if m, ok := v.(map[string]any); ok {
				for k2 := range m {
					if k2 != "user" {
						return &PolicyError{Problem: fmt.Sprintf("user data may not set data.%s.%s (use data.%s.user)", regofs.Root, k2, regofs.Root)}
					}
				}
				dst[regofs.Root].(map[string]any)["user"] = m["user"]
				continue
			}
			return &PolicyError{Problem: "user data may not replace data." + regofs.Root}
		}
		dst[k] = v
	}
	return nil
}

// capabilities is the set of builtins user code may call: everything of this OPA version except
// network access and runtime introspection, unless allowNet.
func capabilities(allowNet bool) *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	if allowNet {
		return caps
	}
	var kept []*ast.Builtin
	for _, b := range caps.Builtins {
		if b.Name == "http.send" || strings.HasPrefix(b.Name, "net.lookup") || b.Name == "opa.runtime" {
			continue
		}
		kept = append(kept, b)
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}

func compileError(errs ast.Errors) error {
	sort.Slice(errs, func(i, j int) bool {
		a, b := errs[i].Location, errs[j].Location
		if a == nil || b == nil {
			return a == nil && b != nil
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Row < b.Row
	})
	e := errs[0]
	pe := &PolicyError{Problem: e.Message}
	if e.Location != nil {
		pe.File, pe.Line = e.Location.File, e.Location.Row
	}
	if strings.Contains(e.Message, "undefined function") {
		pe.Problem += " (not available to karpgate policies: network and runtime builtins are disabled unless --allow-net)"
	}
	if len(errs) > 1 {
		pe.Problem += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
	}
	return pe
}

func loaderError(err error) error {
	var errs loader.Errors
	if errors.As(err, &errs) && len(errs) > 0 {
		var ae *ast.Error
		if errors.As(errs[0], &ae) && ae.Location != nil {
			return &PolicyError{File: ae.Location.File, Line: ae.Location.Row, Problem: ae.Message}
		}
		return &PolicyError{Problem: errs[0].Error()}
	}
	var ae ast.Errors
	if errors.As(err, &ae) && len(ae) > 0 {
		return compileError(ae)
	}
	return &PolicyError{Problem: err.Error()}
}

// referencesPlan reports whether any module refers to input.plan, or to input as a whole.
func referencesPlan(mods map[string]*ast.Module) bool {
	found := false
	for _, m := range mods {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if !r.HasPrefix(ast.InputRootRef) {
				return false
			}
			if len(r) == 1 {
				found = true
				return true
			}
			if s, ok := r[1].Value.(ast.String); !ok || s == "plan" {
				found = true
			}
			return found
		})
		if found {
			return true
		}
	}
	return false
}
