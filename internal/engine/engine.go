package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/policyimage"
	regofs "github.com/karpgate/karpgate/rego"
)

// ErrPolicy marks every problem with a policy, a bundle or rule metadata.
var ErrPolicy = errors.New("policy error")

// PolicyError is a problem with one policy source; File and Line are set when known.
type PolicyError struct {
	File    string
	Line    int
	Problem string
	Hint    Hint // the setting of the caller's the problem is about, for the caller to name
}

// Hint names a setting a PolicyError is about; the engine knows the settings as Options fields,
// the caller knows how people set them.
type Hint int

// The hints.
const (
	NoHint              Hint = iota
	HintTimeout              // Options.Timeout: the evaluation time limit was exceeded
	HintAllowNet             // Options.AllowNet: the policy calls a network builtin
	HintRegoV0               // Options.RegoVersion: the policy looks like Rego v0
	HintVerificationKey      // a verification key was given for an unsigned bundle
)

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
	Policies       []string             // user .rego files or directories (with .json/.yaml data beside them)
	Data           []string             // extra data files or directories
	Bundles        []string             // OPA bundle directories or .tar.gz files with a .manifest (see bundle.go)
	Verification   *VerificationOptions // verify every bundle's signature; nil: signatures are not checked
	Namespaces     []string             // conftest namespaces to evaluate (default: main, when it exists)
	RegoVersion    ast.RegoVersion      // of Policies files: ast.RegoV1 (also when unset) or ast.RegoV0, as conftest's option
	NoDefaultRules bool                 // leave out the embedded rules (the library stays)
	AllowNet       bool                 // keep http.send and net.* in user code
	Timeout        time.Duration        // per evaluation; 0 means DefaultTimeout
	ExtraData      map[string]any       // merged at data.karpgate.config (the user's config)
	// OnEval, when set, is called as each evaluation starts; the function it returns is called as
	// the evaluation ends. A supervising parent process uses it to kill an evaluation that a single
	// builtin call keeps past the timeout (see internal/cli/supervise.go).
	OnEval func() (done func())
}

// Engine is a compiled policy set with one prepared query. It is safe for concurrent use.
type Engine struct {
	pq       rego.PreparedEvalQuery  // karpgate's own rules: input is {iam, plan, run}
	cpq      *rego.PreparedEvalQuery // conftest rules, when there are any: input is the plan (conftest.go)
	catalog  []findings.Rule
	byPkg    map[string]findings.Rule // rule by package path ("karpgate.rules.x") or conftest rule ref
	usesPlan bool
	timeout  time.Duration
	onEval   func() func()
	userCode string // the user's policy files, for messages

	mu      sync.Mutex
	derived map[string]findings.Rule // catalog entries derived from conftest results that carry an id
}

// New loads, compiles and prepares everything.
// Without user code it uses the compiled image of the embedded bundle the binary carries, if any
// (internal/policyimage).
func New(ctx context.Context, opt Options) (*Engine, error) {
	return NewWithImage(ctx, opt, policyimage.Embedded())
}

// NewWithImage is New with img as the compiled image of the embedded bundle (see BuildImage); nil
// compiles the sources. An image of other sources is not used; a damaged one is an error.
func NewWithImage(ctx context.Context, opt Options, img []byte) (*Engine, error) {
	caps := capabilities(opt.AllowNet)
	cp, err := fromImage(opt, caps, img)
	if errors.Is(err, errNoImage) {
		cp, err = fromSources(opt, caps)
	}
	if err != nil {
		return nil, err
	}
	src, c, catalog, byPkg := cp.src, cp.compiler, cp.catalog, cp.byPkg
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	native, conftest := splitRefs(byPkg)
	// Data is read on every evaluation: held as AST values it is not converted on each read.
	store := inmem.NewFromObjectWithOpts(src.data, inmem.OptReturnASTValuesOnRead(true))
	prepare := func(query string) (rego.PreparedEvalQuery, error) {
		regoOpts := append([]func(*rego.Rego){
			rego.Compiler(c),
			rego.Store(store),
			rego.Query(query),
			rego.Capabilities(caps),
			rego.StrictBuiltinErrors(false),
		}, localSchemaBuiltins()...)
		pq, err := rego.New(regoOpts...).PrepareForEval(ctx)
		if err != nil {
			return pq, &PolicyError{Problem: "prepare query: " + err.Error()}
		}
		return pq, nil
	}
	pq, err := prepare(buildQuery(native) + "; " + checkedQuery)
	if err != nil {
		return nil, err
	}
	e := &Engine{pq: pq, catalog: catalog, byPkg: byPkg, timeout: timeout, onEval: opt.OnEval, userCode: fileList(src.user)}
	// input.plan is built only when a policy reads it: a module outside the conftest namespaces that
	// refers to it, or any conftest rule (whose input is the plan).
	e.usesPlan = referencesPlan(outsideNamespaces(src.user, conftestNamespaces(conftest))) || len(conftest) > 0
	if len(conftest) > 0 {
		cpq, err := prepare(buildConftestQuery(c, conftest))
		if err != nil {
			return nil, err
		}
		e.cpq = &cpq
	}
	return e, nil
}

