package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/karpgate/karpgate/internal/findings"
)

// maxNodes bounds the YAML nodes one Parse visits, aliases expanded, so a small file of nested
// aliases cannot make it do unbounded work. Real configurations use a few hundred.
const maxNodes = 100_000

// maxQuoted is how much of an offending value an error message repeats.
const maxQuoted = 64

// Expected shapes, as error messages name them.
const (
	wantTop        = "fail_on, unknown, rules, karpenter, requests, policies, organization or exceptions"
	wantFailOn     = "error, warning, note or never"
	wantUnknown    = "warn or fail"
	wantSeverity   = "error, warning or note"
	wantRules      = "a mapping of rule id to {enabled, severity}"
	wantRule       = "a mapping with enabled and/or severity"
	wantRuleKeys   = "enabled or severity"
	wantBool       = "true or false"
	wantKarpenter  = "a mapping of roles, region, account, partition, cluster, version, upgrade_from, service_account, settings, features and network"
	wantKarpKeys   = "roles, region, account, partition, cluster, version, upgrade_from, service_account, settings, features or network"
	wantVersion    = `a Karpenter version such as "1.12.0" or "v0.37.7"`
	wantFrom       = `a Karpenter version such as "0.37.7", or "none"`
	wantRoles      = "a list of address globs, name: globs or role ARNs, each a string or a {role, complete, region, account, partition, cluster, version, upgrade_from, service_account, settings, features, network} mapping"
	wantRoleEntry  = "a selector string or a mapping of role, complete, region, account, partition, cluster, version, upgrade_from, service_account, settings, features and network"
	wantRoleKeys   = "role, complete, region, account, partition, cluster, version, upgrade_from, service_account, settings, features or network"
	wantPattern    = `an address glob such as "module.karpenter.*" or a name glob such as "name:KarpenterController-*"`
	wantRegion     = "a region such as us-west-2"
	wantAccount    = `a 12-digit account id as a string, such as "111122223333"`
	wantPartition  = "aws, aws-cn, aws-us-gov, aws-iso or aws-iso-b"
	wantCluster    = "the EKS cluster name"
	wantRequests   = "a mapping of must_allow and must_deny"
	wantReqKeys    = "must_allow or must_deny"
	wantReqList    = "a list of {action, resource, context}"
	wantRequest    = "a mapping of action, resource and context"
	wantRequestKey = "action, resource or context"
	wantAction     = "an IAM action such as ec2:CreateTags"
	wantResource   = `an ARN or "*"`
	wantContext    = "a mapping of condition key to a string or a list of strings"
	wantCtxValue   = "a string or a list of strings"
	wantExceptions = "a list of {rule, address, reason, expires}"
	wantException  = "a mapping of rule, address, reason and expires"
	wantExcKeys    = "rule, address, reason or expires"
	wantRuleID     = "a rule id such as KARP001"
	wantAddress    = `an address glob such as "module.karpenter.*" ("*" for every address)`
	wantReason     = "why the finding is accepted, e.g. a ticket"
	wantDate       = "a date as YYYY-MM-DD, such as 2027-01-31"
)

