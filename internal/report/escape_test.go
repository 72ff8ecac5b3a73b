package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/findings"
)

// hostile is text an attacker can put into a plan (a statement Sid, a role name, a message built
// from them) or into a policy's metadata.
const hostile = "[click](https://evil.example/x) ![px](https://evil.example/p.png) <img src=https://evil.example/i.png> `code` \x1b]0;pwned\x07\x1b[2J\x01"

// rawMarkup is what must never reach a Markdown or HTML rendering unescaped.
var rawMarkup = []string{"[click](", "![px](", "<img", "\x1b", "\x07"}

// rawMarkupIn returns the first of rawMarkup that Markdown would render as markup: not
// backslash-escaped and outside code spans and fenced code blocks (which render literally).
func rawMarkupIn(md string) string {
	for i := 0; i < len(md); i++ {
		switch {
		case md[i] == '\\':
			i++ // the next character is escaped
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
			for _, bad := range rawMarkup {
				if strings.HasPrefix(md[i:], bad) {
					return bad
				}
			}
		}
	}
	return ""
}

func hostileResult() findings.Result {
	return findings.Result{
		Tool:  findings.Tool{Name: "karpgate", Version: "test"},
		Plans: []string{"plan.json"},
		Rules: []findings.Rule{{ID: "ACME1", Name: "acme", Title: "Title " + hostile, Description: "Desc " + hostile, Remediation: "Fix " + hostile,
			Severity: findings.Error, Enabled: true, Custom: true}},
		Findings: []findings.Finding{{
			RuleID: "ACME1", Severity: findings.Error, Plan: "plan.json", Address: "aws_iam_role.x" + hostile, Role: "role" + hostile,
			Message:   "message " + hostile,
			Statement: &findings.StatementRef{Policy: "aws_iam_policy.p", Sid: hostile},
		}},
		Summary: findings.Summary{Errors: 1, FailOn: "error", Unknown: "warn", ExitCode: 1},
	}
}

func render(t *testing.T, format string, r findings.Result) string {
	t.Helper()
	w, err := New(format, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestPlanTextIsEscapedInMarkdown: links, images, HTML and control characters from a plan or a
// policy reach the Markdown comment only escaped.
func TestPlanTextIsEscapedInMarkdown(t *testing.T) {
	for _, custom := range []bool{true, false} { // a user rule, and an embedded rule quoting the plan
		r := hostileResult()
		r.Rules[0].Custom = custom
		md := render(t, "markdown", r)
		if bad := rawMarkupIn(md); bad != "" {
			t.Errorf("custom %v: the Markdown report holds %q unescaped outside code:\n%s", custom, bad, md)
		}
	}
	md := render(t, "markdown", hostileResult())
	if !strings.Contains(md, `\[click\]`) {
		t.Errorf("the escaped Sid is missing:\n%s", md)
	}
}

// TestPolicyMetadataIsEscapedInSARIFHelp: a user rule's title, description and remediation land
// escaped in the rule's help Markdown.
func TestPolicyMetadataIsEscapedInSARIFHelp(t *testing.T) {
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						Help struct {
							Markdown string `json:"markdown"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(render(t, "sarif", hostileResult())), &doc); err != nil {
		t.Fatal(err)
	}
	md := doc.Runs[0].Tool.Driver.Rules[0].Help.Markdown
	if bad := rawMarkupIn(md); bad != "" {
		t.Errorf("the SARIF help Markdown holds %q unescaped outside code: %q", bad, md)
	}
}

// TestJUnitIsWellFormedXML: control characters that XML 1.0 cannot carry do not break the report.
func TestJUnitIsWellFormedXML(t *testing.T) {
	dec := xml.NewDecoder(strings.NewReader(render(t, "junit", hostileResult())))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the JUnit report is not well-formed XML: %v", err)
		}
	}
}

// TestTextShowsNoTerminalEscapes: escape sequences from a plan cannot drive the terminal.
func TestTextShowsNoTerminalEscapes(t *testing.T) {
	out := render(t, "text", hostileResult())
	if strings.ContainsAny(out, "\x1b\x07\x01") {
		t.Errorf("the text report holds control characters: %q", out)
	}
	if !strings.Contains(out, `\x1b]0;pwned`) {
		t.Errorf("the control characters are not shown escaped: %q", out)
	}
}
