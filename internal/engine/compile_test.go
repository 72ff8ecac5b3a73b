package engine

import (
	"slices"
	"testing"
)

// TestEmbeddedBundlePassesEveryCheck: the embedded library and rules compile with every compiler
// stage under the strictest capabilities (no network builtins), so the checks a compile without
// user code skips (embeddedChecks) could not have failed; and skipping them changes nothing
// the compiler produces: every compiled module is the same.
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
		}
	}
}
