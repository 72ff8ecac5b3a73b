package cli

import (
	"strings"
	"testing"
)

// TestBooleanFlagsArePlain: no help text shows pflag's "[=true|false]", and a boolean flag works
// bare and as --flag=false.
func TestBooleanFlagsArePlain(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"scan", "--help"}, {"rules", "--help"}, {"test", "--help"}, {"serve", "--help"}, {"bundle", "build", "--help"}, {"bundle", "inspect", "--help"}, {"facts", "--help"}} {
		_, out, _ := run(t, "", args...)
		if strings.Contains(out, "[=true|false]") || !strings.Contains(out, "--help") {
			t.Errorf("karpgate %s:\n%s", strings.Join(args, " "), out)
		}
	}
	if code, out, _ := run(t, "", "rules", "--json", "KARP001"); code != 0 || !strings.HasPrefix(out, "{") {
		t.Errorf("--json: exit %d: %.80s", code, out)
	}
	if code, out, _ := run(t, "", "rules", "--json=false", "KARP001"); code != 0 || !strings.HasPrefix(out, "KARP001:") {
		t.Errorf("--json=false: exit %d: %.80s", code, out)
	}
}

// TestRulesExplainKeepsCodeIndented: `karpgate rules KARP001` prints the fix's HCL with its
// indentation, as the rule's METADATA holds it.
func TestRulesExplainKeepsCodeIndented(t *testing.T) {
	_, out, _ := run(t, "", "rules", "KARP001")
	for _, want := range []string{"\n  statement {\n    sid       = \"AllowScopedResourceTagging\"\n", "\n    condition {\n      test     = \"StringEquals\"\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, " \n") {
		t.Error("a line ends in a space")
	}
}