// compiled is what New prepares its queries from.
type compiled struct {
	src      *sources
	compiler *ast.Compiler
	catalog  []findings.Rule
	byPkg    map[string]findings.Rule
}

// fromSources parses and compiles the embedded bundle and the user's code.
func fromSources(opt Options, caps *ast.Capabilities) (*compiled, error) {
	src, err := loadSources(opt, caps)
	if err != nil {
		return nil, err
	}
	compile := compileModules
	if len(src.user) == 0 {
		compile = compileEmbedded
	}
	c, err := compile(src.mods, caps, false)
	if err != nil {
		return nil, err
	}
	catalog, byPkg, err := buildCatalog(c, opt.Namespaces)
	if err != nil {
		return nil, err
	}
	return &compiled{src: src, compiler: c, catalog: catalog, byPkg: byPkg}, nil
}

// fromImage compiles img when opt has no user code and img is an image of the embedded sources;
// otherwise it returns errNoImage.
func fromImage(opt Options, caps *ast.Capabilities, img []byte) (*compiled, error) {
	if len(opt.Policies)+len(opt.Data)+len(opt.Bundles) > 0 || opt.NoDefaultRules {
		return nil, errNoImage
	}
	c, cat, err := compileImage(img, caps)
	if err != nil {
		return nil, err
	}
	data, err := embeddedData(opt)
	if err != nil {
		return nil, err
	}
	src := &sources{mods: c.Modules, user: map[string]*ast.Module{}, data: data}
	return &compiled{src: src, compiler: c, catalog: cat.Catalog, byPkg: cat.ByPkg}, nil
}

// sources is everything New compiles: the embedded library and rules, the user's policies and
// bundles, and the merged data document.
type sources struct {
	mods    map[string]*ast.Module // embedded and user modules by file name
	user    map[string]*ast.Module // the user's modules only (policies and bundles)
	data    map[string]any
	bundles []*userBundle
}

