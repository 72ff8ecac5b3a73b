package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The pinned Regal: a version the Go module proxy serves. Raising it means checking that
// `make lint` stays clean, then changing these two lines.
const (
	module  = "github.com/styrainc/regal"
	version = "v0.33.1"
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "regal:", err)
	}
	os.Exit(code)
}

// run builds the pinned Regal if the cache lacks it, then runs it with args and returns its exit
// code. With the single argument -path it prints the binary's path instead of running it.
func run(args []string) (int, error) {
	bin, err := ensure()
	if err != nil {
		return 2, err
	}
	if len(args) == 1 && args[0] == "-path" {
		fmt.Println(bin)
		return 0, nil
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 2, fmt.Errorf("running %s: %w", bin, err)
	}
	return 0, nil
}

// ensure returns the path of the cached binary, building it first when it is missing. The build
// goes to a temporary directory beside the cache entry and is renamed into place, so an
// interrupted build never leaves a half-written binary to be reused.
func ensure() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	dir := filepath.Join(base, "karpgate", "tools")
	bin := filepath.Join(dir, "regal-"+version)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(dir, "regal-build-")
	if err != nil {
		return "", fmt.Errorf("creating a build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(os.Stderr, "regal: building %s@%s into %s (once; a few minutes)\n", module, version, bin)
	// A scratch module that requires only Regal: the build resolves Regal's own requirements and
	// never consults karpgate's go.mod. (go install module@version would do the same but also asks
	// the proxy for the module's version list, which it may refuse.)
	gomod := fmt.Sprintf("module karpgate.invalid/tools/regal\n\ngo 1.24\n\nrequire %s %s\n", module, version)
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", fmt.Errorf("writing the scratch go.mod: %w", err)
	}
	ldflags := "-X " + module + "/pkg/version.Version=" + version // so `regal version` names it
	cmd := exec.Command("go", "build", "-mod=mod", "-trimpath", "-ldflags", ldflags, "-o", filepath.Join(tmp, "regal"), module)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-buildvcs=false")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s@%s: %w", module, version, err)
	}
	if err := os.Rename(filepath.Join(tmp, "regal"), bin); err != nil {
		return "", fmt.Errorf("caching the regal binary: %w", err)
	}
	return bin, nil
}
