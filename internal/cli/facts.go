package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/config"
	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/plan"
	"github.com/karpgate/karpgate/internal/scan"
)

func newFacts(s *streams) *cobra.Command {
	var configFile, karpVersion string
	var maxSize int64
	cmd := &cobra.Command{
		Use:   "facts PLAN",
		Short: "Print input.iam, the IAM model karpgate's rules read, for one plan",
		Long: `Print input.iam for one plan as JSON: every role, its trust policy, every policy that reaches it with
its status (known, partial, unknown, external, invalid), normalized statements, Karpenter detection
the request parameters, and every policy layer beyond identity policies (permissions boundary,
pod identity session, SCPs and RCPs, the interruption queue's and its key's policies) with where
each came from (source: after, prior_state, config:<file>, ...). docs/input.md documents the shape.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("facts needs exactly one plan file (or - for stdin)"))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := config.Load(configFile)
			if err != nil {
				return usageErr(err)
			}
			if err := checkKarpenterVersion(karpVersion); err != nil {
				return err
			}
			opt := withKarpenterVersion(factsOptions(cfg), cfg.Karpenter, karpVersion)
			name := args[0]
			var iam *facts.IAM
			if name == "-" {
				iam, err = scan.Facts(name, s.in, maxSize, opt)
			} else {
				f, openErr := os.Open(name)
				if openErr != nil {
					return &plan.InputError{File: name, Problem: "open: " + unwrapPath(openErr).Error()}
				}
				defer f.Close()
				iam, err = scan.Facts(name, f, maxSize, opt)
			}
			if err != nil {
				return err
			}
			return encodeJSON(s, iam)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "configuration file (default: .karpgate.yaml when present)")
	registerKarpenterVersion(cmd, &karpVersion)
	cmd.Flags().Int64Var(&maxSize, "max-plan-size", plan.DefaultMaxSize, "largest plan file to read, in bytes")
	return cmd
}
