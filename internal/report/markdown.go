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
type Markdown struct{}

// Write implements Writer.
func (Markdown) Write(w io.Writer, r findings.Result) error {
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
	for i, n := range r.Notices {
		if i == maxMarkdownNotices {
			fmt.Fprintf(&b, "> _%d more notices left out; run karpgate with --format text for all._\n\n", len(r.Notices)-i)
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
		fmt.Fprintf(&sec, "<details><summary>%s (%s)</summary>\n\n", head, plural(len(g.Findings), "finding"))
		for _, f := range g.Findings {
			title := f.RuleID
			if rule, ok := r.Rule(f.RuleID); ok {
				title += " " + rule.Title
			}
			sev := f.Severity.String()
			if f.Suppressed() {
				sev = "suppressed"
			}
			fmt.Fprintf(&sec, "#### %s %s\n\n", badge(sev), escapeMD(title))
			if f.Address != "" {
				fmt.Fprintf(&sec, "Resource: `%s`", escape.Code(f.Address))
				if f.Statement != nil {
					fmt.Fprintf(&sec, ", %s", escapeMD(statementLabel(f.Statement)))
				}
				if f.Location != nil {
					fmt.Fprintf(&sec, " (`%s:%d`)", escape.Code(f.Location.File), f.Location.StartLine)
				}
				sec.WriteString("\n\n")
			}
			fmt.Fprintf(&sec, "%s\n\n", escapeMD(f.Message))
			if f.Suppression != nil {
				fmt.Fprintf(&sec, "Suppressed until %s: %s\n\n", f.Suppression.Expires, escapeMD(f.Suppression.Reason))
			}
			fix := f.Fix
			if fix == "" {
				if rule, ok := r.Rule(f.RuleID); ok {
					fix = rule.Remediation
				}
			}
			if fix != "" {
				fmt.Fprintf(&sec, "**Fix**\n\n```\n%s\n```\n\n", strings.ReplaceAll(strings.TrimSpace(fix), "```", "'''"))
			}
		}
		sec.WriteString("</details>\n\n")
		sections = append(sections, sec.String())
	}
	const tail = "_Output truncated to fit a GitHub comment: %d of %d role sections shown. Run karpgate with --format text for everything._\n"
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
