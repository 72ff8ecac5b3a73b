package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/karpgate/karpgate/internal/findings"
)

// GitHub renders GitHub Actions workflow commands (::error file=...,line=...,title=...::message),
// one per unsuppressed finding, so findings appear as annotations on the pull request.
type GitHub struct{}

// Write implements Writer.
func (GitHub) Write(w io.Writer, r findings.Result) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Findings {
		if f.Suppressed() {
			continue
		}
		level := "notice"
		switch f.Severity {
		case findings.Error:
			level = "error"
		case findings.Warning:
			level = "warning"
		}
		file, line := uriOf(f.Plan), 1
		if f.Location != nil && f.Location.File != "" {
			file, line = f.Location.File, max(1, f.Location.StartLine)
		}
		title := f.RuleID
		if rule, ok := r.Rule(f.RuleID); ok {
			title += " " + rule.Title
		}
		msg := f.Message
		if f.Address != "" && !strings.Contains(msg, f.Address) {
			msg = f.Address + ": " + msg
		}
		fmt.Fprintf(bw, "::%s file=%s,line=%d,title=%s::%s\n", level, escapeProperty(file), line, escapeProperty(title), escapeData(msg))
	}
	return bw.Flush()
}

// escapeData and escapeProperty follow the toolkit's command encoding.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