// regionPattern accepts AWS region names (us-west-2, us-gov-west-1, eusc-de-east-1) and catches
// typos such as "us-west2"; it does not list regions, so new ones need no release.
var regionPattern = regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`)

// Parse parses the contents of a configuration file. name is used in error messages only. An
// empty file, or one with only comments, gives Default (with File set). Every problem found is
// reported (see Error); a Config is returned only when there is none.
func Parse(name string, data []byte) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}
	}
	cfg := Default()
	cfg.File = name

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(name, err)
	case !emptyDocument(&extra):
		return nil, &Error{File: name, Line: extra.Line, Msg: `a second YAML document (want one document; remove the "---")`}
	}

	p := &parser{file: name}
	p.document(&doc, cfg)
	if err := joinErrors(p.errs); err != nil {
		return nil, err
	}
	return cfg, nil
}

// syntaxError turns a yaml.v3 error ("yaml: line 3: did not find expected key") into an *Error.
func syntaxError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, after
			}
		}
	}
	if parserProblem(msg) {
		line++
	}
	return &Error{File: name, Line: line, Msg: "invalid YAML: " + msg}
}

// parserProblem reports whether msg is one of libyaml's parser (not scanner) errors. yaml.v3
// prints their line 0-based, one less than its scanner errors and than yaml.Node.Line (see
// parser.fail in gopkg.in/yaml.v3 decode.go), and omits a line 0; syntaxError adds the 1.
func parserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected key",
		"did not find expected node content",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"found duplicate %YAML directive",
		"found duplicate %TAG directive",
		"found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

func emptyDocument(doc *yaml.Node) bool {
	return doc.Kind == yaml.DocumentNode && (len(doc.Content) == 0 || isNull(doc.Content[0]))
}

// parser walks one document's node tree, filling a Config and collecting errors.
type parser struct {
	file    string
	errs    []*Error
	nodes   int
	stopped bool // the node budget is spent; every walk stops
}

func (p *parser) fail(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// node resolves an alias to a copy of its anchor placed at the alias's line, and charges the node
// budget. It returns nil once the budget is spent.
func (p *parser) node(n *yaml.Node) *yaml.Node {
	if p.stopped {
		return nil
	}
	p.nodes++
	if p.nodes > maxNodes {
		p.stopped = true
		p.fail(n, "", "more than %d YAML nodes once aliases are expanded (want a smaller file)", maxNodes)
		return nil
	}
	if n.Kind != yaml.AliasNode {
		return n
	}
	if n.Alias == nil || n.Alias.Kind == yaml.AliasNode {
		p.fail(n, "", "unresolved alias *%s", n.Value)
		return nil
	}
	c := *n.Alias
	c.Line, c.Column = n.Line, n.Column
	return &c
}

func (p *parser) document(doc *yaml.Node, cfg *Config) {
	root := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return
		}
		root = doc.Content[0]
	}
	if root = p.node(root); root == nil || isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		p.fail(root, "", "got %s (want a mapping of %s)", describe(root), wantTop)
		return
	}
	for _, e := range p.entries(root, "", false, "a setting name") {
		path := keyPath("", e.key)
		switch e.key {
		case "fail_on":
			if s, ok := p.enum(e.v, path, wantFailOn, "error", "warning", "note", "never"); ok {
				cfg.FailOn = severity(s)
			}
		case "unknown":
			if s, ok := p.enum(e.v, path, wantUnknown, "warn", "fail"); ok {
				cfg.UnknownFail = s == "fail"
			}
		case "rules":
			p.rules(e.v, path, cfg.Rules)
		case "karpenter":
			p.karpenter(e.v, path, &cfg.Karpenter)
		case "requests":
			p.requests(e.v, path, &cfg.Requests)
		case "exceptions":
			cfg.Exceptions = p.exceptions(e.v, path)
		case "policies":
			cfg.Policies = p.policies(e.v, path)
		case "organization":
			cfg.Organization = p.organization(e.v, path)
		default:
			p.fail(e.k, "", "unknown key %q (want %s)", e.key, wantTop)
		}
	}
}

func (p *parser) rules(n *yaml.Node, path string, out map[string]findings.RuleOverride) {
	if !p.mapping(n, path, wantRules) {
		return
	}
	for _, e := range p.entries(n, path, false, wantRuleID) {
		rpath := keyPath(path, e.key)
		if strings.TrimSpace(e.key) == "" {
			p.fail(e.k, path, "blank rule id (want %s)", wantRuleID)
			continue
		}
		var ov findings.RuleOverride
		if p.mapping(e.v, rpath, wantRule) {
			for _, f := range p.entries(e.v, rpath, false, wantRuleKeys) {
				fpath := keyPath(rpath, f.key)
				switch f.key {
				case "enabled":
					if b, ok := p.boolean(f.v, fpath); ok {
						ov.Enabled = &b
					}
				case "severity":
					if s, ok := p.enum(f.v, fpath, wantSeverity, "error", "warning", "note"); ok {
						sev := severity(s)
						ov.Severity = &sev
					}
				default:
					p.fail(f.k, rpath, "unknown key %q (want %s)", f.key, wantRuleKeys)
				}
			}
		}
		out[e.key] = ov
	}
}

func (p *parser) karpenter(n *yaml.Node, path string, k *Karpenter) {
	if !p.mapping(n, path, wantKarpenter) {
		return
	}
	var partitionNode *yaml.Node
	for _, e := range p.entries(n, path, false, wantKarpKeys) {
		fpath := keyPath(path, e.key)
		switch e.key {
		case "roles":
			for i, item := range p.list(e.v, fpath, wantRoles) {
				ipath := indexPath(fpath, i)
				if item.Kind == yaml.MappingNode {
					if entry, ok := p.roleEntry(item, ipath); ok {
						k.Roles = append(k.Roles, entry.Role)
						k.RoleEntries = append(k.RoleEntries, entry)
					}
					continue
				}
				if s, ok := p.selector(item, ipath); ok {
					k.Roles = append(k.Roles, s)
				}
			}
		case "region", "account", "partition", "cluster", "version", "upgrade_from":
			p.karpenterValue(e.key, e.v, fpath, &k.Values)
			if e.key == "partition" {
				partitionNode = e.v
			}
		case "service_account", "settings", "features", "network":
			p.deploymentValue(e.key, e.v, fpath, &k.Values)
		default:
			p.fail(e.k, path, "unknown key %q (want %s)", e.key, wantKarpKeys)
		}
	}
	p.checkPartition(partitionNode, path, k.Values)
}

// checkPartition fails a partition that does not match the region set beside it.
func (p *parser) checkPartition(partitionNode *yaml.Node, path string, v Values) {
	if partitionNode != nil && v.Region != "" && v.Partition != "" {
		if want := regionPartition(v.Region); want != "" && want != v.Partition {
			p.fail(partitionNode, keyPath(path, "partition"), "%q does not match region %q (want %s)", v.Partition, v.Region, want)
		}
	}
}

// selector reads one karpenter.roles selector string.
func (p *parser) selector(item *yaml.Node, ipath string) (string, bool) {
	s, ok := p.text(item, ipath, wantPattern)
	if !ok {
		return "", false
	}
	if glob, isName := strings.CutPrefix(s, namePrefix); isName && strings.TrimSpace(glob) == "" {
		p.fail(item, ipath, "empty name glob (want %s)", wantPattern)
		return "", false
	}
	return s, true
}

// roleEntry reads a karpenter.roles item written as a mapping: its selector and its own values.
func (p *parser) roleEntry(n *yaml.Node, path string) (RoleEntry, bool) {
	var entry RoleEntry
	var partitionNode *yaml.Node
	ok := true
	for _, e := range p.entries(n, path, false, wantRoleKeys) {
		fpath := keyPath(path, e.key)
		switch e.key {
		case "role":
			s, good := p.selector(e.v, fpath)
			if !good {
				ok = false
				continue
			}
			entry.Role = s
		case "complete":
			if b, good := p.boolean(e.v, fpath); good {
				entry.Complete = b
			}
		case "region", "account", "partition", "cluster", "version", "upgrade_from":
			p.karpenterValue(e.key, e.v, fpath, &entry.Values)
			if e.key == "partition" {
				partitionNode = e.v
			}
		case "service_account", "settings", "features", "network":
			p.deploymentValue(e.key, e.v, fpath, &entry.Values)
		default:
			p.fail(e.k, path, "unknown key %q (want %s)", e.key, wantRoleKeys)
		}
	}
	if entry.Role == "" {
		if ok {
			p.fail(n, path, "no role: selector (want %s)", wantRoleEntry)
		}
		return entry, false
	}
	p.checkPartition(partitionNode, path, entry.Values)
	return entry, true
}

// karpenterValue reads one of region, account, partition, cluster, version and upgrade_from, of
// the karpenter section or of one of its roles entries.
func (p *parser) karpenterValue(key string, v *yaml.Node, fpath string, k *Values) {
	switch key {
	case "region":
		if s, ok := p.text(v, fpath, wantRegion); ok {
			if !regionPattern.MatchString(s) {
				p.fail(v, fpath, "%s is not a region name (want %s)", quote(s), wantRegion)
				return
			}
			k.Region = s
		}
	case "account":
		if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
			p.fail(v, fpath, "got %s, and YAML numbers lose leading zeros (want %s: write account: %q)",
				describe(v), wantAccount, v.Value)
			return
		}
		if s, ok := p.text(v, fpath, wantAccount); ok {
			if !isAccount(s) {
				p.fail(v, fpath, "%s is not 12 digits (want %s)", quote(s), wantAccount)
				return
			}
			k.Account = s
		}
	case "partition":
		if s, ok := p.enum(v, fpath, wantPartition, "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"); ok {
			k.Partition = s
		}
	case "cluster":
		if s, ok := p.text(v, fpath, wantCluster); ok {
			k.Cluster = s
		}
	case "version":
		if s, ok := p.text(v, fpath, wantVersion); ok {
			if !versionPattern.MatchString(s) {
				p.fail(v, fpath, "%s is not a Karpenter version (want %s)", quote(s), wantVersion)
				return
			}
			k.Version = s
		}
	case "upgrade_from":
		if s, ok := p.text(v, fpath, wantFrom); ok {
			if s != "none" && !versionPattern.MatchString(s) {
				p.fail(v, fpath, "%s is not a Karpenter version or none (want %s)", quote(s), wantFrom)
				return
			}
			k.UpgradeFrom = s
		}
	}
}

// versionPattern accepts a Karpenter release version, with or without "v" and patch.
var versionPattern = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?$`)

