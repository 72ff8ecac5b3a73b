package config

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"gopkg.in/yaml.v3"
)

// SuppliedPolicy is the document of a policy outside the plan (policies:): a managed policy, a
// permissions boundary or a KMS key policy, by ARN (RULES.md §3b.6).
type SuppliedPolicy struct {
	ARN  string
	File string // as written, relative to the configuration file
	Text string // the file's contents
}

// Organization is the organization section: the SCPs and RCPs of the user's organization and
// where the accounts sit (RULES.md §3b.3, §3b.6).
type Organization struct {
	ID                string
	ManagementAccount string
	// Accounts maps an account id to its path from the root: the root id, then OU ids.
	Accounts map[string][]string
	Policies []OrgPolicy
	// SCPsComplete says the SCP list is complete: no FullAWSAccess is assumed at any level.
	SCPsComplete bool
}

// OrgPolicy is one SCP or RCP with the targets it is attached to.
type OrgPolicy struct {
	Type    string // scp or rcp
	Name    string
	File    string
	Text    string
	Targets []string // r-..., ou-..., or account ids
}

// Expected shapes of the layer sections, as error messages name them.
const (
	wantPolicies    = "a list of {arn, file}"
	wantPolicy      = "a mapping of arn and file"
	wantPolicyKeys  = "arn or file"
	wantPolicyARN   = `an IAM policy or KMS key ARN such as "arn:aws:iam::111122223333:policy/OrgDeveloperBoundary"`
	wantFile        = "a path to a JSON policy document, relative to the configuration file"
	wantOrg         = "a mapping of id, management_account, accounts, policies and scps_complete"
	wantOrgKeys     = "id, management_account, accounts, policies or scps_complete"
	wantOrgID       = "an organization id such as o-a1b2c3d4e5"
	wantAccounts    = `a mapping of account id to its path from the root, such as {"111122223333": [r-ab12, ou-ab12-11111111]}`
	wantPath        = "a list of the root id and OU ids, from the root"
	wantPathItem    = "a root id (r-...) or an OU id (ou-...)"
	wantOrgPolicies = "a list of {type, name, file, targets}"
	wantOrgPolicy   = "a mapping of type, name, file and targets"
	wantOrgPolKeys  = "type, name, file or targets"
	wantOrgType     = "scp or rcp"
	wantTargets     = "a list of root, OU or account ids"
	wantTarget      = "a root id (r-...), an OU id (ou-...) or a 12-digit account id"
)

var (
	orgIDPattern  = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	rootPattern   = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouPattern     = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	policyPattern = regexp.MustCompile(`^arn:[a-z-]+:(iam::[0-9]{12}:policy/|iam::aws:policy/|kms:[a-z0-9-]+:[0-9]{12}:key/)[^\s]+$`)
)

// policies reads the policies section.
func (p *parser) policies(n *yaml.Node, path string) []SuppliedPolicy {
	var out []SuppliedPolicy
	seen := map[string]int{}
	for i, item := range p.list(n, path, wantPolicies) {
		ipath := indexPath(path, i)
		if !p.required(item, ipath, wantPolicy) {
			continue
		}
		var sp SuppliedPolicy
		var arnNode, fileNode *yaml.Node
		ok := true
		for _, e := range p.entries(item, ipath, false, wantPolicyKeys) {
			fpath := keyPath(ipath, e.key)
			switch e.key {
			case "arn":
				arnNode = e.v
				s, good := p.text(e.v, fpath, wantPolicyARN)
				if good && !policyPattern.MatchString(s) {
					p.fail(e.v, fpath, "%s is not a policy or key ARN (want %s)", quote(s), wantPolicyARN)
					good = false
				}
				sp.ARN, ok = s, ok && good
			case "file":
				fileNode = e.v
				s, good := p.text(e.v, fpath, wantFile)
				sp.File, ok = s, ok && good
			default:
				p.fail(e.k, ipath, "unknown key %q (want %s)", e.key, wantPolicyKeys)
				ok = false
			}
		}
		if arnNode == nil {
			p.fail(item, ipath, "missing key \"arn\" (want %s)", wantPolicyARN)
			ok = false
		}
		if fileNode == nil {
			p.fail(item, ipath, "missing key \"file\" (want %s)", wantFile)
			ok = false
		}
		if !ok {
			continue
		}
		if first, dup := seen[sp.ARN]; dup {
			p.fail(arnNode, keyPath(ipath, "arn"), "%s is already supplied by policies[%d]", quote(sp.ARN), first)
			continue
		}
		seen[sp.ARN] = i
		text, good := p.policyFile(fileNode, keyPath(ipath, "file"), sp.File)
		if !good {
			continue
		}
		sp.Text = text
		out = append(out, sp)
	}
	return out
}

