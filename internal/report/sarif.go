package report

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/escape"
	"github.com/karpgate/karpgate/internal/findings"
)

// GitHub code scanning limits (docs: "SARIF support for code scanning"). karpgate truncates and says
// so rather than write an upload GitHub rejects.
const (
	MaxSARIFResults   = 25000
	MaxSARIFLocations = 1000
)

// SARIF renders SARIF 2.1.0 for GitHub code scanning.
type SARIF struct {
	Category   string // runAutomationDetails.id; "" omits it
	SourceHint string // how to give the Terraform sources, said where a finding has none (Hints)
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool              `json:"tool"`
	AutomationDetails *sarifAutomation       `json:"automationDetails,omitempty"`
	Invocations       []sarifInvocation      `json:"invocations"`
	Results           []sarifResult          `json:"results"`
	OriginalURIBase   map[string]sarifArtLoc `json:"originalUriBaseIds,omitempty"`
	Properties        map[string]any         `json:"properties,omitempty"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifMultiText    `json:"help"`
	HelpURI              string            `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"` // GitHub-flavoured, code in fenced blocks (gfm.go)
}

type sarifMultiText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags             []string `json:"tags,omitempty"`
	Precision        string   `json:"precision"`
	SecuritySeverity string   `json:"security-severity"`
	ProblemSeverity  string   `json:"problem.severity,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	ExitCode            int                 `json:"exitCode"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtLoc `json:"artifactLocation"`
	Region           sarifRegion `json:"region"`
}

type sarifArtLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

// FingerprintKey is karpgate's own partialFingerprints key. GitHub reads only
// primaryLocationLineHash, so karpgate writes the same line-independent hash there too (with the
// ":1" occurrence suffix GitHub's own hashes carry); upload-sarif keeps a value that is present.
const (
	FingerprintKey  = "karpgate/v1"
	GitHubPrimaryFP = "primaryLocationLineHash"
)

// Fingerprint identifies a finding across runs and unrelated edits: rule, resource, role and
// statement (Sid, else index) — never a line number or a message.
func Fingerprint(f findings.Finding) string {
	parts := []string{f.RuleID, f.Address, f.Role}
	if f.Statement != nil {
		parts = append(parts, f.Statement.Policy, f.Statement.Attribute)
		if f.Statement.Sid != "" {
			parts = append(parts, "sid:"+f.Statement.Sid)
		} else {
			parts = append(parts, fmt.Sprintf("index:%d", f.Statement.Index))
		}
	}
	if f.Address == "" && f.Role == "" && f.Statement == nil {
		parts = append(parts, f.Message)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// Write implements Writer.
func (s SARIF) Write(w io.Writer, r findings.Result) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:            orDefault(r.Tool.Name, "karpgate"),
			Version:         r.Tool.Version,
			SemanticVersion: semver(r.Tool.Version),
			InformationURI:  r.Tool.URI,
			Rules:           []sarifRule{},
		}},
		Results:    []sarifResult{},
		Properties: configSARIF(r),
	}
	if s.Category != "" {
		run.AutomationDetails = &sarifAutomation{ID: s.Category}
	}
	ruleIndex := map[string]int{}
	for _, rule := range r.Rules {
		ruleIndex[rule.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(rule))
	}
	var notes []sarifNotification
	for _, n := range r.Notices {
		notes = append(notes, sarifNotification{Level: "warning", Message: sarifText{Text: n}})
	}
	// Past GitHub's limits, keep the most severe results (GitHub itself ranks by severity) and say
	// what was left out, rather than write an upload GitHub rejects whole.
	fs := r.Findings
	if len(fs) > MaxSARIFResults {
		fs = bySeverity(fs)[:MaxSARIFResults]
		notes = append(notes, sarifNotification{Level: "warning", Message: sarifText{Text: fmt.Sprintf(
			"%d results were left out: GitHub code scanning accepts at most %d results per run", len(r.Findings)-MaxSARIFResults, MaxSARIFResults)}})
	}
	for _, f := range fs {
		idx, ok := ruleIndex[f.RuleID]
		if !ok {
			// A finding of a rule missing from the catalog would make GitHub reject the upload.
			idx = len(run.Tool.Driver.Rules)
			ruleIndex[f.RuleID] = idx
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(findings.Rule{ID: f.RuleID, Name: f.RuleID, Title: f.RuleID, Description: f.RuleID, Severity: f.Severity, Custom: true}))
		}
		run.Results = append(run.Results, s.resultOf(f, idx, trusted(r, f.RuleID)))
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	all := run.Results
	for keep := len(all); ; {
		log.Runs[0].Results = all[:keep]
		log.Runs[0].Invocations = []sarifInvocation{{ExecutionSuccessful: true, ExitCode: r.Summary.ExitCode, Notifications: notes}}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(log); err != nil {
			return err
		}
		if keep == 0 || gzipSize(buf.Bytes()) <= MaxSARIFGzipBytes {
			_, err := w.Write(buf.Bytes())
			return err
		}
		// Too large compressed: keep the most severe results that fit.
		if keep == len(all) {
			all = sortResultsBySeverity(all)
		}
		keep = keep * 3 / 4
		notes = append(notes[:len(notes):len(notes)], sarifNotification{Level: "warning", Message: sarifText{Text: fmt.Sprintf(
			"results were left out to stay under GitHub's %d-byte limit for a compressed SARIF upload; %d of %d kept", MaxSARIFGzipBytes, keep, len(all))}})
	}
}

// MaxSARIFGzipBytes is GitHub's limit on a gzip-compressed SARIF upload (10 MB).
const MaxSARIFGzipBytes = 10 << 20