// loadSources reads the embedded bundle, the user's policies and data, and the user's bundles, and
// checks that user code and data stay out of the embedded library's namespace.
func loadSources(opt Options, caps *ast.Capabilities) (*sources, error) {
	mods, stems, err := embeddedModules(opt.NoDefaultRules, false)
	if err != nil {
		return nil, err
	}
	data, err := embeddedData(opt)
	if err != nil {
		return nil, err
	}
	src := &sources{mods: mods, user: map[string]*ast.Module{}, data: data}
	userMods, userData, err := loadUser(opt)
	if err != nil {
		return nil, err
	}
	if err := src.addUser(userMods, userData, stems, "the policy and data files"); err != nil {
		return nil, err
	}
	vc, err := opt.Verification.config()
	if err != nil {
		return nil, err
	}
	for _, path := range opt.Bundles {
		b, err := readBundle(path, caps, vc)
		if err != nil {
			return nil, err
		}
		if err := checkRoots(b, stems, src.bundles); err != nil {
			return nil, err
		}
		src.bundles = append(src.bundles, b)
	}
	// Policies modules may not write into a bundle's roots: the bundle owns them.
	for _, name := range sortedKeys(userMods) {
		m := userMods[name]
		for _, b := range src.bundles {
			if root, ok := b.owns(m.Package.Path); ok {
				return nil, &PolicyError{File: name, Line: m.Package.Location.Row, Problem: fmt.Sprintf("package %s is inside root %q of bundle %s", strings.TrimPrefix(m.Package.Path.String(), "data."), root, b.path)}
			}
		}
	}
	for _, b := range src.bundles {
		if err := src.addUser(b.modules, b.bundle.Data, stems, "bundle "+b.path); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// embeddedData is the embedded data document with the user's config (opt.ExtraData) at
// data.karpgate.config.
func embeddedData(opt Options) (map[string]any, error) {
	data, err := regofs.Data()
	if err != nil {
		return nil, &PolicyError{Problem: "embedded data: " + err.Error()}
	}
	if opt.ExtraData != nil {
		data[regofs.Root].(map[string]any)["config"] = opt.ExtraData
	}
	return data, nil
}

// addUser adds user modules and data after checking their packages and data paths.
func (s *sources) addUser(mods map[string]*ast.Module, data map[string]any, stems map[string]bool, from string) error {
	for _, name := range sortedKeys(mods) {
		m := mods[name]
		if err := checkUserPackage(name, m, stems); err != nil {
			return err
		}
		if _, dup := s.mods[name]; dup {
			return &PolicyError{File: name, Problem: "loaded twice"}
		}
		if err := rewriteSchemaCalls(m); err != nil {
			return &PolicyError{File: name, Problem: err.Error()}
		}
		s.mods[name] = m
		s.user[name] = m
	}
	return mergeData(s.data, data, from)
}

// embeddedModules parses the embedded .rego files with annotations, on every core. It returns them
// by file name ("karpgate:lib/iam.rego") with the stems of the embedded rule packages
// (karpgate.rules.<stem>), which user code may not reuse. Tests are included only when withTests.
func embeddedModules(noDefaultRules, withTests bool) (map[string]*ast.Module, map[string]bool, error) {
	var paths []string
	err := fs.WalkDir(regofs.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		if strings.HasSuffix(p, "_test.rego") && !withTests {
			return nil
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return nil, nil, &PolicyError{Problem: err.Error()}
	}
	parsed := make([]*ast.Module, len(paths))
	errs := make([]error, len(paths))
	parseOpts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(paths); i = int(next.Add(1) - 1) {
				src, err := fs.ReadFile(regofs.FS(), paths[i])
				if err == nil {
					parsed[i], err = ast.ParseModuleWithOpts("karpgate:"+paths[i], string(src), parseOpts)
				}
				if err != nil {
					errs[i] = fmt.Errorf("embedded policy %s: %w", paths[i], err)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, &PolicyError{Problem: err.Error()}
		}
	}
	mods := map[string]*ast.Module{}
	stems := map[string]bool{}
	rulesPkg := "data." + regofs.Root + ".rules."
	for i, p := range paths {
		m := parsed[i]
		test := strings.HasSuffix(p, "_test.rego")
		if pkg := m.Package.Path.String(); strings.HasPrefix(pkg, rulesPkg) && !test {
			stem, _, _ := strings.Cut(strings.TrimPrefix(pkg, rulesPkg), ".")
			stems[stem] = true
		}
		if noDefaultRules && strings.HasPrefix(p, "rules/") {
			continue
		}
		mods["karpgate:"+p] = m
	}
	return mods, stems, nil
}

// compileModules compiles with karpgate's capabilities in strict mode.
func compileModules(mods map[string]*ast.Module, caps *ast.Capabilities, print bool) (*ast.Compiler, error) {
	c := newCompiler(caps, print)
	c.Compile(mods)
	if c.Failed() {
		return nil, compileError(c.Errors)
	}
	return c, nil
}

// embeddedChecks are the compiler stages that only check and change nothing: on the embedded
// bundle alone they give the same answer every time (no error: TestEmbeddedBundlePassesEveryCheck
// compiles it with every stage), so a compile without user code skips them. Type checking is one of
// them: nothing it infers is read when no rule or query uses `with` on a function, which the
// embedded rules never do (TestEmbeddedBundlePassesEveryCheck requires it). With user code every
// stage runs.
func embeddedChecks() []ast.StageID {
	return []ast.StageID{
		ast.StageCheckUnusedImports,
		ast.StageCheckKeywordOverrides,
		ast.StageCheckDuplicateImports,
		ast.StageCheckVoidCalls,
		ast.StageCheckRuleConflicts,
		ast.StageCheckUndefinedFuncs,
		ast.StageCheckSafetyRuleHeads,
		ast.StageCheckRecursion,
		ast.StageCheckUnsafeBuiltins,
		ast.StageCheckDeprecatedBuiltins,
		ast.StageCheckTypes,
	}
}

// compileEmbedded compiles the embedded modules alone, without the checks that cannot fail on them.
func compileEmbedded(mods map[string]*ast.Module, caps *ast.Capabilities, print bool) (*ast.Compiler, error) {
	c := newCompiler(caps, print).WithSkipStages(embeddedChecks()...)
	c.Compile(mods)
	if c.Failed() {
		return nil, compileError(c.Errors)
	}
	return c, nil
}

func newCompiler(caps *ast.Capabilities, print bool) *ast.Compiler {
	return ast.NewCompiler().WithCapabilities(caps).WithStrict(true).WithEnablePrintStatements(print)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Rules returns the rule catalog sorted by id.
// Conftest results that carry their own id add entries derived from their rule (see derive).
func (e *Engine) Rules() []findings.Rule {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.derived) == 0 {
		return slices.Clone(e.catalog)
	}
	out := slices.Clone(e.catalog)
	for _, id := range sortedKeys(e.derived) {
		out = append(out, e.derived[id])
	}
	slices.SortFunc(out, func(a, b findings.Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// UsesPlan reports whether a loaded policy reads input.plan (so the caller must convert the plan).
func (e *Engine) UsesPlan() bool { return e.usesPlan }

func loadUser(opt Options) (map[string]*ast.Module, map[string]any, error) {
	paths := append(append([]string{}, opt.Policies...), opt.Data...)
	if len(paths) == 0 {
		return nil, nil, nil
	}
	if err := checkLinks(paths); err != nil {
		return nil, nil, err
	}
	res, err := loader.NewFileLoader().
		WithProcessAnnotation(true).
		WithRegoVersion(regoVersion(opt.RegoVersion)).
		Filtered(paths, func(_ string, info fs.FileInfo, _ int) bool {
			return !info.IsDir() && strings.HasSuffix(info.Name(), "_test.rego")
		})
	if err != nil {
		return nil, nil, v0Hint(loaderError(err), opt.RegoVersion)
	}
	mods := map[string]*ast.Module{}
	for name, m := range res.Modules {
		mods[name] = m.Parsed
	}
	return mods, res.Documents, nil
}

// regoVersion is the version Policies files are parsed with: v1 unless v0 is asked for.
func regoVersion(v ast.RegoVersion) ast.RegoVersion {
	if v == ast.RegoV0 {
		return ast.RegoV0
	}
	return ast.RegoV1
}

// checkUserPackage keeps user code out of the embedded library's namespace: user rules live under
// data.karpgate.rules.<name> (a name the embedded rules do not use) or in any package outside
// data.karpgate.
func checkUserPackage(file string, m *ast.Module, stems map[string]bool) error {
	path := strings.TrimPrefix(m.Package.Path.String(), "data.")
	rules := regofs.Root + ".rules."
	if path == regofs.Root || (strings.HasPrefix(path, regofs.Root+".") && !strings.HasPrefix(path, rules)) {
		return &PolicyError{File: file, Line: m.Package.Location.Row, Problem: fmt.Sprintf("package %s overlaps the embedded karpgate library (user rules go under karpgate.rules.<name>)", path)}
	}
	if stem, _, _ := strings.Cut(strings.TrimPrefix(path, rules), "."); strings.HasPrefix(path, rules) && stems[strings.TrimSuffix(stem, "_test")] {
		return &PolicyError{File: file, Line: m.Package.Location.Row, Problem: fmt.Sprintf("package %s overlaps the embedded rule karpgate.rules.%s (pick another name; disable or override embedded rules in .karpgate.yaml)", path, strings.TrimSuffix(stem, "_test"))}
	}
	return nil
}

// mergeData merges user data into dst. Under data.karpgate only data.karpgate.user is open to
// users; a key set by two sources is an error naming the second one.
func mergeData(dst, src map[string]any, from string) error {
	for _, k := range sortedKeys(src) {
		v := src[k]
		if k != regofs.Root {
			if err := mergeValue(dst, k, v, k, from); err != nil {
				return err
			}
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return &PolicyError{File: from, Problem: "user data may not replace data." + regofs.Root}
		}
		for _, k2 := range sortedKeys(m) {
			if k2 != "user" {
				return &PolicyError{File: from, Problem: fmt.Sprintf("user data may not set data.%s.%s (use data.%s.user)", regofs.Root, k2, regofs.Root)}
			}
		}
		u, ok := m["user"]
		if !ok {
			continue
		}
		root, ok := dst[regofs.Root].(map[string]any)
		if !ok {
			root = map[string]any{}
			dst[regofs.Root] = root
		}
		if err := mergeValue(root, "user", u, regofs.Root+".user", from); err != nil {
			return err
		}
	}
	return nil
}

func mergeValue(dst map[string]any, k string, v any, path, from string) error {
	old, exists := dst[k]
	if !exists {
		dst[k] = v
		return nil
	}
	om, ok1 := old.(map[string]any)
	vm, ok2 := v.(map[string]any)
	if !ok1 || !ok2 {
		return &PolicyError{File: from, Problem: fmt.Sprintf("data.%s is already set by another data file or bundle", path)}
	}
	for _, k2 := range sortedKeys(vm) {
		if err := mergeValue(om, k2, vm[k2], path+"."+k2, from); err != nil {
			return err
		}
	}
	return nil
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
	if strings.Contains(e.Message, "undefined function") && (strings.Contains(e.Message, "http.send") || strings.Contains(e.Message, "net.")) {
		pe.Problem += " (not available to karpgate policies: network builtins are disabled)"
		pe.Hint = HintAllowNet
	}
	if strings.Contains(e.Message, "undefined function") && strings.Contains(e.Message, "opa.runtime") {
		pe.Problem += " (not available to karpgate policies: it reads the environment; see docs/security.md)"
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

// fileList names the files of mods for a message: at most three, then how many more.
func fileList(mods map[string]*ast.Module) string {
	names := sortedKeys(mods)
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
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
