package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/config"
	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/plan"
	"github.com/karpgate/karpgate/internal/scan"
)

// pipelineFlags are the flags scan and serve share: config, policies, gate.
type pipelineFlags struct {
	configFile     string
	policies       []string
	data           []string
	bundles        []string
	verify         verifyFlags
	namespaces     []string
	regoVersion    string
	noDefaultRules bool
	allowNet       bool
	timeout        time.Duration
	failOn         string
	unknown        string
	maxPlanSize    int64
	karpVersion    string
	maxMemory      int64
	noConfig       bool
	onEval         func() func() // set by the supervised child (supervise.go)
	// newEngine compiles the policies: engine.New, unless the command's streams carry another
	// constructor (tests share one compiled engine per configuration, engines_test.go).
	newEngine func(context.Context, engine.Options) (*engine.Engine, error)
	// evalFor, when set (tests: engines_test.go), gives the evaluation the scanner uses with an
	// engine (scan.Options.Eval).
	evalFor func(*engine.Engine) func(context.Context, ast.Value) ([]findings.Finding, map[string]engine.Checked, error)
}

func (f *pipelineFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.configFile, "config", "", "configuration file (default: .karpgate.yaml in the working directory, when present); pins the configuration for a hard gate")
	fl.BoolVar(&f.noConfig, "no-config", false, "use the built-in defaults and read no configuration file (a hard gate that a change to .karpgate.yaml cannot relax)")
	fl.StringArrayVar(&f.policies, "policy", nil, "user Rego policy file or directory, with .json/.yaml data beside it (repeatable)")
	fl.StringArrayVar(&f.data, "data", nil, "extra data file or directory (repeatable)")
	fl.StringArrayVar(&f.bundles, "bundle", nil, "OPA bundle directory or .tar.gz with a .manifest; roots under karpgate/rules/<name> and karpgate/user only (repeatable)")
	f.verify.register(cmd)
	fl.StringArrayVar(&f.namespaces, "namespace", nil, "conftest namespace to evaluate deny/violation/warn rules in (repeatable; default main)")
	fl.StringVar(&f.regoVersion, "rego-version", "v1", "Rego syntax of --policy files, as conftest's flag: v1 or v0 (deny[msg] { ... })")
	fl.BoolVar(&f.noDefaultRules, "no-default-rules", false, "do not run the embedded KARP rules (the library stays available to user rules)")
	fl.BoolVar(&f.allowNet, "allow-net", false, "let user policies call http.send and net.* builtins")
	fl.DurationVar(&f.timeout, "timeout", engine.DefaultTimeout, "time limit for evaluating one plan")
	fl.StringVar(&f.failOn, "fail-on", "", "lowest severity that fails the gate: error, warning, note or never (default error, or fail_on from the config)")
	fl.StringVar(&f.unknown, "unknown", "", "what an indeterminate verdict (KARP020) does: warn or fail (default warn, or unknown from the config)")
	fl.Int64Var(&f.maxPlanSize, "max-plan-size", plan.DefaultMaxSize, "largest plan file to read, in bytes")
	fl.Int64Var(&f.maxMemory, "max-memory", DefaultMaxMemory, "memory, in bytes, the process that evaluates --policy/--bundle code may add before it is stopped (exit 4)")
	registerKarpenterVersion(cmd, &f.karpVersion)
}

// registerKarpenterVersion defines --karpenter-version, the deployed Karpenter version that wins
// over config and the plan (RULES.md 5.1).
func registerKarpenterVersion(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "karpenter-version", "", `deployed Karpenter version, e.g. 1.12.0 (wins over karpenter.version and the plan's helm_release)`)
}

// checkKarpenterVersion refuses a --karpenter-version karpgate cannot read.
func checkKarpenterVersion(v string) error {
	if v == "" {
		return nil
	}
	if _, ok := facts.ParseVersion(v); !ok {
		return usageErr(fmt.Errorf("--karpenter-version %q is not a Karpenter version such as 1.12.0", v))
	}
	return nil
}

