package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestRunReusesTheCachedBinaryAndPassesItsExitCode: with a binary in the cache nothing is built,
// the arguments reach it unchanged and its exit code is the command's (make lint fails on it).
func TestRunReusesTheCachedBinaryAndPassesItsExitCode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in binary is a shell script")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // os.UserCacheDir on Linux and the BSDs
	if runtime.GOOS == "darwin" {
		t.Setenv("HOME", cache)
		cache = filepath.Join(cache, "Library", "Caches")
	}
	bin := filepath.Join(cache, "karpgate", "tools", "regal-"+version)
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho \"$@\" > \"$0.args\"\nexit 3\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	code, err := run([]string{"lint", "rego/", "bundles/"})
	if err != nil || code != 3 {
		t.Fatalf("run = %d, %v; want regal's exit code 3", code, err)
	}
	args, err := os.ReadFile(bin + ".args")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(args)); got != "lint rego/ bundles/" {
		t.Errorf("regal got arguments %q", got)
	}
	entries, err := os.ReadDir(filepath.Dir(bin))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "regal-build-") {
			t.Errorf("a build directory was made although the binary was cached: %s", e.Name())
		}
	}
}
