package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/karpgate/karpgate/internal/findings"
)

var update = flag.Bool("update", false, "rewrite golden files")

func assertGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// sample is a small but complete result: every severity, a suppressed finding, a finding with a
// source location and one without.
func sample() findings.Result {
	rules := []findings.Rule{
		{ID: "KARP001", Name: "instance_tagging", Title: "Karpenter v1 cannot tag existing instances", Description: "T(R) is not allowed.", Severity: findings.Error, Remediation: "Add AllowScopedResourceTagging.", Related: []string{"https://karpenter.sh/docs/upgrading/v1-migration/"}, Enabled: true},
		{ID: "KARP014", Name: "tag_bypass", Title: "Tag-based scoping can be bypassed", Description: "CreateTags on a foreign instance is allowed.", Severity: findings.Warning, Remediation: "Add aws:ResourceTag conditions.", Enabled: true},
		{ID: "KARP021", Name: "no_karpenter_role", Title: "No Karpenter controller role found", Description: "None detected.", Severity: findings.Note, Remediation: "Name the role in config.", Enabled: true},
	}
	fs := []findings.Finding{
		{RuleID: "KARP001", Severity: findings.Error, Plan: "plans/prod.json", Address: "module.karpenter.aws_iam_role.controller[0]", Role: "module.karpenter.aws_iam_role.controller[0]",
			Message: "UnauthorizedOperation: ec2:CreateTags on arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0", Fix: "statement {\n  sid = \"AllowScopedResourceTagging\"\n}",
			Statement: &findings.StatementRef{Policy: "module.karpenter.aws_iam_policy.controller[0]", Attribute: "policy", Sid: "AllowScopedResourceTagging", Index: 4},
			Location:  &findings.Location{File: "infra/main.tf", StartLine: 12, EndLine: 30, Note: "inside registry module terraform-aws-modules/eks/aws//modules/karpenter"}},
		{RuleID: "KARP014", Severity: findings.Warning, Plan: "plans/prod.json", Address: "aws_iam_policy.fix", Role: "module.karpenter.aws_iam_role.controller[0]", Message: "CreateTags on a foreign instance is allowed by statement \"Fix\"",
			Statement:   &findings.StatementRef{Policy: "aws_iam_policy.fix", Attribute: "policy", Index: 0},
			Suppression: &findings.Suppression{Kind: "exception", Reason: "upgrade scheduled, OPS-1234", Expires: "2027-01-31"}},
		{RuleID: "KARP021", Severity: findings.Note, Plan: "plans/lambda.json", Message: "the plan has 1 IAM role(s) (aws_iam_role.lambda) but none is a Karpenter controller role"},
	}
	g := findings.Gate{FailOn: findings.Error}
	return findings.Result{
		Tool:     findings.Tool{Name: "karpgate", Version: "1.0.0", URI: "https://github.com/karpgate/karpgate"},
		Plans:    []string{"plans/lambda.json", "plans/prod.json"},
		Rules:    rules,
		Findings: fs,
		Summary:  withExitCode(g.Summarize(fs)),
	}
}

// withExitCode sets the exit code as karpgate does (0 pass, 1 the gate failed).
func withExitCode(s findings.Summary) findings.Summary {
	if !s.Passed {
		s.ExitCode = 1
	}
	return s
}

func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			w, err := New(format, Options{Category: "karpgate/infra/", Hints: Hints{SourceDir: "pass --source-dir", TextReport: "run karpgate with --format text"}})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := w.Write(&buf, sample()); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, filepath.Join("testdata", "golden", "sample."+format), buf.Bytes())
		})
	}
}

func TestUnknownFormatIsAnError(t *testing.T) {
	if _, err := New("xml", Options{}); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Fatalf("got %v", err)
	}
}

// sarifSchema compiles the SARIF 2.1.0 schema from ../shared (CI has it beside the checkout).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "schemas", "sarif-schema-2.1.0.json")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("SARIF schema not present (reads ../shared beside the checkout): %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ValidateSARIF checks a SARIF document against the schema and GitHub's own requirements.
func validateSARIF(t *testing.T, schema *jsonschema.Schema, b []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	var log sarifLog
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	for _, run := range log.Runs {
		ids := map[string]bool{}
		for _, r := range run.Tool.Driver.Rules {
			ids[r.ID] = true
			if r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" || r.Properties.SecuritySeverity == "" {
				t.Errorf("rule %s lacks a text GitHub shows", r.ID)
			}
		}
		for _, res := range run.Results {
			if len(res.Locations) == 0 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
				t.Errorf("result %s has no location: GitHub rejects the upload", res.RuleID)
			}
			if !ids[res.RuleID] {
				t.Errorf("result %s names a rule missing from the driver", res.RuleID)
			}
			if res.PartialFingerprints[FingerprintKey] == "" {
				t.Errorf("result %s has no fingerprint", res.RuleID)
			}
		}
	}
}

func TestSARIFValidates(t *testing.T) {
	schema := sarifSchema(t)
	for name, r := range map[string]findings.Result{"sample": sample(), "empty": {Tool: findings.Tool{Name: "karpgate", Version: "dev"}}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (SARIF{Category: "karpgate/x/"}).Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			validateSARIF(t, schema, buf.Bytes())
		})
	}
}

