package findings

import (
	"encoding/json"
	"testing"
)

// TestSummaryCarriesItsGateThroughJSON: a summary read back from its JSON (a supervised scan's
// result crosses a process boundary so) has the gate that decided it, and that gate decides each
// finding as the original did.
func TestSummaryCarriesItsGateThroughJSON(t *testing.T) {
	fs := []Finding{
		{RuleID: "KARP010", Severity: Error, Address: "a"},
		{RuleID: "KARP030", Severity: Warning, Address: "b"},
		{RuleID: IndeterminateRule, Severity: Warning, Address: "c"},
	}
	for _, g := range []Gate{{FailOn: Error}, {FailOn: Warning, UnknownFail: true}, {FailOn: None}, {FailOn: Note}} {
		s := g.Summarize(fs)
		if s.Gate != g {
			t.Fatalf("Summarize kept gate %+v, want %+v", s.Gate, g)
		}
		if s.ExitCode != 0 {
			t.Errorf("Summarize set exit code %d: exit codes are the program's", s.ExitCode)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Summary
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back != s {
			t.Errorf("round trip of %s: %+v, want %+v", b, back, s)
		}
		for _, f := range fs {
			if back.Gate.Fails(f) != g.Fails(f) {
				t.Errorf("gate %+v: the decoded gate decides %s differently", g, f.RuleID)
			}
		}
	}
}
