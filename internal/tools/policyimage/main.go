// Command policyimage writes the embedded Rego bundle compiled ahead of time to the file `make
// build` embeds (internal/policyimage/built/policy.img), atomically.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/karpgate/karpgate/internal/engine"
)

func main() {
	out := flag.String("o", filepath.Join("internal", "policyimage", "built", "policy.img"), "file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "policyimage:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	img, err := engine.BuildImage()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".policy-*.img")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(img); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}
