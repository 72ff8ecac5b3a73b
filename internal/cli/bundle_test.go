package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	exampleBundle = "../../bundles/example"
	testPrivate   = "../../bundles/testkeys/private.pem"
	testPublic    = "../../bundles/testkeys/public.pem"
	otherPublic   = "../../bundles/testkeys/other-public.pem"
)

// iamStarPlan writes the careless-ec2-star plan with ec2:* turned into iam:*, which the example
// bundle's ACME001 reports.
func iamStarPlan(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/plans/careless-ec2-star/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, bytes.ReplaceAll(b, []byte("ec2:*"), []byte("iam:*")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tamper copies a bundle tarball with one byte of its policy changed.
func tamper(t *testing.T, src string) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
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
		body, _ := io.ReadAll(tr)
		if strings.HasSuffix(h.Name, ".rego") {
			body = bytes.Replace(body, []byte("severity: error"), []byte("severity: note "), 1)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	gw.Close()
	out := filepath.Join(t.TempDir(), "tampered.tar.gz")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBundleBuildSignAndScan(t *testing.T) {
	dir := t.TempDir()
	signed := filepath.Join(dir, "acme.tar.gz")
	unsigned := filepath.Join(dir, "unsigned.tar.gz")
	if code, _, stderr := run(t, "", "bundle", "build", exampleBundle, "-o", signed, "--signing-key", testPrivate); code != ExitPass {
		t.Fatalf("bundle build: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "bundle", "build", exampleBundle, "-o", unsigned); code != ExitPass {
		t.Fatalf("bundle build: exit %d: %s", code, stderr)
	}
	plan := iamStarPlan(t)

	code, stdout, stderr := run(t, "", "scan", "--bundle", signed, "--verification-key", testPublic, "--format", "json", plan)
	if code != ExitPolicy {
		t.Fatalf("scan: exit %d, want %d: %s", code, ExitPolicy, stderr)
	}
	var res jsonResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range res.Findings {
		if f.RuleID == "ACME001" && f.Address == "aws_iam_policy.karpenter_ec2_fix" && f.Role == "module.karpenter.aws_iam_role.controller[0]" {
			found = true
		}
	}
	if !found {
		t.Errorf("no ACME001 finding in %s", stdout)
	}

	overlap := t.TempDir()
	if err := os.WriteFile(filepath.Join(overlap, ".manifest"), []byte(`{"roots": ["karpgate"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tampered := tamper(t, signed)
	tests := []struct {
		name string
		args []string
		want int
		err  []string
	}{
		{"a tampered bundle", []string{"scan", "--bundle", tampered, "--verification-key", testPublic, plan}, ExitBundle, []string{tampered, "changed after signing"}},
		{"the wrong key", []string{"scan", "--bundle", signed, "--verification-key", otherPublic, plan}, ExitBundle, []string{signed, "verification key"}},
		{"an unsigned bundle with a key", []string{"scan", "--bundle", unsigned, "--verification-key", testPublic, plan}, ExitBundle, []string{unsigned, "not signed"}},
		{"a root overlapping karpgate", []string{"scan", "--bundle", overlap, plan}, ExitBundle, []string{overlap, `"karpgate"`, "overlaps"}},
		{"a missing bundle", []string{"scan", "--bundle", "nope.tar.gz", plan}, ExitBundle, []string{"nope.tar.gz"}},
		{"a key id without a key", []string{"scan", "--bundle", signed, "--verification-key-id", "x", plan}, ExitUsage, []string{"--verification-key"}},
		{"serve checks bundles too", []string{"serve", "--insecure-no-hmac", "--bundle", tampered, "--verification-key", testPublic}, ExitBundle, []string{tampered}},
		{"rules with a tampered bundle", []string{"rules", "--bundle", tampered, "--verification-key", testPublic}, ExitBundle, []string{tampered}},
		{"inspect with the wrong key", []string{"bundle", "inspect", signed, "--verification-key", otherPublic}, ExitBundle, []string{signed}},
		{"build without -o", []string{"bundle", "build", exampleBundle}, ExitUsage, []string{"-o"}},
		{"build of an overlapping bundle", []string{"bundle", "build", overlap, "-o", filepath.Join(dir, "x.tar.gz")}, ExitBundle, []string{"overlaps"}},
		{"build with a public key as signing key", []string{"bundle", "build", exampleBundle, "-o", filepath.Join(dir, "x.tar.gz"), "--signing-key", testPublic}, ExitBundle, []string{"public.pem"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.want, stderr)
			}
			for _, e := range tc.err {
				if !strings.Contains(stderr, e) {
					t.Errorf("stderr %q does not mention %q", stderr, e)
				}
			}
			if strings.Count(strings.TrimRight(stderr, "\n"), "\n") > 1 {
				t.Errorf("error should be short, got %q", stderr)
			}
		})
	}

	code, stdout, stderr = run(t, "", "rules", "--bundle", signed, "--verification-key", testPublic)
	if code != ExitPass || !strings.Contains(stdout, "ACME001") {
		t.Errorf("rules: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "", "bundle", "inspect", signed, "--verification-key", testPublic)
	if code != ExitPass {
		t.Fatalf("inspect: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Revision:  example-1", "karpgate/rules/example, karpgate/user", "signed-verified", "ACME001", "error", "karpgate/rules/example/privilege_escalation.rego", "data.karpgate.user.acme"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "_test.rego") {
		t.Errorf("the built bundle holds tests:\n%s", stdout)
	}
	_, stdout, _ = run(t, "", "bundle", "inspect", unsigned)
	if !strings.Contains(stdout, "Signature: unsigned") {
		t.Errorf("unsigned inspect:\n%s", stdout)
	}
}

func TestTestCommand(t *testing.T) {
	code, stdout, stderr := run(t, "", "test", exampleBundle)
	if code != ExitPass || !strings.Contains(stdout, "PASS: ") || strings.Contains(stdout, "test_deny_iam_wildcard") {
		t.Fatalf("test: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "", "test", "-v", "--coverage", "--run", "wildcard", exampleBundle)
	if code != ExitPass || !strings.Contains(stdout, "test_deny_iam_wildcard: PASS") || strings.Contains(stdout, "test_allow_") ||
		!strings.Contains(stdout, "%  ../../bundles/example/karpgate/rules/example/privilege_escalation.rego") || !strings.Contains(stdout, "PASS: 1 tests, 1 passed") {
		t.Errorf("test -v --coverage --run: exit %d\n%s", code, stdout)
	}

	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "x_test.rego"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	failing := write("failing", `package acme.x_test

import data.karpgate.lib.iam

test_denied_is_not_allowed if {
	iam.allows([{"effect": "Deny", "actions": ["ec2:*"], "resources": ["*"]}], {"action": "ec2:RunInstances", "resource": "*"})
}
`)
	broken := write("broken", "package acme.y_test\n\ntest_broken if {\n\tnot_a_function(1)\n}\n")
	empty := write("empty", "package acme.z_test\n\nhelper := 1\n")

	code, stdout, _ = run(t, "", "test", failing)
	if code != ExitPolicy || !strings.Contains(stdout, "test_denied_is_not_allowed: FAIL") || !strings.Contains(stdout, "FAIL: 1 tests, 0 passed, 1 failed") {
		t.Errorf("failing: exit %d\n%s", code, stdout)
	}
	code, _, stderr = run(t, "", "test", broken)
	if code != ExitBundle || !strings.Contains(stderr, "x_test.rego:4:") || !strings.Contains(stderr, "not_a_function") {
		t.Errorf("broken: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "", "test", empty)
	if code != ExitPolicy || !strings.Contains(stderr, "no tests") {
		t.Errorf("empty: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "", "test", "--run", "(", exampleBundle)
	if code != ExitUsage || !strings.Contains(stderr, "--run") {
		t.Errorf("bad --run: exit %d, stderr %q", code, stderr)
	}
}
