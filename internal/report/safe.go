package report

import (
	"github.com/karpgate/karpgate/internal/escape"
	"github.com/karpgate/karpgate/internal/findings"
)

// terminalSafe returns a copy of r whose text from plans and policies cannot drive a terminal
// (escape sequences shown as \xNN); r is not modified.
func terminalSafe(r findings.Result) findings.Result {
	t := escape.Terminal
	out := r
	out.Plans = mapStrings(r.Plans, t)
	out.Notices = mapStrings(r.Notices, t)
	out.Rules = make([]findings.Rule, len(r.Rules))
	for i, rule := range r.Rules {
		rule.Title, rule.Description, rule.Remediation = t(rule.Title), t(rule.Description), t(rule.Remediation)
		out.Rules[i] = rule
	}
	out.Findings = make([]findings.Finding, len(r.Findings))
	for i, f := range r.Findings {
		f.Plan, f.Address, f.Role, f.Message, f.Fix = t(f.Plan), t(f.Address), t(f.Role), t(f.Message), t(f.Fix)
		if f.Statement != nil {
			st := *f.Statement
			st.Policy, st.Sid = t(st.Policy), t(st.Sid)
			f.Statement = &st
		}
		if f.Location != nil {
			loc := *f.Location
			loc.File, loc.Note = t(loc.File), t(loc.Note)
			f.Location = &loc
		}
		if f.Suppression != nil {
			sup := *f.Suppression
			sup.Reason = t(sup.Reason)
			f.Suppression = &sup
		}
		out.Findings[i] = f
	}
	return out
}

func mapStrings(ss []string, f func(string) string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}
