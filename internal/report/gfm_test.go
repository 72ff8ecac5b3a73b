package report

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	ghtml "github.com/yuin/goldmark/renderer/html"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
)

// renderGFM renders Markdown as GitHub does (CommonMark plus the GFM extensions; raw HTML such as
// <details> kept, as GitHub keeps it).
func renderGFM(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(ghtml.WithUnsafe())).Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var codeBlock = regexp.MustCompile(`(?s)<pre><code class="language-(\w+)">(.*?)</code></pre>`)

// checkRendered requires that code renders intact in fenced blocks and prose gets no emphasis
// Markdown did not ask for.
func checkRendered(t *testing.T, name, source, md string) []string {
	t.Helper()
	out := renderGFM(t, md)
	if strings.Contains(out, "<em>") || strings.Contains(out, "<del>") {
		t.Errorf("%s: emphasis or strike-through in the rendered text:\n%s", name, out)
	}
	var langs []string
	for _, m := range codeBlock.FindAllStringSubmatch(out, -1) {
		code := strings.TrimSuffix(html.UnescapeString(m[2]), "\n")
		if !strings.Contains(source, code) {
			t.Errorf("%s: a %s block does not hold the source's code verbatim:\n%s", name, m[1], code)
		}
		langs = append(langs, m[1])
	}
	return langs
}

// TestSARIFHelpRendersAsGitHubMarkdown renders every embedded rule's SARIF help with a GFM
// renderer: each HCL statement of a remediation is one hcl block, exactly as written, and no `*`
// of an ARN turns into italics.
func TestSARIFHelpRendersAsGitHubMarkdown(t *testing.T) {
	eng, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	withCode := 0
	for _, rule := range eng.Rules() {
		help := sarifRuleOf(rule).Help.Markdown
		langs := checkRendered(t, rule.ID, rule.Title+"\n"+rule.Description+"\n"+rule.Remediation, help)
		if strings.Contains(rule.Remediation, "statement {") {
			withCode++
			if len(langs) == 0 || langs[0] != "hcl" {
				t.Errorf("%s: the remediation's statement is not an hcl block (%v):\n%s", rule.ID, langs, help)
			}
		}
	}
	if withCode == 0 {
		t.Error("no rule remediation holds a statement: the test checks nothing")
	}
}

// TestSARIFResultMessageKeepsPlaceholders: a finding whose fix has <region> and <cluster:...>
// placeholders and wildcards renders them as written, in an hcl and a json block.
func TestSARIFResultMessageKeepsPlaceholders(t *testing.T) {
	f := findings.Finding{
		RuleID: "KARP001", Severity: findings.Error, Plan: "plan.json", Address: "aws_iam_policy.k",
		Message: "aws_iam_role.k cannot tag arn:aws:ec2:<region>:*:instance/* (the region is unknown: set karpenter.region)",
		Fix:     "HCL, in data \"aws_iam_policy_document\":\nstatement {\n  sid       = \"AllowScopedResourceTagging\"\n  resources = [\"arn:aws:ec2:<region>:*:instance/*\"]\n\n  condition {\n    test     = \"StringEquals\"\n    variable = \"aws:ResourceTag/kubernetes.io/cluster/<cluster: set karpenter.cluster>\"\n    values   = [\"owned\"]\n  }\n}\n\nJSON, in the policy's Statement list:\n{\n  \"Resource\": \"arn:aws:ec2:<region>:*:instance/*\",\n  \"Sid\": \"AllowScopedResourceTagging\"\n}",
	}
	res := SARIF{}.resultOf(f, 0, true)
	langs := checkRendered(t, "result", f.Message+"\n"+f.Fix, res.Message.Markdown)
	if strings.Join(langs, ",") != "hcl,json" {
		t.Errorf("blocks %v, want hcl then json:\n%s", langs, res.Message.Markdown)
	}
	out := renderGFM(t, res.Message.Markdown)
	if strings.Count(out, "&lt;region&gt;") != 3 || !strings.Contains(out, "&lt;cluster: set karpenter.cluster&gt;") {
		t.Errorf("placeholders lost:\n%s", out)
	}
	if res.Message.Text != f.Message+"\n\nFix:\n"+f.Fix {
		t.Errorf("the plain text changed: %q", res.Message.Text)
	}
	b, err := json.Marshal(res.Message)
	if err != nil || !bytes.Contains(b, []byte(`"markdown":`)) {
		t.Errorf("message JSON %s, %v", b, err)
	}
}