// regionPartition is the partition a region belongs to, or "" for a partition karpgate does not
// support (aws-iso-e, aws-iso-f, aws-eusc).
func regionPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.Contains(region, "-iso"), strings.HasPrefix(region, "eusc-"):
		return ""
	}
	return "aws"
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *parser) requests(n *yaml.Node, path string, r *Requests) {
	if !p.mapping(n, path, wantRequests) {
		return
	}
	for _, e := range p.entries(n, path, false, wantReqKeys) {
		fpath := keyPath(path, e.key)
		var dst *[]Request
		switch e.key {
		case "must_allow":
			dst = &r.MustAllow
		case "must_deny":
			dst = &r.MustDeny
		default:
			p.fail(e.k, path, "unknown key %q (want %s)", e.key, wantReqKeys)
			continue
		}
		for i, item := range p.list(e.v, fpath, wantReqList) {
			if req, ok := p.request(item, indexPath(fpath, i)); ok {
				*dst = append(*dst, req)
			}
		}
	}
}

func (p *parser) request(n *yaml.Node, path string) (Request, bool) {
	req := Request{Context: map[string][]string{}}
	if !p.required(n, path, wantRequest) {
		return req, false
	}
	ok := true
	var hasAction, hasResource bool
	for _, e := range p.entries(n, path, false, wantRequestKey) {
		fpath := keyPath(path, e.key)
		switch e.key {
		case "action":
			hasAction = true
			s, good := p.text(e.v, fpath, wantAction)
			if good {
				service, action, found := strings.Cut(s, ":")
				if !found || service == "" || action == "" || strings.ContainsAny(s, " \t") {
					p.fail(e.v, fpath, "%s is not service:Action (want %s)", quote(s), wantAction)
					good = false
				}
			}
			req.Action, ok = s, ok && good
		case "resource":
			hasResource = true
			s, good := p.text(e.v, fpath, wantResource)
			req.Resource, ok = s, ok && good
		case "context":
			ok = p.context(e.v, fpath, req.Context) && ok
		default:
			p.fail(e.k, path, "unknown key %q (want %s)", e.key, wantRequestKey)
			ok = false
		}
	}
	if !hasAction {
		p.fail(n, path, "missing key \"action\" (want %s)", wantAction)
		ok = false
	}
	if !hasResource {
		p.fail(n, path, "missing key \"resource\" (want %s)", wantResource)
		ok = false
	}
	return req, ok
}