// policyFile reads a policy document file named relative to the configuration file: it must be
// readable and hold one JSON object (KARP022 checks it as a policy).
func (p *parser) policyFile(n *yaml.Node, path, file string) (string, bool) {
	full := file
	if !filepath.IsAbs(file) {
		full = filepath.Join(filepath.Dir(p.file), file)
	}
	f, err := os.Open(full)
	if err != nil {
		p.fail(n, path, "cannot read %s: %s (want %s)", quote(file), pathProblem(err), wantFile)
		return "", false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	switch {
	case err != nil:
		p.fail(n, path, "cannot read %s: %s (want %s)", quote(file), pathProblem(err), wantFile)
		return "", false
	case len(data) > MaxFileSize:
		p.fail(n, path, "%s is larger than %d bytes (want a policy document)", quote(file), MaxFileSize)
		return "", false
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		p.fail(n, path, "%s is not JSON: %s (want a JSON policy document)", quote(file), err.Error())
		return "", false
	}
	if _, isObject := v.(map[string]any); !isObject {
		p.fail(n, path, "%s is not a JSON object (want a JSON policy document)", quote(file))
		return "", false
	}
	return string(data), true
}

// pathProblem is an os error without the path (the message names the file as written).
func pathProblem(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// organization reads the organization section.
func (p *parser) organization(n *yaml.Node, path string) *Organization {
	if !p.mapping(n, path, wantOrg) {
		return nil
	}
	o := &Organization{Accounts: map[string][]string{}}
	for _, e := range p.entries(n, path, false, wantOrgKeys) {
		fpath := keyPath(path, e.key)
		switch e.key {
		case "id":
			if s, ok := p.text(e.v, fpath, wantOrgID); ok {
				if !orgIDPattern.MatchString(s) {
					p.fail(e.v, fpath, "%s is not an organization id (want %s)", quote(s), wantOrgID)
					continue
				}
				o.ID = s
			}
		case "management_account":
			if s, ok := p.account(e.v, fpath); ok {
				o.ManagementAccount = s
			}
		case "accounts":
			p.orgAccounts(e.v, fpath, o.Accounts)
		case "policies":
			o.Policies = p.orgPolicies(e.v, fpath)
		case "scps_complete":
			if b, ok := p.boolean(e.v, fpath); ok {
				o.SCPsComplete = b
			}
		default:
			p.fail(e.k, path, "unknown key %q (want %s)", e.key, wantOrgKeys)
		}
	}
	return o
}

// account reads a 12-digit account id written as a string.
func (p *parser) account(n *yaml.Node, path string) (string, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		p.fail(n, path, "got %s, and YAML numbers lose leading zeros (want %s: write %q)", describe(n), wantAccount, n.Value)
		return "", false
	}
	s, ok := p.text(n, path, wantAccount)
	if ok && !isAccount(s) {
		p.fail(n, path, "%s is not 12 digits (want %s)", quote(s), wantAccount)
		return "", false
	}
	return s, ok
}

func (p *parser) orgAccounts(n *yaml.Node, path string, out map[string][]string) {
	if !p.mapping(n, path, wantAccounts) {
		return
	}
	for _, e := range p.entries(n, path, false, "a 12-digit account id") {
		fpath := keyPath(path, e.key)
		if !isAccount(e.key) {
			p.fail(e.k, path, "%s is not a 12-digit account id (want %s)", quote(e.key), wantAccounts)
			continue
		}
		var ids []string
		ok := true
		for i, item := range p.list(e.v, fpath, wantPath) {
			ipath := indexPath(fpath, i)
			s, good := p.text(item, ipath, wantPathItem)
			switch {
			case !good:
				ok = false
			case i == 0 && !rootPattern.MatchString(s):
				p.fail(item, ipath, "%s is not a root id: the path starts at the root (want r-...)", quote(s))
				ok = false
			case i > 0 && !ouPattern.MatchString(s):
				p.fail(item, ipath, "%s is not an OU id (want ou-...)", quote(s))
				ok = false
			}
			ids = append(ids, s)
		}
		if len(ids) == 0 && ok {
			p.fail(e.v, fpath, "empty path (want %s)", wantPath)
			ok = false
		}
		if ok {
			out[e.key] = ids
		}
	}
}

func (p *parser) orgPolicies(n *yaml.Node, path string) []OrgPolicy {
	var out []OrgPolicy
	for i, item := range p.list(n, path, wantOrgPolicies) {
		ipath := indexPath(path, i)
		if !p.required(item, ipath, wantOrgPolicy) {
			continue
		}
		var op OrgPolicy
		var fileNode *yaml.Node
		seen := map[string]bool{}
		ok := true
		for _, e := range p.entries(item, ipath, false, wantOrgPolKeys) {
			fpath := keyPath(ipath, e.key)
			seen[e.key] = true
			switch e.key {
			case "type":
				s, good := p.enum(e.v, fpath, wantOrgType, "scp", "rcp")
				op.Type, ok = s, ok && good
			case "name":
				s, good := p.text(e.v, fpath, "the policy's name")
				op.Name, ok = s, ok && good
			case "file":
				fileNode = e.v
				s, good := p.text(e.v, fpath, wantFile)
				op.File, ok = s, ok && good
			case "targets":
				for j, t := range p.list(e.v, fpath, wantTargets) {
					tpath := indexPath(fpath, j)
					s, good := p.text(t, tpath, wantTarget)
					if good && !rootPattern.MatchString(s) && !ouPattern.MatchString(s) && !isAccount(s) {
						p.fail(t, tpath, "%s is not a root, OU or account id (want %s)", quote(s), wantTarget)
						good = false
					}
					ok = ok && good
					op.Targets = append(op.Targets, s)
				}
			default:
				p.fail(e.k, ipath, "unknown key %q (want %s)", e.key, wantOrgPolKeys)
				ok = false
			}
		}
		for _, key := range []string{"type", "name", "file", "targets"} {
			if !seen[key] {
				p.fail(item, ipath, "missing key %q (want %s)", key, wantOrgPolicy)
				ok = false
			}
		}
		if !ok {
			continue
		}
		if len(op.Targets) == 0 {
			p.fail(item, keyPath(ipath, "targets"), "no targets (want %s)", wantTargets)
			continue
		}
		text, good := p.policyFile(fileNode, keyPath(ipath, "file"), op.File)
		if !good {
			continue
		}
		op.Text = text
		out = append(out, op)
	}
	return out
}
