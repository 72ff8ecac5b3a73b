package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

const (
	tfRoot    = "../../../testdata/tf"
	plansRoot = "../../../testdata/plans"
)

// TestCommittedPlansReproduce regenerates every scenario under testdata/tf into a scratch
// directory and requires the bytes committed under testdata/plans: a plan edited by hand, or a
// configuration changed without `make plans`, fails here.
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
	if _, err := findMirror(""); errors.Is(err, errMissingTool) {
		t.Skipf("no mirror of the aws provider %s: generated plans not checked", awsVersion)
	}
	scenarios, err := loadScenarios(tfRoot)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	n, err := generate(context.Background(), options{tfRoot: tfRoot, out: out, jobs: runtime.GOMAXPROCS(0)})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(scenarios) || n == 0 {
		t.Fatalf("generated %d scenarios, want %d", n, len(scenarios))
	}
	for _, s := range scenarios {
		got, err := os.ReadFile(filepath.Join(out, s.Name, "plan.json"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(plansRoot, s.Name, "plan.json"))
		if err != nil {
			t.Errorf("%s: %v (run make plans)", s.Name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: testdata/plans/%s/plan.json differs from what Terraform prints for testdata/tf/%s %s (run make plans)", s.Name, s.Name, s.Name, firstDiff(got, want))
		}
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