// context reads a request context. Condition keys are case-insensitive in IAM, so two keys that
// differ only in case are duplicates. A single string value becomes a one-element list.
func (p *parser) context(n *yaml.Node, path string, out map[string][]string) bool {
	if !p.mapping(n, path, wantContext) {
		return isNull(n) // an empty context is fine; anything else was reported
	}
	ok := true
	for _, e := range p.entries(n, path, true, "a condition key such as aws:RequestedRegion") {
		fpath := keyPath(path, e.key)
		if e.v.Kind == yaml.SequenceNode {
			values := []string{}
			for i, item := range p.list(e.v, fpath, wantCtxValue) {
				s, good := p.str(item, indexPath(fpath, i), "a string")
				ok = ok && good
				values = append(values, s)
			}
			out[e.key] = values
			continue
		}
		s, good := p.str(e.v, fpath, wantCtxValue)
		ok = ok && good
		out[e.key] = []string{s}
	}
	return ok
}

func (p *parser) exceptions(n *yaml.Node, path string) []findings.Exception {
	var out []findings.Exception
	for i, item := range p.list(n, path, wantExceptions) {
		ipath := indexPath(path, i)
		if !p.required(item, ipath, wantException) {
			continue
		}
		var ex findings.Exception
		seen := map[string]bool{}
		for _, e := range p.entries(item, ipath, false, wantExcKeys) {
			fpath := keyPath(ipath, e.key)
			switch e.key {
			case "rule":
				ex.Rule, seen[e.key] = p.text(e.v, fpath, wantRuleID)
			case "address":
				ex.Address, seen[e.key] = p.text(e.v, fpath, wantAddress)
			case "reason":
				ex.Reason, seen[e.key] = p.text(e.v, fpath, wantReason)
			case "expires":
				ex.Expires, seen[e.key] = p.date(e.v, fpath)
			default:
				p.fail(e.k, ipath, "unknown key %q (want %s)", e.key, wantExcKeys)
				seen[e.key] = false
			}
		}
		valid := true
		for _, good := range seen {
			valid = valid && good
		}
		for _, key := range []string{"rule", "address", "reason", "expires"} {
			if _, present := seen[key]; !present {
				p.fail(item, ipath, "missing key %q (want %s)", key, exceptionWant(key))
				valid = false
			}
		}
		if valid {
			out = append(out, ex)
		}
	}
	return out
}

