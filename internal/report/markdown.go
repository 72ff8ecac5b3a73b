package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/karpgate/karpgate/internal/escape"
	"github.com/karpgate/karpgate/internal/findings"
)

// MaxMarkdown is the size a GitHub comment may have (65,536 characters); the markdown writer stays
// below it and says when it truncated.
const MaxMarkdown = 65000

// Notices are bounded too, so that role sections always fit: at most maxMarkdownNotices of at most
// maxMarkdownNotice bytes each.
const (
	maxMarkdownNotices = 10
	maxMarkdownNotice  = 500
)

// clip shortens s to at most n bytes (on a rune boundary) and says so.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " ...(shortened)"
}

// Markdown renders a pull-request comment: a summary table, one <details> per role, the fixing
// statement of each finding.
type Markdown struct {
	TextHint string // how to get the whole report when this one is cut short (Hints)
}

// Write implements Writer.
func (m Markdown) Write(w io.Writer, r findings.Result) error {
	var b strings.Builder
	status := "✅ passed"
	if !r.Summary.Passed {
		status = "❌ did not pass"
	}
	fmt.Fprintf(&b, "## karpgate: %s\n\n", status)
	s := r.Summary
	fmt.Fprintf(&b, "| errors | warnings | notes | suppressed | plans | rules |\n|---:|---:|---:|---:|---:|---:|\n| %d | %d | %d | %d | %d | %d |\n\n",
		s.Errors, s.Warnings, s.Notes, s.Suppressed, len(r.Plans), len(r.Rules))
	b.WriteString(configMarkdown(r))
	for _, c := range r.Checked {
		role := "`" + c.Role + "`"
		if len(r.Plans) > 1 {
			role = "`" + c.Plan + "` · " + role
		}
		fmt.Fprintf(&b, "- Checked %s: %s simulated%s\n", role, plural(c.Requests, "Karpenter request"), escapeMD(checkedVersion(c)))
	}
	if len(r.Checked) > 0 {
		b.WriteString("\n")
	}
	for i, n := range r.Notices {
		if i == maxMarkdownNotices {
			fmt.Fprintf(&b, "> _%d more notices left out%s._\n\n", len(r.Notices)-i, m.hint("; %s for all"))
			break
		}
		fmt.Fprintf(&b, "> **Notice:** %s\n\n", escapeMD(clip(n, maxMarkdownNotice)))
	}
	var sections []string
	for _, g := range groupByRole(r.Findings) {
		var sec strings.Builder
		// <summary> is HTML: Markdown escapes do not apply there.
		head := "<code>" + escape.HTML(g.Plan) + "</code>"
		if g.Role != "" {
			head += " · <code>" + escape.HTML(g.Role) + "</code>"
		}
		fmt.Fprintf(&sec, "### %s (%s)\n\n", head, plural(len(g.Findings), "finding"))
		for _, f := range g.Findings {
			writeMarkdownFinding(&sec, r, f)
		}
		sections = append(sections, sec.String())
	}
	tail := "_Output truncated to fit a GitHub comment: %d of %d role sections shown." + m.hint(" %s for everything.") + "_\n"
	for i, sec := range sections {
		if b.Len()+len(sec)+len(tail)+40 > MaxMarkdown {
			fmt.Fprintf(&b, tail, i, len(sections))
			break
		}
		b.WriteString(sec)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func badge(sev string) string {
	switch sev {
	case "error":
		return "🔴 error"
	case "warning":
		return "🟠 warning"
	case "note":
		return "🔵 note"
	}
	return "⚪ " + sev
}

// escapeMD keeps text from a plan or a policy from adding markup to the comment (links, images,
// HTML, emphasis, blocks).
func escapeMD(s string) string { return escape.Markdown(s) }

// writeMarkdownFinding writes one finding: rule id, title, role and a one-line reason in plain
// sight; the whole explanation and the fix (one fenced block per language) inside <details>. A
// suppressed finding is one line with the exception's reason and expiry.
func writeMarkdownFinding(b *strings.Builder, r findings.Result, f findings.Finding) {
	title := ""
	if rule, ok := r.Rule(f.RuleID); ok {
		title = " " + escapeMD(rule.Title)
	}
	sev := f.Severity.String()
	if f.Suppressed() {
		sev = "suppressed"
	}
	fmt.Fprintf(b, "%s **%s**%s", badge(sev), escapeMD(f.RuleID), title)
	if f.Role != "" {
		fmt.Fprintf(b, " · role `%s`", escape.Code(f.Role))
	}
	if f.Suppressed() {
		fmt.Fprintf(b, " · %s\n\n", escapeMD(strings.TrimPrefix(suppressedLine(f), f.RuleID+" ")))
		return
	}
	fmt.Fprintf(b, "  \n%s\n\n", escapeMD(oneLine(f.Message, 200)))
	b.WriteString("<details><summary>Explanation and fix</summary>\n\n")
	if f.Address != "" {
		fmt.Fprintf(b, "Resource: `%s`", escape.Code(f.Address))
		if f.Statement != nil {
			fmt.Fprintf(b, ", %s", escapeMD(statementLabel(f.Statement)))
		}
		if f.Location != nil {
			fmt.Fprintf(b, " (`%s:%d`)", escape.Code(f.Location.File), f.Location.StartLine)
		}
		b.WriteString("\n\n")
	}
	fmt.Fprintf(b, "%s\n\n", gfm(f.Message, trusted(r, f.RuleID)))
	fix := f.Fix
	if fix == "" {
		if rule, ok := r.Rule(f.RuleID); ok {
			fix = rule.Remediation
		}
	}
	if fix != "" {
		fmt.Fprintf(b, "**Fix**\n\n%s\n\n", gfm(strings.TrimSpace(fix), trusted(r, f.RuleID)))
	}
	b.WriteString("</details>\n\n")
}

// oneLine is the first line of s, cut at its first clause (". " or "; ") when longer than n bytes.
func oneLine(s string, n int) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) <= n {
		return line
	}
	cut := -1
	for _, sep := range []string{". ", "; "} {
		if i := strings.Index(line, sep); i > 0 && i < n && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut > 0 {
		return line[:cut] + "."
	}
	return clip(line, n)
}

// trusted reports whether a rule's text is karpgate's own (an embedded rule), rather than text
// from a user policy that must not add markup.
func trusted(r findings.Result, id string) bool {
	rule, ok := r.Rule(id)
	return ok && !rule.Custom
}

// hint is format with the TextHint in it, or "" without one; a sentence's first word is capitalized.
func (m Markdown) hint(format string) string {
	if m.TextHint == "" {
		return ""
	}
	h := m.TextHint
	if strings.HasPrefix(format, " ") {
		h = strings.ToUpper(h[:1]) + h[1:]
	}
	return fmt.Sprintf(format, h)
}
