package rego_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	regofs "github.com/karpgate/karpgate/rego"
)

// modules parses every embedded .rego file, tests included, with annotations.
func modules(t *testing.T) map[string]*ast.Module {
	t.Helper()
	mods := map[string]*ast.Module{}
	err := fs.WalkDir(regofs.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := fs.ReadFile(regofs.FS(), p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		mods[p] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

// TestRego runs every embedded _test.rego test inside go test, one subtest per Rego test.
func TestRego(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	data, err := regofs.Data()
	if err != nil {
		t.Fatal(err)
	}
	// As in the engine, the store holds OPA values: a test that reads the request data does not
	// convert it again.
	store := inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))
	ch, err := tester.NewRunner().
		SetStore(store).
		SetModules(modules(t)).
		SetTimeout(30*time.Second).
		Filter(os.Getenv("REGO_RUN")).
		CapturePrintOutput(true).
		RunTests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		n++
		t.Run(strings.TrimPrefix(r.Package, "data.")+"."+r.Name, func(t *testing.T) {
			if r.Error != nil {
				t.Fatalf("%v: error: %v", r.Location, r.Error)
			}
			if r.Fail {
				t.Fatalf("%v: failed\n%s", r.Location, r.Output)
			}
		})
	}
	if n == 0 {
		t.Fatal("no Rego tests found")
	}
}

// TestRegoFormatted asserts every embedded .rego file is `opa fmt` clean (Rego v1).
func TestRegoFormatted(t *testing.T) {
	err := fs.WalkDir(regofs.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := fs.ReadFile(regofs.FS(), p)
		if err != nil {
			return err
		}
		got, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !bytes.Equal(got, src) {
			t.Errorf("%s is not opa fmt clean (run make fmt)", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRegoStrict compiles the embedded modules in strict mode, as `opa check --strict` does.
func TestRegoStrict(t *testing.T) {
	c := ast.NewCompiler().WithStrict(true)
	c.Compile(modules(t))
	if c.Failed() {
		t.Fatal(c.Errors)
	}
}
