package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const (
	tfRoot    = "../../../testdata/tf"
	plansRoot = "../../../testdata/plans"
)

// TestCommittedPlansReproduce regenerates every scenario under testdata/tf into a scratch
// directory and requires the bytes committed under testdata/plans: a plan edited by hand, or a
// configuration changed without `make plans`, fails here. A scenario that was reproduced before
// from exactly the same inputs and the same committed bytes (reproduced_test.go) is not generated
// again.
func TestCommittedPlansReproduce(t *testing.T) {
	tf, err := findTerraform("")
	if errors.Is(err, errMissingTool) {
		t.Skip("no terraform: generated plans not checked")
	}
	if err != nil {
		t.Fatal(err)
	}
	if v, err := terraformVersionOf(tf); err != nil {
		t.Fatal(err)
	} else if v != terraformVersion {
		t.Skipf("terraform is %s, the plans are made with %s: generated plans not checked", v, terraformVersion)
	}
	mirror, err := findMirror("")
	if errors.Is(err, errMissingTool) {
		t.Skipf("no mirror of the aws provider %s: generated plans not checked", awsVersion)
	}
	if err != nil {
		t.Fatal(err)
	}
	provider, err := providerBinary(mirror)
	if err != nil {
		t.Fatal(err)
	}
	scenarios, err := loadScenarios(tfRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(scenarios) == 0 {
		t.Fatal("no scenarios")
	}
	seen, err := openReproduced(tf, provider, ".", tfRoot)
	if err != nil {
		t.Fatal(err)
	}
	committed := map[string][]byte{}
	var names []string
	for _, s := range scenarios {
		want, err := os.ReadFile(filepath.Join(plansRoot, s.Name, "plan.json"))
		if err != nil {
			t.Errorf("%s: %v (run make plans)", s.Name, err)
			continue
		}
		committed[s.Name] = want
		if !seen.known(s.Name, want) {
			names = append(names, regexp.QuoteMeta(s.Name))
		}
	}
	t.Logf("%d of %d scenarios generated (the others were reproduced before from the same inputs)", len(names), len(scenarios))
	if len(names) == 0 {
		return
	}
	out := t.TempDir()
	match := regexp.MustCompile("^(" + strings.Join(names, "|") + ")$")
	n, err := generate(context.Background(), options{tfRoot: tfRoot, out: out, jobs: runtime.GOMAXPROCS(0), match: match})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(names) {
		t.Fatalf("generated %d scenarios, want %d", n, len(names))
	}
	for _, s := range scenarios {
		want, ok := committed[s.Name]
		if !ok || !match.MatchString(s.Name) {
			continue
		}
		got, err := os.ReadFile(filepath.Join(out, s.Name, "plan.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: testdata/plans/%s/plan.json differs from what Terraform prints for testdata/tf/%s %s (run make plans)", s.Name, s.Name, s.Name, firstDiff(got, want))
			continue
		}
		if err := seen.record(s.Name, want); err != nil {
			t.Logf("cannot record %s as reproduced: %v", s.Name, err)
		}
	}
}

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

// firstDiff describes where two byte strings first differ.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	ctx := func(b []byte) string {
		lo, hi := max(i-40, 0), min(i+40, len(b))
		return string(b[lo:hi])
	}
	return fmt.Sprintf("at byte %d: generated %q, committed %q", i, ctx(got), ctx(want))
}
