package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/karpgate/karpgate/internal/findings"
)

// Text renders findings for a person: grouped by plan and role, each with its reason and fix, and
// a summary line. A passing run never prints the word "fail" (older Atlantis treats any "fail" in a
// policy check's output as a failure); a failing run ends with "N failures, ..." (Atlantis's
// failure pattern).
type Text struct {
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
)

func (t Text) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + ansiReset
}

// Write implements Writer.
func (t Text) Write(w io.Writer, r findings.Result) error {
	r = terminalSafe(r)
	bw := bufio.NewWriter(w)
	for _, n := range r.Notices {
		fmt.Fprintf(bw, "%s %s\n", t.paint(ansiYellow, "notice:"), n)
	}
	for _, g := range groupByRole(r.Findings) {
		head := g.Plan
		if g.Role != "" {
			head += ": " + g.Role
		}
		fmt.Fprintf(bw, "\n%s\n", t.paint(ansiBold, head))
		for _, f := range g.Findings {
			t.finding(bw, r, f)
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(bw)
	}
	for _, line := range checkedLines(r) {
		fmt.Fprintln(bw, line)
	}
	if line := configText(r); line != "" {
		fmt.Fprintln(bw, line)
	}
	fmt.Fprintln(bw, t.summary(r))
	return bw.Flush()
}

func (t Text) finding(w io.Writer, r findings.Result, f findings.Finding) {
	label := strings.ToUpper(f.Severity.String())
	code := ansiBlue
	switch f.Severity {
	case findings.Error:
		code = ansiRed
	case findings.Warning:
		code = ansiYellow
	}
	title := ""
	if rule, ok := r.Rule(f.RuleID); ok {
		title = rule.Title
	}
	if f.Suppressed() {
		// One line: what was accepted, why, and until when.
		fmt.Fprintf(w, "  %s %s\n", t.paint(ansiDim, "SUPPRESSED"), suppressedLine(f))
		return
	}
	fmt.Fprintf(w, "  %s %s %s\n", t.paint(code, fmt.Sprintf("%-7s", label)), t.paint(ansiBold, f.RuleID), title)
	if f.Address != "" && f.Address != f.Role {
		fmt.Fprintf(w, "          resource: %s\n", f.Address)
	}
	if f.Statement != nil && (f.Statement.Sid != "" || f.Statement.Policy != "") {
		fmt.Fprintf(w, "          %s\n", statementLabel(f.Statement))
	}
	if f.Location != nil {
		fmt.Fprintf(w, "          at: %s:%d\n", f.Location.File, f.Location.StartLine)
	}
	writeIndented(w, "          ", wrapText(f.Message, textWidth-10))
	fix := f.Fix
	if fix == "" {
		if rule, ok := r.Rule(f.RuleID); ok {
			fix = rule.Remediation
		}
	}
	if fix != "" {
		fmt.Fprintf(w, "          %s\n", t.paint(ansiBold, "fix:"))
		writeIndented(w, "            ", fix)
	}
}

func writeIndented(w io.Writer, indent, s string) {
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "%s%s\n", indent, strings.TrimRight(line, " \t"))
	}
}

// textWidth is the column text output wraps prose at (code, such as fixes, is never wrapped).
const textWidth = 100

// wrapText wraps each line of s at width columns on spaces; a word longer than width stays whole.
func wrapText(s string, width int) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if len(para) <= width {
			out = append(out, para)
			continue
		}
		lead := para[:len(para)-len(strings.TrimLeft(para, " -"))]
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				out = append(out, line)
				line = strings.Repeat(" ", len(lead)) + word
				continue
			}
			if line == "" {
				line = word
				if lead != "" && !strings.HasPrefix(word, "-") {
					line = lead + word
				}
				continue
			}
			line += " " + word
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func (t Text) summary(r findings.Result) string {
	s := r.Summary
	counts := fmt.Sprintf("%s, %s, %s", plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Notes, "note"))
	if s.Suppressed > 0 {
		counts += fmt.Sprintf(", %d suppressed", s.Suppressed)
	}
	scope := fmt.Sprintf("%s checked on %s", plural(len(r.Rules), "rule"), plural(len(r.Plans), "plan"))
	if s.Passed {
		return fmt.Sprintf("karpgate: %s: %s. %s", scope, counts, t.paint(ansiBold, "PASSED"))
	}
	failing := 0
	g := findings.Gate{FailOn: mustSeverity(s.FailOn), UnknownFail: s.Unknown == "fail"}
	for _, f := range r.Findings {
		if g.Fails(f) {
			failing++
		}
	}
	return fmt.Sprintf("karpgate: %s: %s. %s: %s (fail-on %s)", scope, counts, t.paint(ansiRed+ansiBold, "FAILED"), plural(failing, "failure"), s.FailOn)
}

func mustSeverity(s string) findings.Severity {
	v, err := findings.ParseSeverity(s)
	if err != nil {
		return findings.Error
	}
	return v
}

// suppressedLine is a suppressed finding in one line: rule, address, the exception's reason and
// its expiry.
func suppressedLine(f findings.Finding) string {
	line := f.RuleID
	if f.Address != "" {
		line += " " + f.Address
	} else if f.Role != "" {
		line += " " + f.Role
	}
	s := f.Suppression
	line += " (" + s.Kind
	if s.Reason != "" {
		line += ": " + s.Reason
	}
	if s.Expires != "" {
		line += ", until " + s.Expires
	}
	return line + ")"
}

// checkedVersion is the version judged and the compatibility line of a checked role, as the
// tail of its line: " of Karpenter 1.0.0 (config karpenter.version); works with v1.0+".
func checkedVersion(c findings.Checked) string {
	var b strings.Builder
	if c.Version != "" {
		b.WriteString(" of " + c.Version)
	}
	if c.Compatibility != "" {
		b.WriteString("; " + c.Compatibility)
	}
	return b.String()
}

// checkedLines names each Karpenter role whose requests were simulated, so that a clean scan says
// what it checked.
func checkedLines(r findings.Result) []string {
	var out []string
	for _, c := range r.Checked {
		role := c.Role
		if len(r.Plans) > 1 {
			role = c.Plan + ": " + role
		}
		out = append(out, fmt.Sprintf("checked %s: %s simulated%s", role, plural(c.Requests, "Karpenter request"), checkedVersion(c)))
	}
	return out
}
