package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/karpgate/karpgate/internal/engine"
)

// writePolicy writes one conftest policy (package main) into a new directory and returns it.
func writePolicy(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.rego"), []byte("package main\n\n"+src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// messages evaluates the policy directory alone and returns the finding messages.
func messages(t *testing.T, dir string) []string {
	t.Helper()
	eng := newEngine(t, engine.Options{Policies: []string{dir}, NoDefaultRules: true})
	fs, err := eng.Eval(context.Background(), iamInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.Message)
	}
	return out
}

// TestSchemaRefsDoNotReadFiles: a schema "$ref" to a file (or anything outside the schema
// document) is not followed by json.match_schema or json.verify_schema, so a policy learns nothing
// about local files; a "#/..." reference inside the document still works.
func TestSchemaRefsDoNotReadFiles(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type": "string", "description": "TOPSECRET"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := "file://" + filepath.ToSlash(secret)
	dir := writePolicy(t, `
deny contains msg if {
	r := json.match_schema({"a": 1}, {"$ref": "`+ref+`"})
	msg := sprintf("match_schema read the file: %v", [r])
}

deny contains msg if {
	r := json.verify_schema({"$ref": "`+ref+`"})
	msg := sprintf("verify_schema read the file: %v", [r])
}

deny contains msg if {
	[ok, _] := json.match_schema({"a": 1}, {"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s"})
	ok == false
	msg := "local reference resolved"
}
`)
	got := messages(t, dir)
	if len(got) != 1 || got[0] != "local reference resolved" {
		t.Fatalf("findings = %q, want only the local reference", got)
	}
}

// TestSchemaIDCannotRebaseARef: an "$id" would resolve "#" against another document; it is
// refused like an outside reference.
func TestSchemaIDCannotRebaseARef(t *testing.T) {
	dir := writePolicy(t, `
deny contains msg if {
	r := json.match_schema({"a": 1}, {"$id": "file:///etc/hostname", "$ref": "#"})
	msg := sprintf("match_schema rebased: %v", [r])
}
`)
	if got := messages(t, dir); len(got) != 0 {
		t.Fatalf("findings = %q, want none", got)
	}
}

// TestRuntimeBuiltinIsNotAvailable: opa.runtime (the environment) is out of the capabilities,
// --allow-net or not.
func TestRuntimeBuiltinIsNotAvailable(t *testing.T) {
	dir := writePolicy(t, "deny contains msg if {\n\tmsg := sprintf(\"%v\", [opa.runtime().env])\n}\n")
	for _, allowNet := range []bool{false, true} {
		_, err := engine.New(context.Background(), engine.Options{Policies: []string{dir}, NoDefaultRules: true, AllowNet: allowNet})
		wantPolicyError(t, err, "opa.runtime")
	}
}

// TestPolicyDirLinkLeavingTheRootIsRefused: a symbolic link under --policy or --data that points
// outside the directory is a one-line policy error naming the link; a link inside is fine.
func TestPolicyDirLinkLeavingTheRootIsRefused(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "passwd.yaml")
	if err := os.WriteFile(outside, []byte("root: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writePolicy(t, "deny contains msg if {\n\tmsg := sprintf(\"%v\", [data.leak])\n}\n")
	if err := os.Mkdir(filepath.Join(dir, "leak"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "leak", "data.yaml")
	if err := os.Symlink(outside, link); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	for _, opt := range []engine.Options{{Policies: []string{dir}}, {Data: []string{dir}}} {
		opt.NoDefaultRules = true
		_, err := engine.New(context.Background(), opt)
		wantPolicyError(t, err, link, "symbolic link leaves")
	}
	// A link that stays inside the directory loads.
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "real.yaml"), []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "real.yaml"), link); err != nil {
		t.Fatal(err)
	}
	got := messages(t, dir)
	if len(got) != 1 || !strings.Contains(got[0], `"x": 1`) {
		t.Fatalf("findings = %q", got)
	}
}

// TestPolicyDirFIFOIsRefused: a FIFO under --data would block the loader for ever; it is refused.
func TestPolicyDirFIFOIsRefused(t *testing.T) {
	dir := writePolicy(t, "deny contains msg if {\n\tmsg := sprintf(\"%v\", [data.x])\n}\n")
	fifo := filepath.Join(dir, "x.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := engine.New(context.Background(), engine.Options{Data: []string{dir}, NoDefaultRules: true})
	wantPolicyError(t, err, fifo, "not a regular file")
}
