package findings

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// Rule is one entry of the rule catalog, read from a rule's # METADATA block (never from Go
// literals). Embedded rules have ids KARPnnn; user rules keep their own ids.
type Rule struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`    // the rule package's last segment, e.g. "wildcard_action"
	Package          string   `json:"package"` // e.g. "data.karpgate.rules.wildcard_action"
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Severity         Severity `json:"severity"`
	SecuritySeverity string   `json:"security_severity,omitempty"` // overrides Severity.SecuritySeverity
	Remediation      string   `json:"remediation"`
	Related          []string `json:"related_resources,omitempty"`
	Tags             []string `json:"tags,omitempty"`
	Enabled          bool     `json:"enabled"`
	Custom           bool     `json:"custom"` // true for user rules (policies, bundles, conftest namespaces)
}

// HelpURI is the first related resource, or "".
func (r Rule) HelpURI() string {
	if len(r.Related) == 0 {
		return ""
	}
	return r.Related[0]
}

// StatementRef points at one statement of one policy.
type StatementRef struct {
	Policy    string `json:"policy"`              // address of the resource that holds the policy text
	Attribute string `json:"attribute,omitempty"` // e.g. "policy", "assume_role_policy"
	Sid       string `json:"sid,omitempty"`
	Index     int    `json:"index"`
}

// Suppression records why a finding does not count against the gate.
type Suppression struct {
	Kind    string `json:"kind"` // "exception" or "disabled"
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD
}

// Finding is one result of one rule about one resource.
type Finding struct {
	RuleID    string        `json:"rule_id"`
	Severity  Severity      `json:"severity"`
	Plan      string        `json:"plan"`    // the plan file the finding came from ("-" for stdin)
	Address   string        `json:"address"` // the resource to change
	Role      string        `json:"role,omitempty"`
	Message   string        `json:"message"`
	Statement *StatementRef `json:"statement,omitempty"`
	Fix       string        `json:"fix,omitempty"`  // a statement or change that fixes it, when the rule knows one
	Edit      *Edit         `json:"edit,omitempty"` // the module-argument change the fix describes, when it is one
	// FixForm names how Fix is written when it was chosen for the way the policy is written in
	// the sources: "policy_document", "jsonencode" or "json" (FixForms); "" otherwise.
	FixForm string `json:"fix_form,omitempty"`
	// FixForms is the fix for each way the policy can be written, from a rule that knows it; the
	// scan picks the one that matches the policy (UseForm) and the report writers leave it out.
	FixForms    map[string]string `json:"fix_forms,omitempty"`
	Related     []string          `json:"related,omitempty"`
	Location    *Location         `json:"location,omitempty"`
	Suppression *Suppression      `json:"suppression,omitempty"`
}

// Edit is a fix that changes a module call: what the patch output (internal/patch) writes into
// the module block of the .tf sources.
type Edit struct {
	Module    string         `json:"module"`              // the module call's address, keys dropped: module.karpenter
	Arguments map[string]any `json:"arguments,omitempty"` // argument name -> literal value (bool, number, string)
	Version   string         `json:"version,omitempty"`   // a version constraint to set, for a registry module
	Entries   []EntryEdit    `json:"entries,omitempty"`   // changes to entries of list arguments
}

// EntryEdit changes one entry of a list-of-objects argument of a module call (terraform-aws-eks
// modules/karpenter's iam_policy_statements): the entry whose sid is Sid gets the attributes of
// Set, or Append is added as a new entry.
type EntryEdit struct {
	Argument string         `json:"argument"`
	Sid      string         `json:"sid,omitempty"`
	Set      map[string]any `json:"set,omitempty"`    // attribute -> value (strings, lists, objects)
	Append   map[string]any `json:"append,omitempty"` // a whole entry
}

// Policy forms: how a policy is written in the Terraform sources (Finding.FixForm).
const (
	FormPolicyDocument = "policy_document" // data "aws_iam_policy_document" statement blocks
	FormJSONEncode     = "jsonencode"      // jsonencode({...}) in HCL object syntax
	FormJSON           = "json"            // JSON text: a heredoc, a string, a file
)

// UseForm makes the fix the one written for form, when the rule gave one; it reports whether it
// did.
func (f *Finding) UseForm(form string) bool {
	text, ok := f.FixForms[form]
	if !ok || form == "" {
		return false
	}
	f.Fix, f.FixForm = text, form
	return true
}

// PolicyText is where the policy text a finding's fix goes into is set: the statement's policy
// and attribute when the finding names a statement, else its address and "policy".
func (f Finding) PolicyText() (addr, attr string) {
	addr, attr = f.Address, "policy"
	if f.Statement != nil && f.Statement.Policy != "" {
		addr = f.Statement.Policy
		if f.Statement.Attribute != "" {
			attr = f.Statement.Attribute
		}
	}
	return addr, attr
}

// Location is where a finding points in the Terraform sources (or the plan file as a fallback).
type Location struct {
	File      string `json:"file"` // slash-separated, relative to the repository root
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line,omitempty"`
	Note      string `json:"note,omitempty"` // why the location is a fallback, when it is
}

// Suppressed reports whether the finding is exempt from the gate.
func (f Finding) Suppressed() bool { return f.Suppression != nil }

