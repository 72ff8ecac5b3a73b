package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/findings"
)

// JUnit renders one test case per rule and role (and per plan), for CI dashboards. A case with
// unsuppressed findings that fail the gate is a failure; one with only warnings or notes passes
// with its findings in system-out.
type JUnit struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr,omitempty"` // left out at 0: a passing report never says "fail"
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr,omitempty"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// Write implements Writer.
func (JUnit) Write(w io.Writer, r findings.Result) error {
	g := findings.Gate{FailOn: mustSeverity(r.Summary.FailOn), UnknownFail: r.Summary.Unknown == "fail"}
	doc := junitSuites{Name: "karpgate"}
	plans := slices.Clone(r.Plans)
	for _, p := range plans {
		suite := junitSuite{Name: p}
		byCase := map[[2]string][]findings.Finding{}
		targets := map[string]bool{}
		for _, f := range r.Findings {
			if f.Plan != p {
				continue
			}
			t := f.Role
			if t == "" {
				t = f.Address
			}
			targets[t] = true
			byCase[[2]string{f.RuleID, t}] = append(byCase[[2]string{f.RuleID, t}], f)
		}
		if len(targets) == 0 {
			targets["(plan)"] = true
		}
		ts := make([]string, 0, len(targets))
		for t := range targets {
			ts = append(ts, t)
		}
		slices.Sort(ts)
		for _, rule := range r.Rules {
			for _, t := range ts {
				fs := byCase[[2]string{rule.ID, t}]
				c := junitCase{Name: rule.ID + " " + orDefault(t, "(plan)"), Classname: rule.ID + "." + pascal(orDefault(rule.Name, rule.ID))}
				var failing, other []string
				for _, f := range fs {
					line := fmt.Sprintf("[%s] %s", f.Severity, f.Message)
					if g.Fails(f) {
						failing = append(failing, line)
					} else {
						other = append(other, line)
					}
				}
				if len(failing) > 0 {
					c.Failure = &junitFailure{Message: firstLine(failing[0]), Type: rule.ID, Body: strings.Join(failing, "\n")}
					suite.Failures++
				}
				if len(other) > 0 {
					c.SystemOut = strings.Join(other, "\n")
				}
				suite.Cases = append(suite.Cases, c)
				suite.Tests++
			}
		}
		doc.Suites = append(doc.Suites, suite)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