// withKarpenterVersion adds config karpenter.version and upgrade_from and --karpenter-version to
// the facts options.
func withKarpenterVersion(opt facts.Options, k config.Karpenter, flag string) facts.Options {
	opt.Version, opt.UpgradeFrom = k.Version, k.UpgradeFrom
	if flag != "" {
		opt.Override = facts.VersionOverride{Version: flag, Source: "--karpenter-version"}
	}
	return opt
}

// verifyFlags are the bundle signature verification flags.
type verifyFlags struct {
	keyFile string
	keyID   string
	alg     string
}

func (v *verifyFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&v.keyFile, "verification-key", "", "PEM public key: every --bundle must carry a valid OPA signature (.signatures.json) made with it")
	fl.StringVar(&v.keyID, "verification-key-id", engine.DefaultKeyID, "key id of --verification-key")
	fl.StringVar(&v.alg, "signing-alg", engine.DefaultSigningAlg, "signature algorithm of --verification-key: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or ES512")
}

// options returns nil when no key was given; --verification-key-id or --signing-alg set without a
// key is a usage error rather than a silently unverified bundle.
func (v *verifyFlags) options() (*engine.VerificationOptions, error) {
	if v.keyFile == "" {
		if v.keyID != engine.DefaultKeyID || v.alg != engine.DefaultSigningAlg {
			return nil, usageErr(fmt.Errorf("--verification-key-id and --signing-alg need --verification-key"))
		}
		return nil, nil
	}
	if v.keyID == "" {
		return nil, usageErr(fmt.Errorf("--verification-key-id must not be empty"))
	}
	return &engine.VerificationOptions{KeyFile: v.keyFile, KeyID: v.keyID, Algorithm: v.alg}, nil
}

// compileGCPercent is the GOGC while the policies compile (build).
const compileGCPercent = 400

// pipeline is a ready scan pipeline.
type pipeline struct {
	cfg     *config.Config
	eng     *engine.Engine
	scanner *scan.Scanner
}

// build loads the config, compiles the policies and returns the scanner. Errors carry exit codes.
func (f *pipelineFlags) build(ctx context.Context, now time.Time) (*pipeline, error) {
	if f.noConfig && f.configFile != "" {
		return nil, usageErr(fmt.Errorf("--config and --no-config exclude each other"))
	}
	cfg := config.Default()
	if !f.noConfig {
		var err error
		if cfg, err = config.Load(f.configFile); err != nil {
			return nil, usageErr(err)
		}
	}
	gate := cfg.Gate()
	if f.failOn != "" {
		sev, err := findings.ParseSeverity(f.failOn)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--fail-on: %w", err))
		}
		gate.FailOn = sev
	}
	switch f.unknown {
	case "":
	case "warn":
		gate.UnknownFail = false
	case "fail":
		gate.UnknownFail = true
	default:
		return nil, usageErr(fmt.Errorf("--unknown: %q is not warn or fail", f.unknown))
	}
	if f.maxPlanSize <= 0 {
		return nil, usageErr(fmt.Errorf("--max-plan-size must be positive"))
	}
	if f.timeout <= 0 {
		return nil, usageErr(fmt.Errorf("--timeout must be positive"))
	}
	if f.maxMemory < 0 {
		return nil, usageErr(fmt.Errorf("--max-memory must not be negative"))
	}
	verification, err := f.verify.options()
	if err != nil {
		return nil, err
	}
	rv, err := engine.ParseRegoVersion(f.regoVersion)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--rego-version: %w", err))
	}
	newEngine := f.newEngine
	if newEngine == nil {
		newEngine = engine.New
	}
	// Compiling the policies allocates about 30 MB of short-lived garbage while what it keeps is a
	// few MB: at the default GOGC the collector would run a dozen times, about 40% of the compile's
	// CPU. The garbage does not grow with the plan, so the collector waits longer during the
	// compile only, and the plan is read at the default again (docs/performance.md).
	defer debug.SetGCPercent(debug.SetGCPercent(compileGCPercent))
	eng, err := newEngine(ctx, engine.Options{
		RegoVersion:    rv,
		Policies:       f.policies,
		Data:           f.data,
		Bundles:        f.bundles,
		Verification:   verification,
		Namespaces:     f.namespaces,
		NoDefaultRules: f.noDefaultRules,
		AllowNet:       f.allowNet,
		Timeout:        f.timeout,
		ExtraData:      cfg.RegoData(),
		OnEval:         f.onEval,
	})
	if err != nil {
		return nil, err
	}
	if err := checkKarpenterVersion(f.karpVersion); err != nil {
		return nil, err
	}
	today := findings.Today(now)
	applied := &findings.ConfigApplied{File: cfg.File, Pinned: f.configFile != "" || f.noConfig, Relaxed: cfg.Relaxations(eng.Rules(), today)}
	if applied.Relaxed == nil {
		applied.Relaxed = []string{}
	}
	var eval func(context.Context, ast.Value) ([]findings.Finding, map[string]engine.Checked, error)
	if f.evalFor != nil {
		eval = f.evalFor(eng)
	}
	sc := scan.New(eng, scan.Options{
		Eval:        eval,
		Facts:       withKarpenterVersion(factsOptions(cfg), cfg.Karpenter, f.karpVersion),
		Gate:        gate,
		Overrides:   cfg.Overrides(),
		MaxPlanSize: f.maxPlanSize,
		Today:       today,
		Config:      applied,
		Tool:        findings.Tool{Name: "karpgate", Version: version(), URI: "https://github.com/karpgate/karpgate"},
	})
	return &pipeline{cfg: cfg, eng: eng, scanner: sc}, nil
}

