package runtask

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/karpgate/karpgate/internal/escape"
	"github.com/karpgate/karpgate/internal/findings"
)

// buildResult turns a scan result into the final task result: passed or failed from
// Summary.Passed, a summary message, the configured URL and, when the caller accepts them, one
// outcome per rule with unsuppressed findings (most severe first, at most MaxOutcomes).
func buildResult(res findings.Result, withOutcomes bool, resultsURL string) TaskResult {
	status := StatusFailed
	if res.Summary.Passed {
		status = StatusPassed
	}
	groups := groupByRule(res)
	var outcomes []Outcome
	if withOutcomes {
		for _, g := range groups[:min(len(groups), MaxOutcomes)] {
			outcomes = append(outcomes, ruleOutcome(g, res.Summary.Gate))
		}
	}
	msg := summaryMessage(res, len(groups), len(outcomes), withOutcomes)
	return newTaskResult(status, msg, resultsURL, outcomes)
}

// failResult is the final result of a task karpgate could not evaluate: always failed.
func failResult(msg, resultsURL string) TaskResult {
	return newTaskResult(StatusFailed, "karpgate: "+msg, resultsURL, nil)
}

func newTaskResult(status, msg, resultsURL string, outcomes []Outcome) TaskResult {
	tr := TaskResult{Data: TaskResultData{
		Type:       taskResultsType,
		Attributes: TaskResultAttributes{Status: status, Message: truncate(msg, MaxMessageChars), URL: resultsURL},
	}}
	if len(outcomes) > 0 {
		tr.Data.Relationships = &TaskResultRelationships{Outcomes: OutcomeList{Data: outcomes}}
	}
	return tr
}

// ruleGroup is one rule's unsuppressed findings.
type ruleGroup struct {
	rule     findings.Rule
	severity findings.Severity // the highest of the findings
	findings []findings.Finding
}

// groupByRule groups unsuppressed findings by rule, most severe rule first, then by rule id.
func groupByRule(res findings.Result) []ruleGroup {
	idx := map[string]int{}
	var groups []ruleGroup
	for _, f := range res.Findings {
		if f.Suppressed() {
			continue
		}
		i, ok := idx[f.RuleID]
		if !ok {
			rule, found := res.Rule(f.RuleID)
			if !found {
				rule = findings.Rule{ID: f.RuleID, Title: f.RuleID}
			}
			i = len(groups)
			idx[f.RuleID] = i
			groups = append(groups, ruleGroup{rule: rule})
		}
		groups[i].findings = append(groups[i].findings, f)
		groups[i].severity = max(groups[i].severity, f.Severity)
	}
	for i := range groups {
		findings.Sort(groups[i].findings)
	}
	slices.SortStableFunc(groups, func(a, b ruleGroup) int {
		if c := cmp.Compare(b.severity, a.severity); c != 0 {
			return c
		}
		return cmp.Compare(a.rule.ID, b.rule.ID)
	})
	return groups
}

