package engine_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/karpgate/karpgate/internal/engine"
)

const (
	exampleDir = "../../bundles/example"
	privateKey = "../../bundles/testkeys/private.pem"
	publicKey  = "../../bundles/testkeys/public.pem"
	otherKey   = "../../bundles/testkeys/other-public.pem"
)

// buildExample builds bundles/example into a temporary .tar.gz, signed with the test key when sign.
func buildExample(t *testing.T, sign bool) string {
	t.Helper()
	var signing *engine.SigningOptions
	if sign {
		signing = &engine.SigningOptions{KeyFile: privateKey}
	}
	out, err := engine.BuildBundle(context.Background(), exampleDir, signing, engine.Options{})
	if err != nil {
		t.Fatalf("BuildBundle: %v", err)
	}
	path := filepath.Join(t.TempDir(), "example.tar.gz")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rewriteTarball copies a .tar.gz, passing each file through edit (nil drops the file).
func rewriteTarball(t *testing.T, src string, edit func(name string, body []byte) []byte) string {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		body = edit(h.Name, body)
		if body == nil {
			continue
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "rewritten.tar.gz")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSignedBundleLoads(t *testing.T) {
	path := buildExample(t, true)
	eng := newEngine(t, engine.Options{Bundles: []string{path}, Verification: &engine.VerificationOptions{KeyFile: publicKey}})
	r := rule(t, eng, "ACME001")
	if r.Package != "data.karpgate.rules.example.privilege_escalation" || !r.Custom || r.Remediation == "" {
		t.Errorf("ACME001 = %+v", r)
	}
	fs, err := eng.Eval(context.Background(), iamInput(t, statement("Admin", "iam:*")))
	if err != nil {
		t.Fatal(err)
	}
	var hits int
	for _, f := range fs {
		if f.RuleID == "ACME001" {
			hits++
			if f.Statement == nil || f.Statement.Sid != "Admin" || f.Role == "" || f.Fix == "" {
				t.Errorf("finding = %+v", f)
			}
		}
	}
	if hits != 1 {
		t.Errorf("%d ACME001 findings in %+v", hits, fs)
	}
}

func TestBundleDirectoryLoadsUnsigned(t *testing.T) {
	eng := newEngine(t, engine.Options{Bundles: []string{exampleDir}, NoDefaultRules: true})
	if got := eng.Rules(); len(got) != 1 || got[0].ID != "ACME001" {
		t.Errorf("rules = %+v", got)
	}
}

func TestBundleSignatureFailures(t *testing.T) {
	signed := buildExample(t, true)
	tampered := rewriteTarball(t, signed, func(name string, body []byte) []byte {
		if strings.HasSuffix(name, ".rego") {
			return bytes.Replace(body, []byte("role.karpenter.detected"), []byte("false"), 1)
		}
		return body
	})
	added := rewriteTarball(t, signed, func(name string, body []byte) []byte {
		if name == "/data.json" {
			return []byte(`{"karpgate": {"user": {"acme": {"escalation_actions": [], "exempt_roles": []}}}}`)
		}
		return body
	})
	unsigned := buildExample(t, false)
	stripped := rewriteTarball(t, signed, func(name string, body []byte) []byte {
		if strings.HasSuffix(name, ".signatures.json") {
			return nil
		}
		return body
	})
	key := &engine.VerificationOptions{KeyFile: publicKey}
	tests := []struct {
		name   string
		bundle string
		key    *engine.VerificationOptions
		want   []string
	}{
		{"a tampered policy", tampered, key, []string{tampered, "privilege_escalation.rego", "changed after signing"}},
		{"tampered data", added, key, []string{added, "data.json", "changed after signing"}},
		{"the wrong key", signed, &engine.VerificationOptions{KeyFile: otherKey}, []string{signed, "not made with this verification key"}},
		{"a key id the signature does not name is still checked", signed, &engine.VerificationOptions{KeyFile: otherKey, KeyID: "acme"}, []string{signed, "verification key"}},
		{"an unsigned bundle", unsigned, key, []string{unsigned, "not signed"}},
		{"a stripped signature", stripped, key, []string{stripped, "not signed"}},
		{"a key that is not PEM", signed, &engine.VerificationOptions{KeyFile: exampleDir + "/.manifest"}, []string{".manifest", "no PEM block"}},
		{"a private key given as verification key", signed, &engine.VerificationOptions{KeyFile: privateKey}, []string{"private.pem", "not a public key"}},
		{"an RSA key with ES256", signed, &engine.VerificationOptions{KeyFile: publicKey, Algorithm: "ES256"}, []string{"public.pem", "ES256"}},
		{"an unknown algorithm", signed, &engine.VerificationOptions{KeyFile: publicKey, Algorithm: "HS256"}, []string{"HS256"}},
		{"a missing key file", signed, &engine.VerificationOptions{KeyFile: "nope.pem"}, []string{"nope.pem"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.New(context.Background(), engine.Options{Bundles: []string{tc.bundle}, Verification: tc.key})
			wantPolicyError(t, err, tc.want...)
		})
	}
	// Without a key, signatures are not checked.
	newEngine(t, engine.Options{Bundles: []string{tampered}})
}

func TestBundleRoots(t *testing.T) {
	write := func(t *testing.T, manifest, pkg string) string {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".manifest"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		if pkg != "" {
			src := "package " + pkg + "\n\nx := 1\n"
			if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tests := []struct {
		name     string
		manifest string
		pkg      string
		want     []string // nil: loads
	}{
		{"the karpgate root", `{"roots": ["karpgate"]}`, "karpgate.rules.acme", []string{`"karpgate"`, "overlaps"}},
		{"no roots", `{}`, "acme", []string{"no roots"}},
		{"the library", `{"roots": ["karpgate/lib"]}`, "", []string{`"karpgate/lib"`, "overlaps"}},
		{"all rules", `{"roots": ["karpgate/rules"]}`, "", []string{`"karpgate/rules"`, "overlaps"}},
		{"an embedded rule", `{"roots": ["karpgate/rules/wildcard_action"]}`, "", []string{"karpgate.rules.wildcard_action"}},
		{"a package outside the roots", `{"roots": ["karpgate/rules/acme"]}`, "karpgate.rules.other", []string{"do not permit"}},
		{"a user rules root", `{"roots": ["karpgate/rules/acme", "karpgate/user/acme"]}`, "karpgate.rules.acme", nil},
		{"a root outside karpgate", `{"roots": ["acme"]}`, "acme.lib", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := write(t, tc.manifest, tc.pkg)
			_, err := engine.New(context.Background(), engine.Options{Bundles: []string{dir}, NoDefaultRules: true})
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantPolicyError(t, err, append([]string{dir}, tc.want...)...)
		})
	}
	t.Run("two bundles with overlapping roots", func(t *testing.T) {
		a := write(t, `{"roots": ["karpgate/user/acme"]}`, "")
		b := write(t, `{"roots": ["karpgate/user"]}`, "")
		_, err := engine.New(context.Background(), engine.Options{Bundles: []string{a, b}, NoDefaultRules: true})
		wantPolicyError(t, err, b, a, "overlaps")
	})
	t.Run("a --policy package inside a bundle root", func(t *testing.T) {
		_, err := engine.New(context.Background(), engine.Options{Bundles: []string{exampleDir}, Policies: []string{t.TempDir()}})
		if err != nil {
			t.Fatal(err)
		}
		pol := t.TempDir()
		src := "package karpgate.rules.example.sneaky\n\nx := 1\n"
		if err := os.WriteFile(filepath.Join(pol, "s.rego"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = engine.New(context.Background(), engine.Options{Bundles: []string{exampleDir}, Policies: []string{pol}})
		wantPolicyError(t, err, "s.rego", "karpgate/rules/example")
	})
}

func TestInspectBundle(t *testing.T) {
	ctx := context.Background()
	signed := buildExample(t, true)
	info, err := engine.InspectBundle(ctx, signed, &engine.VerificationOptions{KeyFile: publicKey}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Signature != engine.SignedVerified || info.Revision != "example-1" || len(info.Roots) != 2 || info.SignatureKeyID != engine.DefaultKeyID {
		t.Errorf("info = %+v", info)
	}
	if len(info.Rules) != 1 || info.Rules[0].ID != "ACME001" {
		t.Errorf("rules = %+v", info.Rules)
	}
	info, err = engine.InspectBundle(ctx, signed, nil, engine.Options{})
	if err != nil || info.Signature != engine.SignedNotVerified {
		t.Errorf("no key: %v, %+v", err, info)
	}
	info, err = engine.InspectBundle(ctx, signed, &engine.VerificationOptions{KeyFile: otherKey}, engine.Options{})
	if !errors.Is(err, engine.ErrPolicy) || info == nil || info.Signature != engine.SignatureInvalid || info.SignatureError == "" {
		t.Errorf("wrong key: %v, %+v", err, info)
	}
	info, err = engine.InspectBundle(ctx, exampleDir, nil, engine.Options{})
	if err != nil || info.Signature != engine.Unsigned || len(info.Rules) != 1 {
		t.Errorf("directory: %v, %+v", err, info)
	}
}

// TestExampleBundleFormatted keeps bundles/example `opa fmt` clean, as rego/ is.
func TestExampleBundleFormatted(t *testing.T) {
	err := filepath.WalkDir(exampleDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !bytes.Equal(got, src) {
			t.Errorf("%s is not opa fmt clean:\n%s", p, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