// factsOptions is what the configuration tells the IAM model: the Karpenter roles and
// parameters, the documents of policies outside the plan and the organization.
func factsOptions(cfg *config.Config) facts.Options {
	k := cfg.Karpenter
	opt := facts.Options{
		Roles: k.Roles, Region: k.Region, Account: k.Account, Partition: k.Partition, Cluster: k.Cluster,
		DeployOptions: deployOptions(k.Values),
	}
	for _, e := range k.RoleEntries {
		opt.PerRole = append(opt.PerRole, facts.RoleOptions{Selector: e.Role, Region: e.Region, Account: e.Account,
			Partition: e.Partition, Cluster: e.Cluster, Version: e.Version, UpgradeFrom: e.UpgradeFrom,
			DeployOptions: deployOptions(e.Values)})
		if e.Complete {
			if opt.Complete == nil {
				opt.Complete = map[string]bool{}
			}
			opt.Complete[e.Role] = true
		}
	}
	if len(cfg.Policies) > 0 {
		opt.Policies = map[string]facts.Supplied{}
		for _, p := range cfg.Policies {
			opt.Policies[p.ARN] = facts.Supplied{File: p.File, Text: p.Text}
		}
	}
	if o := cfg.Organization; o != nil {
		oc := &facts.OrgConfig{ID: o.ID, ManagementAccount: o.ManagementAccount, Accounts: o.Accounts, SCPsComplete: o.SCPsComplete}
		for _, p := range o.Policies {
			oc.Policies = append(oc.Policies, facts.OrgConfigPolicy{Type: p.Type, Name: p.Name, File: p.File, Text: p.Text, Targets: p.Targets})
		}
		opt.Organization = oc
	}
	return opt
}

// deployOptions are config's service account, chart settings, features and network for the IAM
// model (RULES.md 5.1, 5.2, 4.5).
func deployOptions(v config.Values) facts.DeployOptions {
	n := v.Network
	return facts.DeployOptions{
		ServiceAccount: v.ServiceAccount,
		Settings:       v.Settings,
		Features:       v.Features,
		Network:        facts.Network{SourceIP: n.SourceIP, VPCSourceIP: n.VPCSourceIP, SourceVPC: n.SourceVPC, SourceVPCE: n.SourceVPCE},
	}
}
