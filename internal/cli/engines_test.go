package cli

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/karpgate/karpgate/internal/engine"
)

// testEngines shares compiled engines between the in-process tests of this package: compiling the
// embedded bundle costs far more than most scans, and most tests scan with the same configuration.
// An engine is shared only when everything it compiles is embedded (no --policy, --data or
// --bundle: files a test may write or change) and no evaluation hook is set; it is keyed on every
// other option, so a test gets exactly the engine engine.New would build for its flags. An Engine
// is safe for concurrent use, and without user code it keeps no state between evaluations.
// Tests of compilation itself, or of run-to-run determinism, call Run and compile afresh.
var testEngines = &engineCache{m: map[string]*cachedEngine{}}

type engineCache struct {
	mu sync.Mutex
	m  map[string]*cachedEngine
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
	e.once.Do(func() { e.eng, e.err = engine.New(context.WithoutCancel(ctx), opt) })
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

// runShared runs karpgate in-process like Run, with engines from testEngines.
func runShared(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, args, &streams{in: stdin, out: stdout, err: stderr, isTTY: isTerminal(stdout), newEngine: testEngines.New})
}

// TestSharedEnginesMatchTheirOptions: the cache gives one engine per configuration, another for
// any other option value, and never shares an engine that compiles user files.
func TestSharedEnginesMatchTheirOptions(t *testing.T) {
	c := &engineCache{m: map[string]*cachedEngine{}}
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
	if get(pol) == get(pol) {
		t.Error("an engine with user policies was shared")
	}
	if n := len(get(engine.Options{NoDefaultRules: true}).Rules()); n != 0 {
		t.Errorf("no default rules: %d rules", n)
	}
}