func TestSARIFSuppressionAndFallbackLocation(t *testing.T) {
	var buf bytes.Buffer
	if err := (SARIF{}).Write(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	if got := res[0].Locations[0].PhysicalLocation; got.ArtifactLocation.URI != "infra/main.tf" || got.Region.StartLine != 12 {
		t.Errorf("located finding points at %+v", got)
	}
	if len(res[1].Suppressions) != 1 || !strings.Contains(res[1].Suppressions[0].Justification, "OPS-1234") {
		t.Errorf("suppressed finding lost its suppression: %+v", res[1].Suppressions)
	}
	if got := res[2].Locations[0]; got.PhysicalLocation.ArtifactLocation.URI != "plans/lambda.json" || got.PhysicalLocation.Region.StartLine != 1 || got.Message == nil {
		t.Errorf("unlocated finding should fall back to the plan file, line 1, with a reason: %+v", got)
	}
}

func TestFingerprintIgnoresLinesAndMessages(t *testing.T) {
	a := sample().Findings[0]
	b := a
	b.Location = &findings.Location{File: "infra/main.tf", StartLine: 40}
	b.Message = "a reworded message"
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("fingerprint changed with the line or the message")
	}
	c := a
	c.Statement = &findings.StatementRef{Policy: a.Statement.Policy, Attribute: "policy", Sid: "Other"}
	if Fingerprint(a) == Fingerprint(c) {
		t.Error("fingerprint ignores the statement")
	}
}

func TestSARIFTruncatesAtGitHubsLimit(t *testing.T) {
	r := sample()
	base := r.Findings[0]
	r.Findings = nil
	for i := 0; i < MaxSARIFResults+5; i++ {
		f := base
		f.Address = base.Address + string(rune('a'+i%26))
		r.Findings = append(r.Findings, f)
	}
	var buf bytes.Buffer
	if err := (SARIF{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if n := len(log.Runs[0].Results); n != MaxSARIFResults {
		t.Errorf("%d results, want %d", n, MaxSARIFResults)
	}
	notes := log.Runs[0].Invocations[0].Notifications
	if len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Message.Text, "left out") {
		t.Errorf("truncation not reported: %+v", notes)
	}
}

func TestMarkdownStaysUnderGitHubsCommentLimit(t *testing.T) {
	r := sample()
	base := r.Findings[0]
	r.Findings = nil
	for i := 0; i < 400; i++ {
		f := base
		f.Role = base.Role + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		f.Message = strings.Repeat("long message ", 30)
		r.Findings = append(r.Findings, f)
	}
	var buf bytes.Buffer
	if err := (Markdown{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MaxMarkdown {
		t.Errorf("markdown is %d bytes", buf.Len())
	}
	if !strings.Contains(buf.String(), "Output truncated") {
		t.Error("truncation not said")
	}
}

func TestTextPassingOutputNeverSaysFail(t *testing.T) {
	r := sample()
	r.Findings = r.Findings[2:]
	r.Summary = findings.Gate{FailOn: findings.Error}.Summarize(r.Findings)
	var buf bytes.Buffer
	if err := (Text{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(buf.String()), "fail") {
		t.Errorf("passing text mentions fail:\n%s", buf.String())
	}
}

func TestMarkdownBoundsNotices(t *testing.T) {
	r := sample()
	for i := 0; i < 50; i++ {
		r.Notices = append(r.Notices, strings.Repeat("a very long notice ", 1000))
	}
	var buf bytes.Buffer
	if err := (Markdown{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MaxMarkdown || !strings.Contains(buf.String(), "40 more notices left out") || !strings.Contains(buf.String(), "KARP001") {
		t.Errorf("notices are not bounded (%d bytes) or crowd out the findings", buf.Len())
	}
}

// TestSARIFStaysUnderGitHubsCompressedSizeLimit writes results whose messages do not compress and
// checks the upload stays under 10 MB gzipped, keeping the errors and saying what was left out.
func TestSARIFStaysUnderGitHubsCompressedSizeLimit(t *testing.T) {
	r := sample()
	base := r.Findings[0]
	r.Findings = nil
	seed := uint64(1)
	noise := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[seed>>58]
		}
		return string(b)
	}
	for i := 0; i < 9000; i++ {
		f := base
		f.Address = fmt.Sprintf("aws_iam_policy.p%d", i)
		f.Message = noise(2000)
		if i%3 == 0 {
			f.Severity = findings.Warning
		}
		r.Findings = append(r.Findings, f)
	}
	var buf bytes.Buffer
	if err := (SARIF{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if n := gzipSize(buf.Bytes()); n > MaxSARIFGzipBytes {
		t.Fatalf("compressed SARIF is %d bytes", n)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	if len(res) == 0 || len(res) == len(r.Findings) {
		t.Fatalf("%d of %d results kept", len(res), len(r.Findings))
	}
	if res[len(res)-1].Level != "error" && res[0].Level != "error" {
		t.Errorf("the most severe results should be kept first")
	}
	notes := log.Runs[0].Invocations[0].Notifications
	if len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Message.Text, "compressed SARIF") {
		t.Errorf("truncation not reported: %+v", notes)
	}
}