// summaryMessage is the task message: verdict, counts, gate and what did not fit.
func summaryMessage(res findings.Result, rules, shown int, withOutcomes bool) string {
	s := res.Summary
	verdict := "passed"
	if !s.Passed {
		verdict = "failed"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "karpgate %s: %s, %s, %s", verdict,
		plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Notes, "note"))
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, ", %d suppressed", s.Suppressed)
	}
	if rules > 0 {
		fmt.Fprintf(&b, " from %s", plural(rules, "rule"))
	}
	if s.FailOn != "" {
		fmt.Fprintf(&b, " (fail-on %s)", s.FailOn)
	}
	b.WriteString(".")
	if res.Config != nil {
		b.WriteString(" Configuration: " + res.Config.Describe() + ".")
	}
	if withOutcomes && rules > shown {
		fmt.Fprintf(&b, " Showing the %d most severe rules of %d; run karpgate scan for all.", shown, rules)
	}
	for _, n := range res.Notices {
		b.WriteString(" " + n)
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// ruleOutcome renders one rule's findings as an outcome with Status and Severity tags.
func ruleOutcome(g ruleGroup, gate findings.Gate) Outcome {
	failing := 0
	for _, f := range g.findings {
		if gate.Fails(f) {
			failing++
		}
	}
	status := Tag{Label: "Passed", Level: "none"}
	switch {
	case failing > 0:
		status = Tag{Label: "Failed", Level: "error"}
	case g.severity >= findings.Warning:
		status = Tag{Label: "Warning", Level: "warning"}
	case g.severity == findings.Note:
		status = Tag{Label: "Info", Level: "info"}
	}
	title := g.rule.Title
	if title == "" {
		title = g.rule.ID
	}
	desc := fmt.Sprintf("%s: %s (%s)", g.rule.ID, title, plural(len(g.findings), "finding"))
	return Outcome{
		Type: taskOutcomesType,
		Attributes: OutcomeAttributes{
			OutcomeID:   truncate(g.rule.ID, MaxOutcomeIDChars),
			Description: truncate(desc, MaxDescriptionChars),
			Body:        outcomeBody(g, title),
			URL:         httpsURL(g.rule.HelpURI()),
			Tags: map[string][]Tag{
				"Status":   {status},
				"Severity": {severityTag(g.severity)},
			},
		},
	}
}

func severityTag(s findings.Severity) Tag {
	switch s {
	case findings.Error:
		return Tag{Label: "Error", Level: "error"}
	case findings.Warning:
		return Tag{Label: "Warning", Level: "warning"}
	case findings.Note:
		return Tag{Label: "Note", Level: "info"}
	}
	return Tag{Label: "None", Level: "none"}
}

// outcomeBody is the markdown body: the rule, each finding with its fix, then the remediation. It
// stops adding findings before MaxOutcomeBodyChars and says how many it left out.
func outcomeBody(g ruleGroup, title string) string {
	var head, tail strings.Builder
	// Findings come from plans and user rules' metadata from their policies: escaped so that
	// nothing in them adds links, images or HTML to the body HCP Terraform renders. The embedded
	// rules' metadata is karpgate's own Markdown.
	desc, fix := g.rule.Description, g.rule.Remediation
	if g.rule.Custom {
		desc, fix = escape.MarkdownLines(desc), escape.MarkdownLines(fix)
	}
	fmt.Fprintf(&head, "### %s %s\n\n", escape.Markdown(g.rule.ID), escape.Markdown(title))
	if desc != "" {
		head.WriteString(desc + "\n\n")
	}
	if fix != "" {
		fmt.Fprintf(&tail, "\n**How to fix:** %s\n", fix)
	}
	if u := httpsURL(g.rule.HelpURI()); u != "" {
		fmt.Fprintf(&tail, "\nMore: %s\n", u)
	}
	const moreReserve = 64 // room for the "N more findings" line
	budget := MaxOutcomeBodyChars - utf8.RuneCountInString(head.String()) - utf8.RuneCountInString(tail.String()) - moreReserve
	var items strings.Builder
	used, shown := 0, 0
	for _, f := range g.findings {
		item := findingMarkdown(f)
		n := utf8.RuneCountInString(item)
		if used+n > budget {
			break
		}
		items.WriteString(item)
		used += n
		shown++
	}
	if left := len(g.findings) - shown; left > 0 {
		fmt.Fprintf(&items, "\n… and %s more; run `karpgate scan` for the full list.\n", plural(left, "finding"))
	}
	return truncate(head.String()+items.String()+tail.String(), MaxOutcomeBodyChars)
}

// findingMarkdown is one list item: address, role, message, location and fix.
func findingMarkdown(f findings.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- **%s** `%s`", f.Severity, mdCode(f.Address))
	if f.Role != "" {
		fmt.Fprintf(&b, " (role `%s`)", mdCode(f.Role))
	}
	fmt.Fprintf(&b, ": %s", escape.Markdown(f.Message))
	if f.Location != nil && f.Location.File != "" {
		fmt.Fprintf(&b, " (`%s:%d`)", mdCode(f.Location.File), f.Location.StartLine)
	}
	b.WriteString("\n")
	if f.Fix != "" {
		fence := "```"
		for strings.Contains(f.Fix, fence) && len(fence) < 10 {
			fence += "`"
		}
		fmt.Fprintf(&b, "\n  Fix:\n\n  %s\n  %s\n  %s\n\n", fence, strings.ReplaceAll(strings.TrimSpace(f.Fix), "\n", "\n  "), fence)
	}
	return b.String()
}

// mdCode keeps text inside a code span.
func mdCode(s string) string { return escape.Code(s) }

// httpsURL returns u when it is an absolute https URL short enough for a task result, else "".
func httpsURL(u string) string {
	if u == "" || len(u) > MaxURLChars {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host == "" {
		return ""
	}
	return u
}

// truncate cuts s to at most n characters, ending with "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// expandResultsURL fills the results URL template for one request; "" when unset or too long.
func expandResultsURL(tmpl string, r Request) string {
	if tmpl == "" {
		return ""
	}
	u := strings.NewReplacer(
		"{run_id}", url.PathEscape(r.RunID),
		"{task_result_id}", url.PathEscape(r.TaskResultID),
		"{workspace}", url.PathEscape(r.WorkspaceName),
		"{organization}", url.PathEscape(r.OrganizationName),
	).Replace(tmpl)
	if len(u) > MaxURLChars {
		return ""
	}
	return u
}
