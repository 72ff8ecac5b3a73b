package findings

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// dateLayout is the only date form exceptions and Apply's today accept.
const dateLayout = "2006-01-02"

// RuleOverride changes one rule: its catalog entry and every finding it produced. A nil field keeps
// the rule's own value.
type RuleOverride struct {
	Enabled  *bool
	Severity *Severity
}

// Exception suppresses the findings of one rule on the resources whose address matches a glob,
// through the day it expires.
type Exception struct {
	Rule    string // rule id, e.g. "KARP001"; compared exactly
	Address string // glob over resource addresses, see MatchAddress
	Reason  string // why the finding is accepted; copied into the Suppression
	Expires string // YYYY-MM-DD, UTC; the exception still applies on that day and stops the day after
}

// Overrides is what a configuration file changes about a scan's rules and findings. The zero value
// changes nothing.
type Overrides struct {
	Rules      map[string]RuleOverride // by rule id
	Exceptions []Exception             // the first unexpired match suppresses a finding
}

// Apply returns the catalog, the findings and the notices of a scan after the overrides:
//
//   - A rule whose Enabled is false (in the catalog or by override) is dropped from the catalog, and
//     its findings are dropped from the findings.
//   - A severity override replaces the rule's Severity and the Severity of each of its findings. A
//     rule-specific SecuritySeverity score is cleared when the severity changes, because it was
//     chosen for the old severity.
//   - A finding without a Suppression whose rule id equals an exception's Rule and whose Address
//     matches the exception's Address glob gets Suppression{Kind: "exception", Reason, Expires},
//     from the first such exception whose Expires is today or later.
//   - An exception that expired before today no longer applies, and yields a notice: "exception for
//     KARP001 on module.karpenter.* expired on 2026-01-31; the finding counts again" when it matches
//     a finding that now counts, or "... and matches no finding; remove it from the config".
//   - An override or exception naming a rule that is neither in the catalog nor on any finding
//     yields a notice, so a typo in a rule id does not go unnoticed.
//
// today is YYYY-MM-DD (see Today); if it is not a valid date no exception applies and a notice says
// so. The returned rules are sorted by id, the findings with Sort, and the notices come in a fixed
// order (rule overrides by id, then exceptions in their order). Apply copies what it changes: rules
// and fs are not modified.
func (o Overrides) Apply(rules []Rule, fs []Finding, today string) ([]Rule, []Finding, []string) {
	var notices []string

	known := make(map[string]bool, len(rules))
	disabled := make(map[string]bool)
	outRules := make([]Rule, 0, len(rules))
	for _, r := range rules {
		known[r.ID] = true
		if ov, ok := o.Rules[r.ID]; ok {
			if ov.Enabled != nil {
				r.Enabled = *ov.Enabled
			}
			if ov.Severity != nil && *ov.Severity != r.Severity {
				r.Severity = *ov.Severity
				r.SecuritySeverity = ""
			}
		}
		if !r.Enabled {
			disabled[r.ID] = true
			continue
		}
		outRules = append(outRules, r)
	}
	slices.SortStableFunc(outRules, func(a, b Rule) int { return cmp.Compare(a.ID, b.ID) })
	for id, ov := range o.Rules {
		if ov.Enabled != nil && !*ov.Enabled {
			disabled[id] = true
		}
	}

	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		known[f.RuleID] = true
		if disabled[f.RuleID] {
			continue
		}
		if ov, ok := o.Rules[f.RuleID]; ok && ov.Severity != nil {
			f.Severity = *ov.Severity
		}
		out = append(out, f)
	}

	for _, id := range slices.Sorted(maps.Keys(o.Rules)) {
		if !known[id] {
			notices = append(notices, fmt.Sprintf("rules.%s names no known rule; the override has no effect", id))
		}
	}

	// Classify each exception once: it applies, it expired, or it cannot be judged.
	const (
		inactive = iota
		active
		expired
	)
	state := make([]int, len(o.Exceptions))
	if !isDate(today) {
		if len(o.Exceptions) > 0 {
			notices = append(notices, fmt.Sprintf("today %q is not a YYYY-MM-DD date; no exception was applied", today))
		}
	} else {
		for i, ex := range o.Exceptions {
			switch {
			case !isDate(ex.Expires):
				notices = append(notices, fmt.Sprintf("exception for %s on %s expires on %q, which is not a YYYY-MM-DD date; it does not apply", ex.Rule, ex.Address, ex.Expires))
			case ex.Expires < today: // YYYY-MM-DD strings sort as dates
				state[i] = expired
			default:
				state[i] = active
			}
		}
	}

	for i := range out {
		if out[i].Suppression != nil {
			continue
		}
		for j, ex := range o.Exceptions {
			if state[j] == active && ex.matches(out[i]) {
				out[i].Suppression = &Suppression{Kind: "exception", Reason: ex.Reason, Expires: ex.Expires}
				break
			}
		}
	}

	for j, ex := range o.Exceptions {
		if !known[ex.Rule] {
			notices = append(notices, fmt.Sprintf("exception for %s on %s names no known rule; it has no effect", ex.Rule, ex.Address))
			continue
		}
		if state[j] != expired {
			continue
		}
		counted := 0
		for _, f := range out {
			if f.Suppression == nil && ex.matches(f) {
				counted++
			}
		}
		prefix := fmt.Sprintf("exception for %s on %s expired on %s", ex.Rule, ex.Address, ex.Expires)
		switch counted {
		case 0:
			notices = append(notices, prefix+" and matches no finding; remove it from the config")
		case 1:
			notices = append(notices, prefix+"; the finding counts again")
		default:
			notices = append(notices, fmt.Sprintf("%s; its %d findings count again", prefix, counted))
		}
	}

	Sort(out)
	return outRules, out, notices
}

// matches reports whether the exception names f's rule and address, ignoring expiry.
func (ex Exception) matches(f Finding) bool {
	return ex.Rule == f.RuleID && MatchAddress(ex.Address, f.Address)
}

// MatchAddress reports whether a Terraform resource address matches pattern. The only special
// character is '*', which matches any run of characters, empty included, and crosses '.', '[', ']'
// and '"': "module.karpenter.*" matches every resource inside module.karpenter and its child
// modules, and "*.aws_iam_role.controller*" matches that role at any module path and any index.
// Every other character, brackets included, matches itself, case-sensitively. A pattern without '*'
// must equal the address; the empty pattern matches only the empty address. Note that
// "module.karpenter*" also matches "module.karpenter_v2.x": end a module prefix with ".*".
//
// Matching takes time proportional to len(pattern)*len(address) at worst, never exponential.
func MatchAddress(pattern, address string) bool {
	p, a := 0, 0
	star, resume := -1, 0 // the last '*' seen, and where in address it would match next
	for a < len(address) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, resume = p, a
			p++
		case p < len(pattern) && pattern[p] == address[a]:
			p++
			a++
		case star >= 0:
			resume++
			p, a = star+1, resume
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// isDate reports whether s is a valid YYYY-MM-DD date.
func isDate(s string) bool {
	if len(s) != len(dateLayout) {
		return false
	}
	_, err := time.Parse(dateLayout, s)
	return err == nil
}