func TestEscapeProse(t *testing.T) {
	for in, want := range map[string]string{
		"a *b* _c_ <region>":        `a \*b\* \_c\_ &lt;region&gt;`,
		"keep `code *spans*` as is": "keep `code *spans*` as is",
		"an unpaired ` tick *":      "an unpaired \\` tick \\*",
		"# not a heading":           `\# not a heading`,
	} {
		if got := escapeProse(in); got != want {
			t.Errorf("escapeProse(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdownCommentShowsFindingsOutsideDetails renders the PR comment as GitHub does: each
// finding's rule id, title, role and one-line reason are outside <details>; the explanation and
// the fix (an hcl and a json block, labels as prose) are inside; a suppressed finding is one line.
func TestMarkdownCommentShowsFindingsOutsideDetails(t *testing.T) {
	fix := "HCL, in data \"aws_iam_policy_document\":\nstatement {\n  resources = [\"arn:aws:ec2:eu-west-1:*:instance/*\"]\n}\n\nJSON, in the policy's Statement list:\n{\n  \"Resource\": \"arn:aws:ec2:eu-west-1:*:instance/*\"\n}"
	r := findings.Result{
		Plans: []string{"plan.json"},
		Rules: []findings.Rule{{ID: "KARP001", Title: "Karpenter cannot tag the instances it launches", Severity: findings.Error}, {ID: "KARP014", Title: "Tag-based scoping can be bypassed", Severity: findings.Warning}},
		Findings: []findings.Finding{
			{RuleID: "KARP001", Severity: findings.Error, Plan: "plan.json", Address: "aws_iam_policy.k", Role: "aws_iam_role.k",
				Message: "aws_iam_role.k cannot tag the instances it launches; AWS would answer UnauthorizedOperation on arn:aws:ec2:*:*:instance/* " + strings.Repeat("and more detail ", 20), Fix: fix},
			{RuleID: "KARP014", Severity: findings.Warning, Plan: "plan.json", Address: "aws_iam_policy.k", Role: "aws_iam_role.k", Message: "long body",
				Suppression: &findings.Suppression{Kind: "exception", Reason: "upgrade scheduled, OPS-1234", Expires: "2027-01-31"}},
		},
		Summary: findings.Summary{Errors: 1, Suppressed: 1, FailOn: "error"},
	}
	var buf bytes.Buffer
	if err := (Markdown{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	langs := checkRendered(t, "comment", fix, buf.String())
	if strings.Join(langs, ",") != "hcl,json" {
		t.Errorf("fix blocks %v, want hcl,json:\n%s", langs, buf.String())
	}
	out := renderGFM(t, buf.String())
	details := regexp.MustCompile(`(?s)<details>.*?</details>`)
	inside := strings.Join(details.FindAllString(out, -1), "\n")
	before := details.ReplaceAllString(out, "")
	if inside == "" {
		t.Fatalf("no <details>:\n%s", out)
	}
	for _, want := range []string{"KARP001", "Karpenter cannot tag the instances it launches", "aws_iam_role.k", "cannot tag the instances it launches.", "KARP014", "upgrade scheduled, OPS-1234", "2027-01-31"} {
		if !strings.Contains(before, want) {
			t.Errorf("%q is not outside <details>:\n%s", want, before)
		}
	}
	if strings.Contains(before, "and more detail") || !strings.Contains(inside, "and more detail") {
		t.Error("the long explanation is not inside <details> only")
	}
	if strings.Contains(out, "long body") {
		t.Error("a suppressed finding printed its body")
	}
	if strings.Count(out, "<details>") != 1 {
		t.Errorf("%d <details> blocks, want 1 (none for the suppressed finding)", strings.Count(out, "<details>"))
	}
}

// TestFixFormsRenderInTheirLanguage: a fix written for jsonencode (an HCL object) is an hcl block,
// one written as JSON a json block, a module's list entry an hcl block; the code survives intact.
func TestFixFormsRenderInTheirLanguage(t *testing.T) {
	for _, tc := range []struct{ name, fix, lang string }{
		{"jsonencode", "Merge these operators into the statement's Condition object in the jsonencode(...) (HCL object syntax):\n{\n  StringEquals = {\n    \"aws:ResourceTag/kubernetes.io/cluster/prod\" = \"owned\"\n  }\n}", "hcl"},
		{"json", "Merge these operators into the statement's \"Condition\" object (JSON):\n{\n  \"StringEquals\": {\n    \"aws:ResourceTag/kubernetes.io/cluster/prod\": \"owned\"\n  }\n}", "json"},
		{"policy document", "Add the condition blocks to the statement block of the data \"aws_iam_policy_document\":\n\ncondition {\n  test     = \"StringLike\"\n  variable = \"aws:ResourceTag/karpenter.sh/nodepool\"\n  values   = [\"*\"]\n}", "hcl"},
		{"module list", "The entry after the change, in the module block (HCL object syntax):\nmodule \"karpenter\" {\n  iam_policy_statements = [\n    {\n      sid = \"S\"\n      conditions = [\n        { test = \"StringLike\", variable = \"aws:ResourceTag/karpenter.sh/nodepool\", values = [\"*\"] },\n      ]\n    },\n  ]\n}", "hcl"},
	} {
		langs := checkRendered(t, tc.name, tc.fix, gfm(tc.fix, true))
		if len(langs) != 1 || langs[0] != tc.lang {
			t.Errorf("%s: blocks %v, want one %s block", tc.name, langs, tc.lang)
		}
	}
}