func exceptionWant(key string) string {
	switch key {
	case "rule":
		return wantRuleID
	case "address":
		return wantAddress
	case "reason":
		return wantReason
	}
	return wantDate
}

// date reads a YYYY-MM-DD date, quoted or not (YAML tags a bare one !!timestamp).
func (p *parser) date(n *yaml.Node, path string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!timestamp" {
		n = &yaml.Node{Kind: n.Kind, Tag: "!!str", Value: n.Value, Line: n.Line}
	}
	s, ok := p.str(n, path, wantDate)
	if !ok {
		return "", false
	}
	if _, err := time.Parse(dateLayout, s); err != nil || len(s) != len(dateLayout) {
		p.fail(n, path, "%s is not a date (want %s)", quote(s), wantDate)
		return "", false
	}
	return s, true
}

const dateLayout = "2006-01-02"

// entry is one key/value pair of a mapping, aliases resolved.
type entry struct {
	key  string
	k, v *yaml.Node
}

// entries returns the pairs of a mapping node, reporting keys that are not strings, empty, merge
// keys (<<) or duplicates; fold makes the duplicate check case-insensitive. keyWant names what a
// key should be.
func (p *parser) entries(n *yaml.Node, path string, fold bool, keyWant string) []entry {
	var out []entry
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := p.node(n.Content[i])
		if k == nil {
			break
		}
		v := p.node(n.Content[i+1])
		if v == nil {
			break
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			p.fail(k, path, "got %s as a key (want %s)", describe(k), keyWant)
			continue
		case k.Tag == "!!merge":
			p.fail(k, path, "merge keys (<<) are not supported (want the keys written out)")
			continue
		case k.Tag == "!!null" || k.Value == "":
			p.fail(k, path, "empty key (want %s)", keyWant)
			continue
		}
		id := k.Value
		if fold {
			id = strings.ToLower(id)
		}
		if first, dup := seen[id]; dup {
			if first.Value == k.Value {
				p.fail(k, path, "duplicate key %s (first on line %d)", quote(k.Value), first.Line)
			} else {
				p.fail(k, path, "duplicate key %s (same as %s on line %d; condition keys ignore case)", quote(k.Value), quote(first.Value), first.Line)
			}
			continue
		}
		seen[id] = k
		out = append(out, entry{key: k.Value, k: k, v: v})
	}
	return out
}

