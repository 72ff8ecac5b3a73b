package cli

import (
	"context"
	"fmt"
	"time"

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
	namespaces     []string
	noDefaultRules bool
	allowNet       bool
	timeout        time.Duration
	failOn         string
	unknown        string
	maxPlanSize    int64
}

func (f *pipelineFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.configFile, "config", "", "configuration file (default: .karpgate.yaml in the working directory, when present)")
	fl.StringArrayVar(&f.policies, "policy", nil, "user Rego policy file or directory, with .json/.yaml data beside it (repeatable)")
	fl.StringArrayVar(&f.data, "data", nil, "extra data file or directory (repeatable)")
	fl.StringArrayVar(&f.namespaces, "namespace", nil, "conftest namespace to evaluate deny/violation/warn rules in (repeatable; default main)")
	fl.BoolVar(&f.noDefaultRules, "no-default-rules", false, "do not run the embedded KARP rules (the library stays available to user rules)")
	fl.BoolVar(&f.allowNet, "allow-net", false, "let user policies call http.send and net.* builtins")
	fl.DurationVar(&f.timeout, "timeout", engine.DefaultTimeout, "time limit for evaluating one plan")
	fl.StringVar(&f.failOn, "fail-on", "", "lowest severity that fails the gate: error, warning, note or never (default error, or fail_on from the config)")
	fl.StringVar(&f.unknown, "unknown", "", "what an indeterminate verdict (KARP020) does: warn or fail (default warn, or unknown from the config)")
	fl.Int64Var(&f.maxPlanSize, "max-plan-size", plan.DefaultMaxSize, "largest plan file to read, in bytes")
}

// pipeline is a ready scan pipeline.
type pipeline struct {
	cfg     *config.Config
	eng     *engine.Engine
	scanner *scan.Scanner
}

// build loads the config, compiles the policies and returns the scanner. Errors carry exit codes.
func (f *pipelineFlags) build(ctx context.Context, now time.Time) (*pipeline, error) {
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return nil, usageErr(err)
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
	eng, err := engine.New(ctx, engine.Options{
		Policies:       f.policies,
		Data:           f.data,
		Namespaces:     f.namespaces,
		NoDefaultRules: f.noDefaultRules,
		AllowNet:       f.allowNet,
		Timeout:        f.timeout,
		ExtraData:      cfg.RegoData(),
	})
	if err != nil {
		return nil, err
	}
	k := cfg.Karpenter
	sc := scan.New(eng, scan.Options{
		Facts: facts.Options{
			Roles: k.Roles, Region: k.Region, Account: k.Account, Partition: k.Partition, Cluster: k.Cluster,
			MatchRole: config.MatchRole,
		},
		Gate:        gate,
		Overrides:   cfg.Overrides(),
		MaxPlanSize: f.maxPlanSize,
		Today:       findings.Today(now),
		Tool:        findings.Tool{Name: "karpgate", Version: Version, URI: "https://github.com/karpgate/karpgate"},
	})
	return &pipeline{cfg: cfg, eng: eng, scanner: sc}, nil
}
