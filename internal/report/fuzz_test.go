package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/report"
)

// fuzzHugeLen is how long a "huge" fuzzed message becomes: past MaxMarkdown on its own, and small
// enough to keep each exec in the milliseconds.
const fuzzHugeLen = 3 * report.MaxMarkdown / 2

// fuzzResult builds a complete result from fuzzed strings: n findings of every severity, some
// suppressed, some with statements and source locations, the message also used as a notice.
func fuzzResult(ruleID, planName, address, message, fix, file string, sev uint8, line int, n uint8, huge bool) findings.Result {
	if huge && message != "" {
		message = strings.Repeat(message, fuzzHugeLen/len(message)+1)
	}
	rules := []findings.Rule{
		{ID: ruleID, Name: address, Title: message, Description: fix, Severity: findings.Severity(sev % 4), Remediation: fix, Related: []string{address}, Tags: []string{file}, Enabled: true},
		{ID: "KARP001", Title: "t", Severity: findings.Error, Remediation: "r", Enabled: true},
	}
	var fs []findings.Finding
	for i := range int(n%8) + 1 {
		f := findings.Finding{
			RuleID:   ruleID,
			Severity: findings.Severity((int(sev) + i) % 4),
			Plan:     planName,
			Address:  address,
			Role:     address,
			Message:  message,
			Fix:      fix,
			Related:  []string{file},
		}
		if i%2 == 1 {
			f.RuleID = "KARP001"
			f.Statement = &findings.StatementRef{Policy: address, Attribute: file, Sid: message, Index: line}
			f.Location = &findings.Location{File: file, StartLine: line, EndLine: line - i, Note: fix}
		}
		if i%3 == 2 {
			f.Suppression = &findings.Suppression{Kind: "exception", Reason: message, Expires: file}
		}
		if i == 3 {
			f.Role = ""
		}
		fs = append(fs, f)
	}
	findings.Sort(fs)
	g := findings.Gate{FailOn: findings.Severity(sev % 4), UnknownFail: huge}
	return findings.Result{
		Tool:     findings.Tool{Name: "karpgate", Version: fix, URI: address},
		Plans:    []string{planName, file},
		Rules:    rules,
		Findings: fs,
		Summary:  g.Summarize(fs),
		Notices:  []string{message},
	}
}

// FuzzWriters checks that every writer renders any result (control characters, invalid UTF-8,
// huge strings, odd severities and lines) without panicking or failing on an in-memory writer,
// that the JSON and SARIF outputs are valid JSON, JUnit is well-formed XML, GitHub prints one
// line per unsuppressed finding, and markdown stays under MaxMarkdown. Run it with:
// go test -run '^$' -fuzz '^FuzzWriters$' -fuzztime 60s -parallel 1 ./internal/report/
func FuzzWriters(f *testing.F) {
	goldens, err := filepath.Glob("testdata/golden/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		// Lines of each golden are realistic messages and fixes. Seeds stay short: Go minimizes
		// every new input with O(n²) execs.
		lines := strings.Split(string(b), "\n")
		for i := 0; i+1 < len(lines) && i < 8; i += 2 {
			f.Add("KARP001", "plans/prod.json", "module.karpenter.aws_iam_role.controller[0]", lines[i], lines[i+1], "infra/main.tf", uint8(3), 12, uint8(2), false)
		}
	}
	f.Add("", "", "", "", "", "", uint8(0), 0, uint8(0), false)
	f.Add("KARP014", "-", "aws_iam_policy.fix", "a\x00b\x1b[31mc\r\nd%0A::error::e\u2028f", "```\n</details>|<x>", "C:\\tf\\main.tf", uint8(2), -1, uint8(7), false)
	f.Add("\xff\xfe", "plan\xc3.json", "aws_iam_role.r[\"\xed\xa0\x80\"]", "\xe9t\xe9", "\x80", "\xc0\xaf", uint8(255), 1<<40, uint8(255), true)
	f.Add("KARP020", "p.json", "a", "]]>&amp;<!--", "--> <![CDATA[", "f\x7f", uint8(1), 3, uint8(5), true)

	type writer struct {
		name string
		w    report.Writer
	}
	var writers []writer
	for _, name := range report.Formats() {
		w, err := report.New(name, report.Options{Category: "karpgate/fuzz/"})
		if err != nil {
			f.Fatal(err)
		}
		writers = append(writers, writer{name, w})
	}
	color, err := report.New("text", report.Options{Color: true})
	if err != nil {
		f.Fatal(err)
	}
	writers = append(writers, writer{"text (color)", color})

	f.Fuzz(func(t *testing.T, ruleID, planName, address, message, fix, file string, sev uint8, line int, n uint8, huge bool) {
		res := fuzzResult(ruleID, planName, address, message, fix, file, sev, line, n, huge)
		for _, w := range writers {
			var buf bytes.Buffer
			if err := w.w.Write(&buf, res); err != nil {
				t.Fatalf("%s: Write: %v", w.name, err)
			}
			out := buf.Bytes()
			switch w.name {
			case "json", "sarif":
				if !json.Valid(out) {
					t.Fatalf("%s output is not valid JSON", w.name)
				}
			case "junit":
				if err := wellFormedXML(out); err != nil {
					t.Fatalf("junit output is not well-formed XML: %v", err)
				}
			case "markdown":
				if len(out) > report.MaxMarkdown {
					if markdownNoticesUnbounded && len(out)-noticeBytes(res) <= report.MaxMarkdown {
						t.Logf("known issue: markdown bounds role sections but not notices (%d bytes)", len(out))
						continue
					}
					t.Fatalf("markdown output is %d bytes, over MaxMarkdown (%d)", len(out), report.MaxMarkdown)
				}
			case "github":
				want := 0
				for _, f := range res.Findings {
					if !f.Suppressed() {
						want++
					}
				}
				if got := bytes.Count(out, []byte("\n")); got != want || bytes.Contains(bytes.TrimSuffix(out, []byte("\n")), []byte("\r")) {
					t.Fatalf("github output has %d lines for %d unsuppressed findings", got, want)
				}
			}
		}
	})
}

// markdownNoticesUnbounded records a known issue found by FuzzWriters: Markdown.Write truncates
// role sections to fit MaxMarkdown but writes every notice in full before them, so one long notice
// (a huge source-index problem, say) overflows the comment. Set it to false once the writer bounds
// notices too; the fuzz seeds with huge messages then hold the writer to the limit.
const markdownNoticesUnbounded = false

// noticeBytes is an upper bound on what the notices add to the markdown (they grow when escaped).
func noticeBytes(r findings.Result) int {
	n := 0
	for _, s := range r.Notices {
		n += 5*len(s) + 20
	}
	return n
}

// wellFormedXML reads every token of b.
func wellFormedXML(b []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