// Key identifies a finding independently of its message and location: rule, plan, address and
// statement. Fingerprints and de-duplication use it.
func (f Finding) Key() string {
	k := f.RuleID + "|" + f.Plan + "|" + f.Address + "|" + f.Role
	if f.Statement != nil {
		k += "|" + f.Statement.Policy + "|" + f.Statement.Sid
		if f.Statement.Sid == "" {
			k += "#" + strconv.Itoa(f.Statement.Index)
		}
	}
	return k
}

// Compare orders findings by rule id, plan, address, statement and message, so every writer is
// deterministic.
func Compare(a, b Finding) int {
	if c := cmp.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Plan, b.Plan); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Address, b.Address); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Role, b.Role); c != 0 {
		return c
	}
	as, bs := a.Statement, b.Statement
	switch {
	case as == nil && bs != nil:
		return -1
	case as != nil && bs == nil:
		return 1
	case as != nil && bs != nil:
		if c := cmp.Compare(as.Policy, bs.Policy); c != 0 {
			return c
		}
		if c := cmp.Compare(as.Index, bs.Index); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.Message, b.Message)
}

// Sort sorts findings in place with Compare.
func Sort(fs []Finding) { slices.SortStableFunc(fs, Compare) }

// Result is everything one scan produced, across every plan of the invocation.
type Result struct {
	Tool     Tool      `json:"tool"`
	Plans    []string  `json:"plans"`
	Rules    []Rule    `json:"rules"` // the catalog of enabled rules, sorted by id
	Findings []Finding `json:"findings"`
	Summary  Summary   `json:"summary"`
	Notices  []string  `json:"notices,omitempty"` // warnings about the run itself (expired exceptions, truncation)
	// Config is the configuration the scan ran with and what it relaxed (nil when unknown, e.g. a
	// result built by hand).
	Config  *ConfigApplied `json:"config,omitempty"`
	Checked []Checked      `json:"checked,omitempty"` // the Karpenter roles simulated, so a clean scan says what it checked
}

// Checked is one Karpenter controller role whose requests were simulated.
type Checked struct {
	Plan     string `json:"plan"`
	Role     string `json:"role"`
	Requests int    `json:"requests"` // Karpenter calls simulated against the role's effective policy
	// Version is the Karpenter version judged and where it came from ("Karpenter 1.12.0
	// (helm_release.karpenter)").
	Version string `json:"version,omitempty"`
	// Compatibility says which Karpenter versions the role supports with the plan's features
	// ("works with v0.33-v0.37; v1.0+ breaks tagging").
	Compatibility string `json:"compatibility,omitempty"`
}

// Tool identifies the karpgate build.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URI     string `json:"uri,omitempty"`
}

// Summary counts findings and carries the gate decision.
type Summary struct {
	Errors     int    `json:"errors"`
	Warnings   int    `json:"warnings"`
	Notes      int    `json:"notes"`
	Suppressed int    `json:"suppressed"`
	Passed     bool   `json:"passed"`
	FailOn     string `json:"threshold"` // the lowest severity that blocks the gate ("threshold": a passing report never says "fail")
	Unknown    string `json:"unknown"`   // "warn" or "fail"
	ExitCode   int    `json:"exit_code"` // the program's exit code, which the program sets (0 until it does)
	// Gate is the gate that decided Passed and that decides, for each finding, whether it fails the
	// run (Gate.Fails). Its JSON form is FailOn and Unknown.
	Gate Gate `json:"-"`
}

// UnmarshalJSON reads a summary with the gate that its threshold and unknown fields describe.
func (s *Summary) UnmarshalJSON(b []byte) error {
	type plain Summary
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	s.Gate = Gate{UnknownFail: s.Unknown == "fail"}
	if sev, err := ParseSeverity(s.FailOn); err == nil {
		s.Gate.FailOn = sev
	}
	return nil
}

// Rule returns the catalog entry for id.
func (r Result) Rule(id string) (Rule, bool) {
	for _, x := range r.Rules {
		if x.ID == id {
			return x, true
		}
	}
	return Rule{}, false
}

// Gate holds the pass/fail policy of a run.
type Gate struct {
	FailOn      Severity // findings at or above it fail the gate; None never fails
	UnknownFail bool     // KARP020 (indeterminate) fails the gate only when true
}

// IndeterminateRule is the id of the rule that reports verdicts left open by unknown values.
const IndeterminateRule = "KARP020"

// Fails reports whether one unsuppressed finding fails the gate.
func (g Gate) Fails(f Finding) bool {
	if f.Suppressed() {
		return false
	}
	if f.RuleID == IndeterminateRule {
		return g.UnknownFail
	}
	if g.FailOn == None {
		return false
	}
	return f.Severity >= g.FailOn
}

// Summarize counts fs and decides the gate.
func (g Gate) Summarize(fs []Finding) Summary {
	s := Summary{Passed: true, FailOn: g.FailOn.String(), Unknown: "warn", Gate: g}
	if g.FailOn == None {
		s.FailOn = "never"
	}
	if g.UnknownFail {
		s.Unknown = "fail"
	}
	for _, f := range fs {
		if f.Suppressed() {
			s.Suppressed++
			continue
		}
		switch f.Severity {
		case Error:
			s.Errors++
		case Warning:
			s.Warnings++
		case Note:
			s.Notes++
		}
		if g.Fails(f) {
			s.Passed = false
		}
	}
	return s
}

// Today is the date used for exception expiry, in UTC; tests pass a fixed clock instead.
func Today(now time.Time) string { return now.UTC().Format("2006-01-02") }
