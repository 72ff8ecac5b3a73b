package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/findings"
)

// Writer renders a complete result in one output format.
type Writer interface {
	Write(w io.Writer, r findings.Result) error
}

// Options are the settings some writers need.
type Options struct {
	Color    bool   // text: ANSI colour (only on a terminal)
	Category string // sarif: runAutomationDetails.id
	RepoRoot string // sarif: informational; locations are already relative
	Hints    Hints
}

// Hints tell the reader of a report how to get more from karpgate, in the words of the program
// that runs the writer (the flags of its command line); "" leaves a hint out.
type Hints struct {
	SourceDir  string // sarif: how to give the Terraform sources
	TextReport string // markdown: how to get the whole report
}

// Formats lists the format names New accepts, for the help of a format option.
func Formats() []string {
	return []string{"text", "json", "sarif", "markdown", "junit", "github"}
}

// New returns the writer for a format name. An unknown format is an error, never a fallback.
func New(format string, opt Options) (Writer, error) {
	switch strings.ToLower(format) {
	case "text":
		return Text{Color: opt.Color}, nil
	case "json":
		return JSON{}, nil
	case "sarif":
		return SARIF{Category: opt.Category, SourceHint: opt.Hints.SourceDir}, nil
	case "markdown", "md":
		return Markdown{TextHint: opt.Hints.TextReport}, nil
	case "junit":
		return JUnit{}, nil
	case "github":
		return GitHub{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// roleGroup is the findings of one plan and role, for writers that group by role.
type roleGroup struct {
	Plan     string
	Role     string // "" for plan-level findings
	Findings []findings.Finding
}

func groupByRole(fs []findings.Finding) []roleGroup {
	idx := map[[2]string]int{}
	var out []roleGroup
	for _, f := range fs {
		role := f.Role
		if role == "" && strings.Contains(f.Address, "aws_iam_role.") {
			role = f.Address
		}
		k := [2]string{f.Plan, role}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, roleGroup{Plan: f.Plan, Role: role})
		}
		out[i].Findings = append(out[i].Findings, f)
	}
	slices.SortStableFunc(out, func(a, b roleGroup) int {
		if c := strings.Compare(a.Plan, b.Plan); c != 0 {
			return c
		}
		return strings.Compare(a.Role, b.Role)
	})
	for _, g := range out {
		slices.SortStableFunc(g.Findings, func(a, b findings.Finding) int {
			if a.Severity != b.Severity {
				return int(b.Severity) - int(a.Severity)
			}
			return findings.Compare(a, b)
		})
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// statementLabel names a statement for people: its Sid, else its position.
func statementLabel(s *findings.StatementRef) string {
	if s == nil {
		return ""
	}
	if s.Sid != "" {
		return fmt.Sprintf("statement %q", s.Sid)
	}
	return fmt.Sprintf("statement #%d", s.Index)
}
