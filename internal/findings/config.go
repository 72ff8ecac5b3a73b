package findings

import "strings"

// ConfigApplied tells every report which configuration a scan ran with and what it relaxed, so a
// change to .karpgate.yaml that turns the gate off cannot go unseen.
type ConfigApplied struct {
	File    string   `json:"file"`    // the configuration file; "" for the built-in defaults
	Pinned  bool     `json:"pinned"`  // chosen on the command line, not found in the working directory
	Relaxed []string `json:"relaxed"` // rules disabled, severities lowered, fail_on/unknown changed, exceptions in force
}

// Describe is one line for people: which configuration, how it was chosen, what it relaxed.
func (c ConfigApplied) Describe() string {
	var b strings.Builder
	switch {
	case c.File == "" && c.Pinned:
		b.WriteString("built-in defaults (chosen on the command line)")
	case c.File == "":
		b.WriteString("built-in defaults (no .karpgate.yaml found)")
	case c.Pinned:
		b.WriteString(c.File + " (chosen on the command line)")
	default:
		b.WriteString(c.File + " (found in the working directory)")
	}
	if len(c.Relaxed) == 0 {
		b.WriteString("; relaxes nothing")
	} else {
		b.WriteString("; relaxes: " + strings.Join(c.Relaxed, "; "))
	}
	return b.String()
}
