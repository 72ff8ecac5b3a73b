package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// check regenerates every scenario into a scratch directory and requires the bytes committed under
// o.out: a plan edited by hand, or a configuration changed without `make plans`, is reported. A
// scenario that was reproduced before from exactly the same inputs and the same committed bytes
// (reproduced.go) is not generated again. srcDir is this generator's source, which the records
// hash. It returns how many scenarios it generated; a plan that differs is an error naming each.
func check(ctx context.Context, o options, srcDir string, log io.Writer) (int, error) {
	tf, err := findTerraform(o.terraform)
	if err != nil {
		return 0, err
	}
	if v, err := terraformVersionOf(tf); err != nil {
		return 0, err
	} else if v != terraformVersion && !o.anyVersion {
		return 0, fmt.Errorf("terraform %s is %s; the plans are made with %s (-any-version checks anyway)", tf, v, terraformVersion)
	}
	mirror, err := findMirror(o.mirror)
	if err != nil {
		return 0, err
	}
	provider, err := providerBinary(mirror)
	if err != nil {
		return 0, err
	}
	scenarios, err := loadScenarios(o.tfRoot)
	if err != nil {
		return 0, err
	}
	if len(scenarios) == 0 {
		return 0, fmt.Errorf("no scenarios in %s", o.tfRoot)
	}
	seen, err := openReproduced(tf, provider, srcDir, o.tfRoot)
	if err != nil {
		return 0, err
	}
	committed := map[string][]byte{}
	var names, problems []string
	for _, s := range scenarios {
		if o.match != nil && !o.match.MatchString(s.Name) {
			continue
		}
		want, err := os.ReadFile(filepath.Join(o.out, s.Name, "plan.json"))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v (run make plans)", s.Name, err))
			continue
		}
		committed[s.Name] = want
		if !seen.known(s.Name, want) {
			names = append(names, regexp.QuoteMeta(s.Name))
		}
	}
	fmt.Fprintf(log, "tfplans: %d of %d scenarios to generate (the others were reproduced before from the same inputs)\n", len(names), len(committed))
	if len(names) > 0 {
		scratch, err := os.MkdirTemp("", "tfplans-check-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(scratch)
		g := o
		g.out = scratch
		g.match = regexp.MustCompile("^(" + strings.Join(names, "|") + ")$")
		n, err := generate(ctx, g)
		if err != nil {
			return n, err
		}
		if n != len(names) {
			return n, fmt.Errorf("generated %d scenarios, want %d", n, len(names))
		}
		for _, s := range scenarios {
			want, ok := committed[s.Name]
			if !ok || !g.match.MatchString(s.Name) {
				continue
			}
			got, err := os.ReadFile(filepath.Join(scratch, s.Name, "plan.json"))
			if err != nil {
				return n, err
			}
			if !bytes.Equal(got, want) {
				problems = append(problems, fmt.Sprintf("%s: %s/%s/plan.json differs from what Terraform prints for %s/%s %s (run make plans)", s.Name, o.out, s.Name, o.tfRoot, s.Name, firstDiff(got, want)))
				continue
			}
			if err := seen.record(s.Name, want); err != nil {
				fmt.Fprintf(log, "tfplans: cannot record %s as reproduced: %v\n", s.Name, err)
			}
		}
	}
	if len(problems) > 0 {
		return len(names), fmt.Errorf("%d committed plans do not reproduce:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	return len(names), nil
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
