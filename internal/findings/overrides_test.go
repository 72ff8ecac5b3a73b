package findings

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchAddress(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		address string
		want    bool
	}{
		{"a pattern without a star must equal the address", "aws_iam_role.controller", "aws_iam_role.controller", true},
		{"a pattern without a star does not match a longer address", "aws_iam_role.controller", "aws_iam_role.controller[0]", false},
		{"a star alone matches any address", "*", `module.a.aws_iam_role.x["k"]`, true},
		{"a star alone matches the empty address", "*", "", true},
		{"the empty pattern matches only the empty address", "", "", true},
		{"the empty pattern does not match an address", "", "aws_iam_role.x", false},
		{"a trailing star crosses dots into child modules", "module.karpenter.*", "module.karpenter.module.iam.aws_iam_role.controller[0]", true},
		{"a trailing star after a dot needs something after the module", "module.karpenter.*", "module.karpenter", false},
		{"a star without a dot also matches a sibling module with a longer name", "module.karpenter*", "module.karpenter_v2.aws_iam_role.x", true},
		{"a star crosses brackets and quotes", "aws_iam_role.x*", `aws_iam_role.x["a.b"]`, true},
		{"a star inside brackets matches any index", "aws_iam_role.x[*]", "aws_iam_role.x[12]", true},
		{"brackets are literal, not a character class", "aws_iam_role.x[0]", "aws_iam_role.x0", false},
		{"a leading star matches any module path", "*.aws_iam_role.controller", "module.a.module.b.aws_iam_role.controller", true},
		{"a leading star still needs the rest to match at the end", "*.aws_iam_role.controller", "module.a.aws_iam_role.controller[0]", false},
		{"stars in the middle match runs independently", "module.*.aws_iam_role.*[0]", "module.k.aws_iam_role.node[0]", true},
		{"consecutive stars act as one", "module.**.x", "module.a.b.x", true},
		{"a question mark is literal", "aws_iam_role.?", "aws_iam_role.x", false},
		{"matching is case-sensitive", "Module.karpenter.*", "module.karpenter.x", false},
		{"backtracking finds a later match", "*ab*ab", "aabxabab", true},
		{"backtracking gives up when there is none", "*ab*abc", "aabxabab", false},
		{"a long pathological pattern finishes quickly", "*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchAddress(tt.pattern, tt.address); got != tt.want {
				t.Errorf("MatchAddress(%q, %q) = %v, want %v", tt.pattern, tt.address, got, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

const today = "2026-03-10"

func catalog() []Rule {
	return []Rule{
		{ID: "KARP014", Title: "fourteen", Severity: Warning, Enabled: true},
		{ID: "KARP001", Title: "one", Severity: Error, SecuritySeverity: "9.0", Enabled: true},
		{ID: "KARP004", Title: "four", Severity: Note, Enabled: true},
		{ID: "KARP099", Title: "off by default", Severity: Note, Enabled: false},
	}
}

func finding(rule string, sev Severity, address string) Finding {
	return Finding{RuleID: rule, Severity: sev, Plan: "plan.json", Address: address, Message: rule + " on " + address}
}

func TestApply(t *testing.T) {
	ctrl := "module.karpenter.aws_iam_role.controller[0]"
	node := "aws_iam_role.node"
	base := []Finding{
		finding("KARP014", Warning, ctrl),
		finding("KARP001", Error, ctrl),
		finding("KARP004", Note, node),
		finding("KARP001", Error, node),
	}
	enabledRules := func(change func(rs []Rule) []Rule) []Rule {
		rs := []Rule{
			{ID: "KARP001", Title: "one", Severity: Error, SecuritySeverity: "9.0", Enabled: true},
			{ID: "KARP004", Title: "four", Severity: Note, Enabled: true},
			{ID: "KARP014", Title: "fourteen", Severity: Warning, Enabled: true},
		}
		if change != nil {
			rs = change(rs)
		}
		return rs
	}
	suppressed := func(f Finding, reason, expires string) Finding {
		f.Suppression = &Suppression{Kind: "exception", Reason: reason, Expires: expires}
		return f
	}
	withSeverity := func(f Finding, s Severity) Finding {
		f.Severity = s
		return f
	}

	tests := []struct {
		name        string
		overrides   Overrides
		noCatalog   bool
		in          []Finding
		today       string
		wantRules   []Rule
		wantFinds   []Finding
		wantNotices []string
	}{
		{
			name:      "no overrides keeps the enabled rules and sorts everything",
			in:        base,
			wantRules: enabledRules(nil),
			wantFinds: []Finding{base[3], base[1], base[2], base[0]},
		},
		{
			name:      "a disabled rule leaves the catalog and its findings are dropped",
			overrides: Overrides{Rules: map[string]RuleOverride{"KARP001": {Enabled: ptr(false)}}},
			in:        base,
			wantRules: enabledRules(func(rs []Rule) []Rule { return rs[1:] }),
			wantFinds: []Finding{base[2], base[0]},
		},
		{
			name:      "a rule disabled in the catalog can be enabled",
			overrides: Overrides{Rules: map[string]RuleOverride{"KARP099": {Enabled: ptr(true)}}},
			in:        append([]Finding{finding("KARP099", Note, node)}, base...),
			wantRules: enabledRules(func(rs []Rule) []Rule {
				return append(rs, Rule{ID: "KARP099", Title: "off by default", Severity: Note, Enabled: true})
			}),
			wantFinds: []Finding{base[3], base[1], base[2], base[0], finding("KARP099", Note, node)},
		},
		{
			name:      "findings of a rule disabled in the catalog are dropped",
			in:        []Finding{finding("KARP099", Note, node)},
			wantRules: enabledRules(nil),
			wantFinds: []Finding{},
		},
		{
			name:      "a severity override changes the rule, clears its own score, and changes its findings",
			overrides: Overrides{Rules: map[string]RuleOverride{"KARP001": {Severity: ptr(Warning)}, "KARP004": {Severity: ptr(Error)}}},
			in:        base,
			wantRules: enabledRules(func(rs []Rule) []Rule {
				rs[0].Severity, rs[0].SecuritySeverity = Warning, ""
				rs[1].Severity = Error
				return rs
			}),
			wantFinds: []Finding{withSeverity(base[3], Warning), withSeverity(base[1], Warning), withSeverity(base[2], Error), base[0]},
		},
		{
			name:      "a severity override equal to the rule's keeps its own score",
			overrides: Overrides{Rules: map[string]RuleOverride{"KARP001": {Severity: ptr(Error)}}},
			in:        base,
			wantRules: enabledRules(nil),
			wantFinds: []Finding{base[3], base[1], base[2], base[0]},
		},
		{
			name: "an exception suppresses the matching findings only",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP001", Address: "module.karpenter.*", Reason: "OPS-1234", Expires: "2027-01-31"},
			}},
			in:        base,
			wantRules: enabledRules(nil),
			wantFinds: []Finding{base[3], suppressed(base[1], "OPS-1234", "2027-01-31"), base[2], base[0]},
		},
		{
			name: "an exception that expires today still applies",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP001", Address: "module.karpenter.*", Reason: "OPS-1234", Expires: today},
			}},
			in:        base,
			wantRules: enabledRules(nil),
			wantFinds: []Finding{base[3], suppressed(base[1], "OPS-1234", today), base[2], base[0]},
		},
		{
			name: "an exception that expired yesterday no longer applies and says so",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP001", Address: "module.karpenter.*", Reason: "OPS-1234", Expires: "2026-03-09"},
			}},
			in:          base,
			wantRules:   enabledRules(nil),
			wantFinds:   []Finding{base[3], base[1], base[2], base[0]},
			wantNotices: []string{"exception for KARP001 on module.karpenter.* expired on 2026-03-09; the finding counts again"},
		},
		{
			name: "an expired exception that matches several findings counts them",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP001", Address: "*", Reason: "OPS-1234", Expires: "2026-01-31"},
			}},
			in:          base,
			wantRules:   enabledRules(nil),
			wantFinds:   []Finding{base[3], base[1], base[2], base[0]},
			wantNotices: []string{"exception for KARP001 on * expired on 2026-01-31; its 2 findings count again"},
		},
		{
			name: "an expired exception that matches nothing asks to be removed",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP014", Address: "aws_iam_role.gone", Reason: "OPS-1", Expires: "2026-01-31"},
			}},
			in:          base,
			wantRules:   enabledRules(nil),
			wantFinds:   []Finding{base[3], base[1], base[2], base[0]},
			wantNotices: []string{"exception for KARP014 on aws_iam_role.gone expired on 2026-01-31 and matches no finding; remove it from the config"},
		},
		{
			name: "the first unexpired exception that matches gives the reason",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP001", Address: "aws_iam_role.*", Reason: "old", Expires: "2026-01-01"},
				{Rule: "KARP001", Address: "aws_iam_role.*", Reason: "first", Expires: "2026-06-01"},
				{Rule: "KARP001", Address: "*", Reason: "second", Expires: "2026-12-01"},
			}},
			in:        base,
			wantRules: enabledRules(nil),
			wantFinds: []Finding{suppressed(base[3], "first", "2026-06-01"), suppressed(base[1], "second", "2026-12-01"), base[2], base[0]},
			wantNotices: []string{
				"exception for KARP001 on aws_iam_role.* expired on 2026-01-01 and matches no finding; remove it from the config",
			},
		},
		{
			name: "an exception for another rule does not apply",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP004", Address: ctrl, Reason: "r", Expires: "2027-01-01"},
			}},
			in:        base,
			wantRules: enabledRules(nil),
			wantFinds: []Finding{base[3], base[1], base[2], base[0]},
		},
		{
			name: "a finding already suppressed keeps its suppression",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP004", Address: "*", Reason: "config", Expires: "2027-01-01"},
			}},
			in: []Finding{func() Finding {
				f := finding("KARP004", Note, node)
				f.Suppression = &Suppression{Kind: "exception", Reason: "rego"}
				return f
			}()},
			wantRules: enabledRules(nil),
			wantFinds: []Finding{func() Finding {
				f := finding("KARP004", Note, node)
				f.Suppression = &Suppression{Kind: "exception", Reason: "rego"}
				return f
			}()},
		},
		{
			name: "overrides and exceptions naming no known rule say so",
			overrides: Overrides{
				Rules:      map[string]RuleOverride{"KARP404": {Enabled: ptr(false)}, "KARP400": {Severity: ptr(Note)}},
				Exceptions: []Exception{{Rule: "KARP405", Address: "*", Reason: "r", Expires: "2020-01-01"}},
			},
			in:        base,
			wantRules: enabledRules(nil),
			wantFinds: []Finding{base[3], base[1], base[2], base[0]},
			wantNotices: []string{
				"rules.KARP400 names no known rule; the override has no effect",
				"rules.KARP404 names no known rule; the override has no effect",
				"exception for KARP405 on * names no known rule; it has no effect",
			},
		},
		{
			name: "an exception for a disabled rule matches no finding once it expires",
			overrides: Overrides{
				Rules:      map[string]RuleOverride{"KARP001": {Enabled: ptr(false)}},
				Exceptions: []Exception{{Rule: "KARP001", Address: "*", Reason: "r", Expires: "2026-01-01"}},
			},
			in:          base,
			wantRules:   enabledRules(func(rs []Rule) []Rule { return rs[1:] }),
			wantFinds:   []Finding{base[2], base[0]},
			wantNotices: []string{"exception for KARP001 on * expired on 2026-01-01 and matches no finding; remove it from the config"},
		},
		{
			name: "an exception with a malformed expiry does not apply",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP001", Address: "*", Reason: "r", Expires: "2027-1-31"},
			}},
			in:          base,
			wantRules:   enabledRules(nil),
			wantFinds:   []Finding{base[3], base[1], base[2], base[0]},
			wantNotices: []string{`exception for KARP001 on * expires on "2027-1-31", which is not a YYYY-MM-DD date; it does not apply`},
		},
		{
			name: "a malformed today applies no exception",
			overrides: Overrides{Exceptions: []Exception{
				{Rule: "KARP001", Address: "*", Reason: "r", Expires: "2027-01-31"},
			}},
			in:          base,
			today:       "March 10",
			wantRules:   enabledRules(nil),
			wantFinds:   []Finding{base[3], base[1], base[2], base[0]},
			wantNotices: []string{`today "March 10" is not a YYYY-MM-DD date; no exception was applied`},
		},
		{
			name:      "no findings and no catalog give empty results",
			noCatalog: true,
			wantRules: []Rule{},
			wantFinds: []Finding{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			day := tt.today
			if day == "" {
				day = today
			}
			rules := catalog()
			if tt.noCatalog {
				rules = nil
			}
			in := append([]Finding(nil), tt.in...)
			gotRules, gotFinds, gotNotices := tt.overrides.Apply(rules, in, day)
			if diff := cmp.Diff(tt.wantRules, gotRules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFinds, gotFinds); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotices, gotNotices); diff != "" {
				t.Errorf("notices (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(catalog(), rules); rules != nil && diff != "" {
				t.Errorf("Apply changed its rules argument (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(tt.in, in); diff != "" {
				t.Errorf("Apply changed its findings argument (-before +after):\n%s", diff)
			}
		})
	}
}

func TestApplyFeedsTheGate(t *testing.T) {
	// The end of the chain: a severity downgrade and an exception together make a failing scan pass.
	fs := []Finding{finding("KARP001", Error, "aws_iam_role.a"), finding("KARP014", Error, "aws_iam_role.b")}
	o := Overrides{
		Rules:      map[string]RuleOverride{"KARP014": {Severity: ptr(Warning)}},
		Exceptions: []Exception{{Rule: "KARP001", Address: "aws_iam_role.*", Reason: "OPS-1", Expires: today}},
	}
	g := Gate{FailOn: Error}
	if g.Summarize(fs).Passed {
		t.Fatal("the findings should fail the gate before overrides")
	}
	_, got, _ := o.Apply(catalog(), fs, today)
	want := Summary{Warnings: 1, Suppressed: 1, Passed: true, FailOn: "error", Unknown: "warn", Gate: g}
	if diff := cmp.Diff(want, g.Summarize(got)); diff != "" {
		t.Errorf("Summarize after Apply (-want +got):\n%s", diff)
	}
}