func gzipSize(b []byte) int {
	var c countWriter
	zw := gzip.NewWriter(&c)
	zw.Write(b)
	zw.Close()
	return c.n
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func bySeverity(fs []findings.Finding) []findings.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b findings.Finding) int { return int(b.Severity) - int(a.Severity) })
	return out
}

func sortResultsBySeverity(rs []sarifResult) []sarifResult {
	rank := map[string]int{"error": 0, "warning": 1, "note": 2}
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b sarifResult) int { return rank[a.Level] - rank[b.Level] })
	return out
}

func sarifRuleOf(rule findings.Rule) sarifRule {
	sec := rule.SecuritySeverity
	if sec == "" {
		sec = securitySeverity(rule.Severity)
	}
	tags := append([]string{"security"}, rule.Tags...)
	tags = uniqueSorted(tags)
	// The metadata of user rules comes from their policies: escaped so it cannot add links, images
	// or HTML. The embedded rules' metadata is karpgate's own text, with code spans kept.
	title, see := escapeProse(rule.Title), rule.HelpURI()
	if rule.Custom {
		title, see = escape.Markdown(rule.Title), escape.Markdown(see)
	}
	md := fmt.Sprintf("**%s**\n\n%s\n\n**Fix:**\n\n%s", title, gfm(rule.Description, !rule.Custom), gfm(rule.Remediation, !rule.Custom))
	if see != "" {
		md += fmt.Sprintf("\n\nSee %s", see)
	}
	name := rule.Name
	if name == "" {
		name = rule.ID
	}
	return sarifRule{
		ID:                   rule.ID,
		Name:                 pascal(name),
		ShortDescription:     sarifText{Text: orDefault(rule.Title, rule.ID)},
		FullDescription:      sarifText{Text: orDefault(rule.Description, rule.Title)},
		Help:                 sarifMultiText{Text: orDefault(rule.Remediation, rule.Description), Markdown: md},
		HelpURI:              rule.HelpURI(),
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(rule.Severity)},
		Properties: sarifRuleProperty{
			Tags:             tags,
			Precision:        "very-high",
			SecuritySeverity: sec,
			ProblemSeverity:  problemSeverity(rule.Severity),
		},
	}
}

func (s SARIF) resultOf(f findings.Finding, idx int, trusted bool) sarifResult {
	loc := sarifLocation{}
	if f.Location != nil && f.Location.File != "" {
		loc.PhysicalLocation = sarifPhysical{
			ArtifactLocation: sarifArtLoc{URI: f.Location.File},
			Region:           sarifRegion{StartLine: max(1, f.Location.StartLine), EndLine: f.Location.EndLine},
		}
		if f.Location.EndLine < f.Location.StartLine {
			loc.PhysicalLocation.Region.EndLine = 0
		}
		if f.Location.Note != "" {
			loc.Message = &sarifText{Text: f.Location.Note}
		}
	} else {
		loc.PhysicalLocation = sarifPhysical{ArtifactLocation: sarifArtLoc{URI: uriOf(f.Plan)}, Region: sarifRegion{StartLine: 1}}
		text := "the plan file: no Terraform source location was found for " + orDefault(f.Address, "this finding")
		if s.SourceHint != "" {
			text += " (" + s.SourceHint + ")"
		}
		loc.Message = &sarifText{Text: text}
	}
	if f.Address != "" {
		loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Address, Kind: "resource"}}
	}
	msg, md := f.Message, gfm(f.Message, trusted)
	if f.Fix != "" {
		msg += "\n\nFix:\n" + f.Fix
		md += "\n\n**Fix:**\n\n" + gfm(f.Fix, trusted)
	}
	res := sarifResult{
		RuleID:              f.RuleID,
		RuleIndex:           idx,
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{Text: msg, Markdown: md},
		Locations:           []sarifLocation{loc},
		PartialFingerprints: map[string]string{FingerprintKey: Fingerprint(f), GitHubPrimaryFP: Fingerprint(f) + ":1"},
	}
	if f.Suppression != nil {
		just := f.Suppression.Reason
		if f.Suppression.Expires != "" {
			just += " (until " + f.Suppression.Expires + ")"
		}
		res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: just}}
	}
	props := map[string]any{}
	if f.Role != "" {
		props["role"] = f.Role
	}
	if f.Statement != nil && f.Statement.Sid != "" {
		props["sid"] = f.Statement.Sid
	}
	if len(props) > 0 {
		res.Properties = props
	}
	return res
}

func problemSeverity(s findings.Severity) string {
	switch s {
	case findings.Error:
		return "error"
	case findings.Warning:
		return "warning"
	}
	return "recommendation"
}

func uriOf(p string) string {
	if p == "" || p == "-" {
		return "stdin"
	}
	return strings.TrimPrefix(strings.ReplaceAll(p, "\\", "/"), "./")
}

func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v == "" || v == "dev" {
		return "0.0.0-dev"
	}
	return v
}

func pascal(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' || r == '-' || r == '/' || r == '.' || r == ' ' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func uniqueSorted(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// sarifLevel is the SARIF result level of a severity.
func sarifLevel(s findings.Severity) string {
	switch s {
	case findings.Error:
		return "error"
	case findings.Warning:
		return "warning"
	case findings.Note:
		return "note"
	}
	return "none"
}

// securitySeverity is the GitHub code scanning security-severity score of a severity (RULES.md
// §6): error 8.0-9.0, warning 5.0, note 2.0. Errors default to 8.0; a rule may raise its own score
// through metadata.
func securitySeverity(s findings.Severity) string {
	switch s {
	case findings.Error:
		return "8.0"
	case findings.Warning:
		return "5.0"
	case findings.Note:
		return "2.0"
	}
	return "0.0"
}