// mapping reports whether n is a mapping to walk: null means an empty section (false, no error);
// anything else that is not a mapping is an error.
func (p *parser) mapping(n *yaml.Node, path, want string) bool {
	switch {
	case n.Kind == yaml.MappingNode:
		return true
	case isNull(n):
		return false
	}
	p.fail(n, path, "got %s (want %s)", describe(n), want)
	return false
}

// required is mapping for a value that must be there: null is an error too.
func (p *parser) required(n *yaml.Node, path, want string) bool {
	if isNull(n) {
		p.fail(n, path, "missing value (want %s)", want)
		return false
	}
	return p.mapping(n, path, want)
}

// list returns the items of a sequence node, aliases resolved; null is an empty list.
func (p *parser) list(n *yaml.Node, path, want string) []*yaml.Node {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "got %s (want %s)", describe(n), want)
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if c = p.node(c); c == nil {
			break
		}
		out = append(out, c)
	}
	return out
}

// str reads a string scalar. Other scalars are refused rather than converted, with a hint to quote
// them, so that 0123 or 1e3 never turn silently into something else.
func (p *parser) str(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		return n.Value, true
	}
	if isNull(n) {
		p.fail(n, path, "missing value (want %s)", want)
		return "", false
	}
	hint := ""
	switch n.Tag {
	case "!!int", "!!float", "!!bool", "!!timestamp":
		hint = "; quote it to make it a string"
	}
	p.fail(n, path, "got %s (want %s%s)", describe(n), want, hint)
	return "", false
}

// text is str for values that must not be blank.
func (p *parser) text(n *yaml.Node, path, want string) (string, bool) {
	s, ok := p.str(n, path, want)
	if ok && strings.TrimSpace(s) == "" {
		p.fail(n, path, "empty string (want %s)", want)
		return "", false
	}
	return s, ok
}

// enum reads a string that must be one of values, exactly.
func (p *parser) enum(n *yaml.Node, path, want string, values ...string) (string, bool) {
	s, ok := p.str(n, path, want)
	if !ok {
		return "", false
	}
	for _, v := range values {
		if s == v {
			return s, true
		}
	}
	p.fail(n, path, "unknown value %s (want %s)", quote(s), want)
	return "", false
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		if b, err := strconv.ParseBool(n.Value); err == nil {
			return b, true
		}
	}
	if isNull(n) {
		p.fail(n, path, "missing value (want %s)", wantBool)
	} else {
		p.fail(n, path, "got %s (want %s)", describe(n), wantBool)
	}
	return false, false
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names a node's kind and value for "got ..." messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!str":
			return "the string " + quote(n.Value)
		case "!!int", "!!float":
			return "the number " + clip(n.Value)
		case "!!bool":
			return "the boolean " + clip(n.Value)
		case "!!timestamp":
			return "the date " + clip(n.Value)
		}
		return clip(n.Tag) + " " + quote(n.Value)
	}
	return "an alias"
}

// quote quotes a value for a message, shortened to maxQuoted bytes.
func quote(s string) string { return strconv.Quote(clip(s)) }

func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return strings.ToValidUTF8(s[:maxQuoted], "") + "..."
}

func severity(s string) findings.Severity {
	switch s {
	case "error":
		return findings.Error
	case "warning":
		return findings.Warning
	case "note":
		return findings.Note
	}
	return findings.None
}
