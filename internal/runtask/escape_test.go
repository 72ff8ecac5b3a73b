package runtask

import (
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/findings"
)

// TestOutcomeBodiesEscapePlanAndPolicyText: a statement Sid, a message or a user rule's metadata
// with Markdown links, images or HTML land escaped in the outcome body HCP Terraform renders.
func TestOutcomeBodiesEscapePlanAndPolicyText(t *testing.T) {
	const hostile = "[click](https://evil.example/x) ![px](https://evil.example/p.png) <img src=https://evil.example/i.png>"
	res := findings.Result{
		Rules: []findings.Rule{{ID: "ACME1", Title: "T " + hostile, Description: "D " + hostile, Remediation: "R " + hostile, Severity: findings.Error, Enabled: true, Custom: true}},
		Findings: []findings.Finding{{RuleID: "ACME1", Severity: findings.Error, Address: "aws_iam_role.x", Role: "r" + hostile,
			Message: `statement "` + hostile + `" allows iam:*`, Statement: &findings.StatementRef{Sid: hostile}}},
		Summary: findings.Summary{Errors: 1, FailOn: "error", Unknown: "warn", ExitCode: 1},
	}
	tr := buildResult(res, true, "")
	if tr.Data.Relationships == nil || len(tr.Data.Relationships.Outcomes.Data) == 0 {
		t.Fatal("no outcomes")
	}
	for _, o := range tr.Data.Relationships.Outcomes.Data {
		body := o.Attributes.Body
		if bad := rawMarkdown(body); bad != "" {
			t.Errorf("outcome %s body holds %q unescaped outside code:\n%s", o.Attributes.OutcomeID, bad, body)
		}
	}
}

// rawMarkdown returns the first link, image or HTML opener Markdown would render as markup: not
// backslash-escaped and outside code spans and fences.
func rawMarkdown(md string) string {
	for i := 0; i < len(md); i++ {
		switch {
		case md[i] == '\\':
			i++
		case strings.HasPrefix(md[i:], "```"):
			end := strings.Index(md[i+3:], "```")
			if end < 0 {
				return "an unclosed code fence"
			}
			i += 3 + end + 2
		case md[i] == '`':
			end := strings.IndexByte(md[i+1:], '`')
			if end < 0 {
				return "an unclosed code span"
			}
			i += 1 + end
		default:
			for _, bad := range []string{"[click](", "![px](", "<img"} {
				if strings.HasPrefix(md[i:], bad) {
					return bad
				}
			}
		}
	}
	return ""
}

// TestTaskMessageNamesTheConfig: the task message says which configuration was applied and what
// it relaxed.
func TestTaskMessageNamesTheConfig(t *testing.T) {
	res := findings.Result{
		Summary: findings.Summary{Passed: true, FailOn: "never", Unknown: "warn"},
		Config:  &findings.ConfigApplied{File: ".karpgate.yaml", Relaxed: []string{"rule KARP001 disabled", "gate threshold changed from error to never"}},
	}
	msg := buildResult(res, true, "").Data.Attributes.Message
	for _, want := range []string{".karpgate.yaml (found in the working directory)", "rule KARP001 disabled", "gate threshold changed from error to never"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
}
