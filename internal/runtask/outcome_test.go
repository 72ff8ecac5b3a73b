package runtask

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/karpgate/karpgate/internal/findings"
)

// TestResultLimits: however many findings and rules, the task result stays inside HCP Terraform's
// limits (message 1,000, 10 outcomes, body 10,000, labels 32) and says what it left out.
func TestResultLimits(t *testing.T) {
	var rules []findings.Rule
	var fs []findings.Finding
	for r := range 15 {
		id := fmt.Sprintf("KARP%03d", 100+r)
		sev := findings.Severity(1 + r%3)
		rules = append(rules, findings.Rule{ID: id, Title: strings.Repeat("Title ", 300), Severity: sev, Remediation: "Do it right."})
		for i := range 200 {
			fs = append(fs, findings.Finding{
				RuleID: id, Severity: sev, Address: fmt.Sprintf("aws_iam_policy.p%d", i),
				Message: strings.Repeat("é", 120), Fix: "{\n  \"Action\": \"ec2:RunInstances\"\n}",
			})
		}
	}
	gate := findings.Gate{FailOn: findings.Warning}
	res := findings.Result{Rules: rules, Findings: fs, Summary: gate.Summarize(fs), Notices: []string{strings.Repeat("notice ", 400)}}
	tr := buildResult(res, true, "")
	a := tr.Data.Attributes
	if a.Status != StatusFailed {
		t.Errorf("status = %s", a.Status)
	}
	if n := utf8.RuneCountInString(a.Message); n > MaxMessageChars {
		t.Errorf("message has %d characters", n)
	}
	if !strings.Contains(a.Message, "Showing the 10 most severe rules of 15") {
		t.Errorf("message does not say rules were left out: %q", a.Message)
	}
	out := tr.Data.Relationships.Outcomes.Data
	if len(out) != MaxOutcomes {
		t.Fatalf("%d outcomes, want %d", len(out), MaxOutcomes)
	}
	for i, o := range out {
		oa := o.Attributes
		if o.Type != "task-result-outcomes" || utf8.RuneCountInString(oa.Body) > MaxOutcomeBodyChars ||
			utf8.RuneCountInString(oa.Description) > MaxDescriptionChars || len(oa.OutcomeID) > MaxOutcomeIDChars {
			t.Errorf("outcome %d over a limit: body %d, description %d", i, utf8.RuneCountInString(oa.Body), utf8.RuneCountInString(oa.Description))
		}
		if !strings.Contains(oa.Body, "more; run `karpgate scan` for the full list.") {
			t.Errorf("outcome %d does not say findings were left out", i)
		}
		if i < 5 && oa.Tags["Severity"][0].Label != "Error" { // errors come first
			t.Errorf("outcome %d has severity %v", i, oa.Tags["Severity"])
		}
		for k, tags := range oa.Tags {
			for _, tag := range tags {
				if len(tag.Label) > MaxLabelChars {
					t.Errorf("tag %s label %q too long", k, tag.Label)
				}
			}
		}
	}
	if tr := buildResult(res, false, ""); tr.Data.Relationships != nil {
		t.Errorf("outcomes sent without the capability")
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("héllo wörld", 5); got != "héll…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("short", 5); got != "short" {
		t.Errorf("truncate = %q", got)
	}
}
