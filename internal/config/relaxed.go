package config

import (
	"fmt"
	"slices"

	"github.com/karpgate/karpgate/internal/findings"
)

// Relaxations lists what the configuration changes from the built-in defaults that can let a
// finding pass or vanish: rules disabled, severities lowered below a rule's own, fail_on and
// unknown changed, and the exceptions in force on today (YYYY-MM-DD). rules is the catalog
// before overrides. The order is fixed: rules by id, gate, exceptions in file order.
func (c *Config) Relaxations(rules []findings.Rule, today string) []string {
	if c == nil {
		return nil
	}
	own := map[string]findings.Severity{}
	for _, r := range rules {
		own[r.ID] = r.Severity
	}
	var out []string
	ids := make([]string, 0, len(c.Rules))
	for id := range c.Rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ov := c.Rules[id]
		if ov.Enabled != nil && !*ov.Enabled {
			out = append(out, "rule "+id+" disabled")
			continue
		}
		if ov.Severity != nil {
			if sev, ok := own[id]; ok && *ov.Severity < sev {
				out = append(out, fmt.Sprintf("rule %s severity lowered from %s to %s", id, sev, *ov.Severity))
			}
		}
	}
	def := Default()
	// Worded without "fail": a passing text report never holds the word (docs/atlantis.md).
	if c.FailOn != def.FailOn {
		out = append(out, fmt.Sprintf("gate threshold changed from %s to %s", failOnName(def.FailOn), failOnName(c.FailOn)))
	}
	if c.UnknownFail != def.UnknownFail {
		out = append(out, "indeterminate verdicts (unknown) now block the gate")
	}
	for _, e := range c.Exceptions {
		if e.Expires != "" && today != "" && e.Expires < today {
			continue // expired: no longer in force (the scan says so in a notice)
		}
		s := fmt.Sprintf("exception for %s on %s", e.Rule, e.Address)
		if e.Expires != "" {
			s += " until " + e.Expires
		}
		out = append(out, s)
	}
	return out
}

func failOnName(s findings.Severity) string {
	if s == findings.None {
		return "never"
	}
	return s.String()
}
