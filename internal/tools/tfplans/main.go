package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runMain(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tfplans:", err)
		os.Exit(1)
	}
}

func runMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tfplans", flag.ContinueOnError)
	o := options{}
	fs.StringVar(&o.tfRoot, "tf", "testdata/tf", "directory of the scenario configurations")
	fs.StringVar(&o.out, "out", "testdata/plans", "directory the plans are written to (<out>/<scenario>/plan.json)")
	fs.StringVar(&o.terraform, "terraform", "", "terraform binary (default $KARPGATE_TERRAFORM, then PATH)")
	fs.StringVar(&o.mirror, "mirror", "", "provider filesystem mirror (default $KARPGATE_TF_MIRROR, then the usual places)")
	match := fs.String("run", "", "regenerate only the scenarios whose name matches this regular expression")
	fs.IntVar(&o.jobs, "j", runtime.GOMAXPROCS(0), "scenarios generated at once")
	fs.BoolVar(&o.anyVersion, "any-version", false, "accept a Terraform other than "+terraformVersion)
	fs.BoolVar(&o.direct, "direct", false, "let Terraform start its own provider processes (slower; the output must not change)")
	fs.BoolVar(&o.verbose, "v", false, "log every terraform command with its wall and CPU time")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch directory and print its path")
	checkOnly := fs.Bool("check", false, "write nothing: regenerate into a scratch directory and fail unless every committed plan under -out comes out byte for byte (make plans-check)")
	srcDir := fs.String("src", "internal/tools/tfplans", "this generator's source directory (-check records what a reproduction depended on)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *match != "" {
		re, err := regexp.Compile(*match)
		if err != nil {
			return fmt.Errorf("-run: %w", err)
		}
		o.match = re
	}
	start := time.Now()
	if *checkOnly {
		n, err := check(ctx, o, *srcDir, os.Stdout)
		if err != nil {
			return err
		}
		fmt.Printf("tfplans: every committed plan under %s reproduces (%d generated) in %s\n", o.out, n, time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	n, err := generate(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("tfplans: %d scenarios written to %s in %s\n", n, o.out, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// options of one generation.
type options struct {
	tfRoot, out       string
	terraform, mirror string
	match             *regexp.Regexp
	jobs              int
	anyVersion, keep  bool
	direct, verbose   bool
}

// generate writes <out>/<scenario>/plan.json for every selected scenario and returns how many.
func generate(ctx context.Context, o options) (int, error) {
	scenarios, err := loadScenarios(o.tfRoot)
	if err != nil {
		return 0, err
	}
	if o.match != nil {
		var kept []scenario
		for _, s := range scenarios {
			if o.match.MatchString(s.Name) {
				kept = append(kept, s)
			}
		}
		scenarios = kept
	}
	tf, err := findTerraform(o.terraform)
	if err != nil {
		return 0, err
	}
	if v, err := terraformVersionOf(tf); err != nil {
		return 0, err
	} else if v != terraformVersion && !o.anyVersion {
		return 0, fmt.Errorf("%w: %s is Terraform %s; the plans are made with %s (-any-version to use it anyway)", errVersion, tf, v, terraformVersion)
	}
	mirror, err := findMirror(o.mirror)
	if err != nil {
		return 0, err
	}
	work, err := os.MkdirTemp("", "tfplans-")
	if err != nil {
		return 0, fmt.Errorf("make scratch directory: %w", err)
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "tfplans: scratch directory", work)
	} else {
		defer os.RemoveAll(work)
	}
	sts, err := startSTS()
	if err != nil {
		return 0, err
	}
	defer sts.Close()
	g, err := setup(tf, mirror, o.tfRoot, work, sts.url, o.direct)
	if err != nil {
		return 0, err
	}
	if o.verbose {
		g.trace = os.Stderr
	}
	errs := g.forEach(ctx, scenarios, o.jobs, func(ctx context.Context, w *worker, s scenario) error {
		b, err := w.scenario(ctx, s)
		if err != nil {
			return err
		}
		return writeAtomic(filepath.Join(o.out, s.Name, "plan.json"), b)
	})
	return len(scenarios), errors.Join(errs...)
}

// errVersion marks a Terraform whose version is not the one the plans are made with.
var errVersion = errors.New("other terraform version")

// writeAtomic writes b to path through a temporary file in the same directory.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plan-*.json")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
