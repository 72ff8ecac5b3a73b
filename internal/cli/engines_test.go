package cli

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
)

// testEngines shares compiled engines between the in-process tests of this package: compiling the
// embedded bundle costs far more than most scans, and most tests scan with the same configuration.
// An engine is shared only when everything it compiles is embedded (no --policy, --data or
// --bundle: files a test may write or change) and no evaluation hook is set; it is keyed on every
// other option, so a test gets exactly the engine engine.New would build for its flags. An Engine
// is safe for concurrent use, and without user code it keeps no state between evaluations.
// Tests of compilation itself, or of run-to-run determinism, call Run and compile afresh.
//
// The shared engines are compiled from an image of the embedded bundle (internal/policyimage), as
// the binary `make build` writes runs them; TestImageScansLikeTheSources compares them with
// engines compiled from the sources.
var testEngines = newEngineCache(sync.OnceValues(engine.BuildImage))

// newEngineCache returns an empty cache whose engines use the image image returns; nil: the
// engines compile the sources.
func newEngineCache(image func() ([]byte, error)) *engineCache {
	if image == nil {
		image = func() ([]byte, error) { return nil, nil }
	}
	return &engineCache{m: map[string]*cachedEngine{}, memos: map[*engine.Engine]*evalMemo{}, image: image}
}

type engineCache struct {
	mu    sync.Mutex
	m     map[string]*cachedEngine
	memos map[*engine.Engine]*evalMemo // of the shared engines
	image func() ([]byte, error)
}

type cachedEngine struct {
	once sync.Once
	eng  *engine.Engine
	err  error
}

// New is engine.New, compiling each shareable configuration once.
func (c *engineCache) New(ctx context.Context, opt engine.Options) (*engine.Engine, error) {
	if len(opt.Policies) > 0 || len(opt.Data) > 0 || len(opt.Bundles) > 0 || opt.OnEval != nil {
		return engine.New(ctx, opt)
	}
	key, err := optionsKey(opt)
	if err != nil {
		return engine.New(ctx, opt)
	}
	c.mu.Lock()
	e, ok := c.m[string(key)]
	if !ok {
		e = &cachedEngine{}
		c.m[string(key)] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		img, err := c.image()
		if err != nil {
			e.err = err
			return
		}
		e.eng, e.err = engine.NewWithImage(context.WithoutCancel(ctx), opt, img)
		if e.err == nil {
			c.mu.Lock()
			c.memos[e.eng] = &evalMemo{eng: e.eng, seen: map[int][]memoEntry{}}
			c.mu.Unlock()
		}
	})
	return e.eng, e.err
}

// optionsKey is every field of opt as JSON, by name (maps marshal with sorted keys). A field that
// JSON cannot hold, such as a function, fails the marshal, and the engine is not shared.
func optionsKey(opt engine.Options) ([]byte, error) {
	v := reflect.ValueOf(opt)
	fields := map[string]any{}
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Func && f.IsNil() {
			continue
		}
		fields[v.Type().Field(i).Name] = f.Interface()
	}
	return json.Marshal(fields)
}

// evalMemo evaluates each distinct input once: a later equal input gets a copy of the result.
type evalMemo struct {
	eng  *engine.Engine
	mu   sync.Mutex
	seen map[int][]memoEntry // by input hash
}

type memoEntry struct {
	input   ast.Value
	fs      []findings.Finding
	checked map[string]engine.Checked
}

func (m *evalMemo) eval(ctx context.Context, input ast.Value) ([]findings.Finding, map[string]engine.Checked, error) {
	h := input.Hash()
	m.mu.Lock()
	for _, e := range m.seen[h] {
		if e.input.Compare(input) == 0 {
			m.mu.Unlock()
			return slices.Clone(e.fs), maps.Clone(e.checked), nil
		}
	}
	m.mu.Unlock()
	fs, checked, err := m.eng.EvalChecked(ctx, input)
	if err != nil {
		return nil, nil, err
	}
	m.mu.Lock()
	m.seen[h] = append(m.seen[h], memoEntry{input: input, fs: slices.Clone(fs), checked: maps.Clone(checked)})
	m.mu.Unlock()
	return fs, checked, nil
}

// runShared runs karpgate in-process like Run, with engines from testEngines and their memos of
// evaluations. Only engines without user code are shared, so only their evaluations are memoized.
func runShared(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, args, &streams{in: stdin, out: stdout, err: stderr, isTTY: isTerminal(stdout), newEngine: testEngines.New, evalFor: testEngines.sharedEvalFor})
}

// sharedEvalFor returns the memo of eng's evaluations when testEngines shares eng: many tests
// scan the same plans with the same engine, and an input evaluated once need not be evaluated
// again (evaluation is a deterministic function of the engine and the input;
// TestOutputIsDeterministic checks that, and so it does not use the memo). Other engines evaluate.
func (c *engineCache) sharedEvalFor(eng *engine.Engine) func(context.Context, ast.Value) ([]findings.Finding, map[string]engine.Checked, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.memos[eng]; ok {
		return m.eval
	}
	return eng.EvalChecked
}

// runSharedEngine is runShared without the memo: every scan evaluates.
func runSharedEngine(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, args, &streams{in: stdin, out: stdout, err: stderr, isTTY: isTerminal(stdout), newEngine: testEngines.New})
}

// TestSharedEnginesMatchTheirOptions: the cache gives one engine per configuration, another for
// any other option value, and never shares an engine that compiles user files.
func TestSharedEnginesMatchTheirOptions(t *testing.T) {
	c := newEngineCache(nil)
	ctx := context.Background()
	get := func(opt engine.Options) *engine.Engine {
		t.Helper()
		e, err := c.New(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	base := get(engine.Options{})
	if get(engine.Options{}) != base {
		t.Error("the same options compiled twice")
	}
	for name, opt := range map[string]engine.Options{
		"timeout":          {Timeout: time.Minute},
		"no default rules": {NoDefaultRules: true},
		"config data":      {ExtraData: map[string]any{"fail_on": "warning"}},
		"policy":           {Policies: []string{"testdata/hostile/ok"}},
	} {
		if get(opt) == base {
			t.Errorf("%s: got the engine of the default options", name)
		}
	}
	pol := engine.Options{Policies: []string{"testdata/hostile/ok"}}
	user := get(pol)
	if get(pol) == user {
		t.Error("an engine with user policies was shared")
	}
	if _, ok := c.memos[base]; !ok {
		t.Error("a shared engine's evaluations are not memoized")
	}
	if _, ok := c.memos[user]; ok {
		t.Error("an engine with user policies has its evaluations memoized")
	}
	if n := len(get(engine.Options{NoDefaultRules: true}).Rules()); n != 0 {
		t.Errorf("no default rules: %d rules", n)
	}
}
