package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/karpgate/karpgate/internal/findings"
)

// File names Load looks for in the working directory, in this order.
const (
	FileName    = ".karpgate.yaml"
	AltFileName = ".karpgate.yml"
)

// MaxFileSize is the largest configuration file Load and Parse accept, in bytes.
const MaxFileSize = 1 << 20

// Config is a parsed .karpgate.yaml. Parse and Load return a fully validated Config; code that
// builds one by hand should start from Default.
type Config struct {
	// File is the name the configuration was read from; "" for Default.
	File string
	// FailOn is the lowest severity that fails the gate; findings.None means "never". Default
	// findings.Error.
	FailOn findings.Severity
	// UnknownFail is true for "unknown: fail": indeterminate verdicts (KARP020) fail the gate.
	// Default false ("unknown: warn").
	UnknownFail bool
	// Rules holds the per-rule overrides by rule id. Never nil.
	Rules map[string]findings.RuleOverride
	// Karpenter tells the rules which roles are Karpenter's and where they run, when the plan
	// cannot.
	Karpenter Karpenter
	// Requests are extra IAM requests the Karpenter roles must allow or must deny.
	Requests Requests
	// Exceptions are in file order.
	Exceptions []findings.Exception
	// Policies are the documents of policies outside the plan, by ARN, read from their files.
	Policies []SuppliedPolicy
	// Organization holds the organization's SCPs and RCPs and where accounts sit; nil when the
	// file has no organization section.
	Organization *Organization
}

// Karpenter holds the Karpenter parameters. An empty field means "detect from the plan".
type Karpenter struct {
	// Roles selects the Karpenter roles: address globs (see MatchAddress) or "name:" globs over
	// role names (see findings.MatchRole). Empty means automatic detection. It lists the selectors of
	// RoleEntries too.
	Roles []string
	// RoleEntries are the roles items written as mappings, with their own values, in file order.
	RoleEntries []RoleEntry
	// Values are the defaults for every role.
	Values
}

// Values are the Karpenter parameters of RULES.md 5.1 and 5.2, global or of one role. An empty
// field means "detect from the plan" (or, in a role entry, "the global value").
type Values struct {
	Region    string // e.g. "us-west-2"
	Account   string // 12 digits
	Partition string // aws, aws-cn, aws-us-gov, aws-iso or aws-iso-b
	Cluster   string // the EKS cluster name
	// Version is the deployed Karpenter version ("1.12.0", "v0.37.7"); UpgradeFrom the version
	// before this change, or "none" when no instance predates v1 (RULES.md 5.1).
	Version     string
	UpgradeFrom string
	// ServiceAccount is Karpenter's service account as namespace/name (RULES.md 5.2).
	ServiceAccount string
	// Settings are chart settings by their path below settings ("interruptionQueue",
	// "featureGates.reservedCapacity"), bool settings as "true" or "false"; nil when none is set.
	Settings map[string]string
	// Features set features of the request data on or off; nil when none is set.
	Features map[string]bool
	// Network holds the network condition keys of Karpenter's requests.
	Network Network
}

// RoleEntry is a karpenter.roles item written as a mapping: a selector with its own values.
// Complete says the plan shows everything that reaches a role outside the plan (RULES.md 2.3).
type RoleEntry struct {
	Role     string
	Complete bool
	Values
}

// Requests are IAM requests, beyond the built-in Karpenter sets, that the Karpenter roles must
// allow (MustAllow) or must deny (MustDeny).
type Requests struct {
	MustAllow []Request
	MustDeny  []Request
}

// Request is one IAM request: an action on a resource with request context. Values are kept as
// written; IAM compares action names and condition keys case-insensitively, so the Rego side
// must too.
type Request struct {
	Action   string              // "service:Action", e.g. "ec2:CreateTags"
	Resource string              // an ARN, or "*"
	Context  map[string][]string // condition key -> values; never nil
}

// Default returns the configuration used when there is no file: fail on errors, warn on unknown
// verdicts, no overrides, automatic Karpenter detection, no extra requests, no exceptions.
func Default() *Config {
	return &Config{
		FailOn: findings.Error,
		Rules:  map[string]findings.RuleOverride{},
	}
}

// Load reads and parses a configuration file. With path "", it looks for FileName and then
// AltFileName in the working directory and returns Default when neither exists; a path that is
// given must exist.
func Load(path string) (*Config, error) {
	if path != "" {
		data, err := readFile(path)
		if err != nil {
			return nil, err
		}
		return Parse(path, data)
	}
	for _, name := range []string{FileName, AltFileName} {
		data, err := readFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return Parse(name, data)
	}
	return Default(), nil
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	return data, nil
}

// Gate returns the pass/fail policy the configuration asks for.
func (c *Config) Gate() findings.Gate {
	if c == nil {
		c = Default()
	}
	return findings.Gate{FailOn: c.FailOn, UnknownFail: c.UnknownFail}
}

// Overrides returns the rule overrides and exceptions for findings.Overrides.Apply. The result
// shares nothing with c.
func (c *Config) Overrides() findings.Overrides {
	if c == nil {
		c = Default()
	}
	rules := make(map[string]findings.RuleOverride, len(c.Rules))
	for id, ov := range c.Rules {
		var out findings.RuleOverride
		if ov.Enabled != nil {
			v := *ov.Enabled
			out.Enabled = &v
		}
		if ov.Severity != nil {
			v := *ov.Severity
			out.Severity = &v
		}
		rules[id] = out
	}
	return findings.Overrides{Rules: rules, Exceptions: slices.Clone(c.Exceptions)}
}

// RegoData returns the Karpenter parameters and extra requests as a JSON-compatible document (only
// strings, []any and map[string]any) for the policy engine's data:
//
//	{"karpenter": {"roles": [...], "region": "...", "account": "...", "partition": "...", "cluster": "..."},
//	 "requests": {"must_allow": [{"action": "...", "resource": "...", "context": {"key": ["value"]}}],
//	              "must_deny": [...]}}
//
// "roles", "must_allow", "must_deny" and "context" are always present (possibly empty); a scalar
// Karpenter parameter is present only when set, so in Rego an undefined value means "not
// configured".
func (c *Config) RegoData() map[string]any {
	if c == nil {
		c = Default()
	}
	k := map[string]any{"roles": anyList(c.Karpenter.Roles)}
	for key, v := range map[string]string{
		"region":    c.Karpenter.Region,
		"account":   c.Karpenter.Account,
		"partition": c.Karpenter.Partition,
		"cluster":   c.Karpenter.Cluster,
	} {
		if v != "" {
			k[key] = v
		}
	}
	return map[string]any{
		"karpenter": k,
		"requests": map[string]any{
			"must_allow": requests(c.Requests.MustAllow),
			"must_deny":  requests(c.Requests.MustDeny),
		},
	}
}

func requests(rs []Request) []any {
	out := make([]any, 0, len(rs))
	for _, r := range rs {
		ctx := make(map[string]any, len(r.Context))
		for key, values := range r.Context {
			ctx[key] = anyList(values)
		}
		out = append(out, map[string]any{"action": r.Action, "resource": r.Resource, "context": ctx})
	}
	return out
}

func anyList(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}
