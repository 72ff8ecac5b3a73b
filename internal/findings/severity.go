package findings

import (
	"fmt"
	"strings"
)

// Severity orders findings. The zero value is None, which ranks below every real severity: a gate
// that fails on None never fails.
type Severity int

// Severities in increasing order.
const (
	None Severity = iota
	Note
	Warning
	Error
)

// ParseSeverity reads "note", "warning" or "error" (any case). "never" and "none" give None.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error":
		return Error, nil
	case "warning", "warn":
		return Warning, nil
	case "note", "info":
		return Note, nil
	case "never", "none":
		return None, nil
	}
	return None, fmt.Errorf("unknown severity %q (want error, warning, note or never)", s)
}

// String returns the lower-case name used in every output format.
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	case Note:
		return "note"
	}
	return "none"
}

// MarshalText makes severities render as their names in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
