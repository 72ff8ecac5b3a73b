package main

import (
	"os"
	"path/filepath"
	"testing"
)

const (
	tfRoot    = "../../../testdata/tf"
	plansRoot = "../../../testdata/plans"
)

// TestReproducedKeyCoversTheInputs: the record of a reproduced scenario changes with every input
// of the generation, so a changed input is generated and compared again.
func TestReproducedKeyCoversTheInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bin/terraform", "terraform 1")
	write("bin/terraform-provider-aws_v5", "provider")
	write("src/gen.go", "package main")
	write("src/gen_test.go", "package main // test")
	write("tf/a/main.tf", "resource {}")
	write("tf/modules/m/main.tf", "module {}")
	t.Setenv("KARPGATE_TFPLANS_CACHE", filepath.Join(dir, "cache"))
	open := func() *reproduced {
		t.Helper()
		r, err := openReproduced(filepath.Join(dir, "bin/terraform"), filepath.Join(dir, "bin/terraform-provider-aws_v5"), filepath.Join(dir, "src"), filepath.Join(dir, "tf"))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	plan := []byte(`{"format_version":"1.2"}`)
	r := open()
	if r.known("a", plan) {
		t.Fatal("known before any record")
	}
	if err := r.record("a", plan); err != nil {
		t.Fatal(err)
	}
	if !open().known("a", plan) {
		t.Fatal("not known after its record")
	}
	if r.known("b", plan) || r.known("a", []byte(`{"format_version":"1.1"}`)) {
		t.Error("another scenario, or an edited plan, is known")
	}
	for _, change := range []struct{ file, text string }{
		{"tf/modules/m/main.tf", "module { x = 1 }"},
		{"tf/b/main.tf", "resource {}"},
		{"src/gen.go", "package main // changed"},
		{"bin/terraform", "terraform 2"},
		{"bin/terraform-provider-aws_v5", "provider, larger"},
	} {
		write(change.file, change.text)
		if open().known("a", plan) {
			t.Errorf("still known after %s changed", change.file)
		}
		if err := open().record("a", plan); err != nil {
			t.Fatal(err)
		}
	}
	write("src/gen_test.go", "package main // a test changed")
	if !open().known("a", plan) {
		t.Error("a change to a test file made the record unknown (tests do not generate plans)")
	}
	t.Setenv("KARPGATE_TFPLANS_CACHE", "off")
	if open().known("a", plan) {
		t.Error("KARPGATE_TFPLANS_CACHE=off still knows a record")
	}
}
