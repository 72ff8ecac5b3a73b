package engine

import (
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestEmbeddedBundlePassesEveryCheck: the embedded library and rules compile with every compiler
// stage under the strictest capabilities (no network builtins), so the checks a compile without
// user code skips (embeddedChecks) could not have failed; and skipping them changes nothing
// the compiler produces: every compiled module is the same. Type checking is skipped too, so no
// embedded rule may use `with` (the one place evaluation reads inferred types).
func TestEmbeddedBundlePassesEveryCheck(t *testing.T) {
	caps := capabilities(false)
	for _, noDefaultRules := range []bool{false, true} {
		mods, _, err := embeddedModules(noDefaultRules, false)
		if err != nil {
			t.Fatal(err)
		}
		full := newCompiler(caps, false)
		full.Compile(mods)
		if full.Failed() {
			t.Fatalf("the embedded bundle fails a compiler check: %v", full.Errors)
		}
		for _, id := range embeddedChecks() {
			if !slices.Contains(full.StagesToRun(), id) {
				t.Errorf("the full compile does not run %s", id)
			}
		}
		again, _, err := embeddedModules(noDefaultRules, false)
		if err != nil {
			t.Fatal(err)
		}
		skipped, err := compileEmbedded(again, caps, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range embeddedChecks() {
			if slices.Contains(skipped.StagesToRun(), id) {
				t.Errorf("compileEmbedded runs %s", id)
			}
		}
		if len(skipped.Modules) != len(full.Modules) {
			t.Fatalf("%d modules compiled, want %d", len(skipped.Modules), len(full.Modules))
		}
		for name, m := range full.Modules {
			if got := skipped.Modules[name]; got == nil || got.String() != m.String() {
				t.Errorf("%s compiles differently without the checks", name)
			}
			// Without type checking the compiler knows no rule's type; evaluation asks for one only
			// to tell a replaced function in `with`, which the embedded rules must therefore not use.
			ast.WalkExprs(m, func(e *ast.Expr) bool {
				if len(e.With) > 0 {
					t.Errorf("%s:%d uses with, which needs the type checking compileEmbedded skips", name, e.Location.Row)
				}
				return false
			})
		}
	}
}
