package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/engine"
)

const bundleLong = `Build and inspect OPA bundles of karpgate rules and data.

A bundle is a directory with a .manifest that declares its roots. karpgate accepts roots under
karpgate/rules/<name> (native rules, package karpgate.rules.<name>...) and karpgate/user (data the
rules read as data.karpgate.user), and any root outside karpgate (conftest namespaces, your own
libraries). Load bundles with 'karpgate scan --bundle PATH'; with --verification-key every bundle
must carry a valid signature. See docs/writing-rules.md.

Examples:
  karpgate bundle build bundles/example -o acme.tar.gz
  karpgate bundle build bundles/example -o acme.tar.gz --signing-key private.pem
  karpgate bundle inspect acme.tar.gz --verification-key public.pem
  karpgate scan --bundle acme.tar.gz --verification-key public.pem plan.json

` + exitCodesHelp

func newBundle(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Build, sign and inspect OPA bundles of user rules",
		Long:  bundleLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr(errors.New("bundle needs a subcommand: build or inspect"))
		},
	}
	cmd.AddCommand(newBundleBuild(s), newBundleInspect(s))
	return cmd
}

type bundleBuildFlags struct {
	output   string
	key      string
	keyID    string
	alg      string
	allowNet bool
}

func newBundleBuild(s *streams) *cobra.Command {
	f := &bundleBuildFlags{}
	cmd := &cobra.Command{
		Use:   "build DIR -o OUT.tar.gz",
		Short: "Build (and sign) a bundle .tar.gz from a bundle directory",
		Long: `Build a bundle .tar.gz from DIR the way 'opa build -b DIR' does, after checking that it loads
with karpgate's embedded library exactly as a scan would (roots, packages, # METADATA, capabilities).
Test files (*_test.rego) and files that are not part of a bundle (README.md) stay out. With
--signing-key the bundle is signed (.signatures.json, OPA's format). The output is written
atomically.

` + exitCodesHelp,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("bundle build needs exactly one bundle directory"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output == "" {
				return usageErr(errors.New("bundle build needs -o OUT.tar.gz"))
			}
			if err := checkWritable(f.output); err != nil {
				return usageErr(err)
			}
			var signing *engine.SigningOptions
			switch {
			case f.key != "":
				signing = &engine.SigningOptions{KeyFile: f.key, KeyID: f.keyID, Algorithm: f.alg}
			case f.keyID != engine.DefaultKeyID || f.alg != engine.DefaultSigningAlg:
				return usageErr(errors.New("--signing-key-id and --signing-alg need --signing-key"))
			}
			out, err := engine.BuildBundle(cmd.Context(), args[0], signing, engine.Options{AllowNet: f.allowNet})
			if err != nil {
				return err
			}
			if err := writeAtomic(f.output, out); err != nil {
				return usageErr(err)
			}
			state := "unsigned"
			if signing != nil {
				state = "signed with key id " + signing.KeyID
			}
			_, err = fmt.Fprintf(s.err, "karpgate: wrote %s (%s)\n", f.output, state)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "the bundle file to write (.tar.gz)")
	fl.StringVar(&f.key, "signing-key", "", "PEM private key to sign the bundle with")
	fl.StringVar(&f.keyID, "signing-key-id", engine.DefaultKeyID, "key id written into the signature")
	fl.StringVar(&f.alg, "signing-alg", engine.DefaultSigningAlg, "signature algorithm: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or ES512")
	fl.BoolVar(&f.allowNet, "allow-net", false, "let the bundle's policies call http.send and net.* builtins")
	return cmd
}

func newBundleInspect(s *streams) *cobra.Command {
	var v verifyFlags
	var asJSON, allowNet bool
	cmd := &cobra.Command{
		Use:   "inspect PATH",
		Short: "Print a bundle's manifest, rules and signature status",
		Long: `Print a bundle's revision and roots, its files, the rules it adds (compiled with the embedded
library, ids and severities from # METADATA) and its signature status: unsigned, signed-verified,
signed-not-verified (signed, but no --verification-key given) or invalid. An invalid signature, or
a bundle that does not load, exits 4 after the report.

` + exitCodesHelp,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("bundle inspect needs exactly one bundle (directory or .tar.gz)"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			verification, err := v.options()
			if err != nil {
				return err
			}
			info, sigErr := engine.InspectBundle(cmd.Context(), args[0], verification, engine.Options{AllowNet: allowNet})
			if info == nil {
				return sigErr
			}
			if asJSON {
				err = encodeJSON(s, info)
			} else {
				err = printBundleInfo(s, info)
			}
			if err != nil {
				return err
			}
			if sigErr != nil {
				return sigErr
			}
			if info.CompileProblems != "" {
				return &engine.PolicyError{Problem: info.CompileProblems}
			}
			return nil
		},
	}
	v.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&allowNet, "allow-net", false, "let the bundle's policies call http.send and net.* builtins")
	return cmd
}

func printBundleInfo(s *streams, info *engine.BundleInfo) error {
	w := s.out
	rev := info.Revision
	if rev == "" {
		rev = "(none)"
	}
	fmt.Fprintf(w, "Bundle:    %s\nRevision:  %s\nRoots:     %s\n", info.Path, rev, strings.Join(info.Roots, ", "))
	sig := string(info.Signature)
	if info.SignatureKeyID != "" {
		sig += " (key id " + info.SignatureKeyID + ")"
	}
	if info.SignatureError != "" {
		sig += ": " + info.SignatureError
	}
	fmt.Fprintf(w, "Signature: %s\n", sig)
	fmt.Fprintf(w, "\nFiles:\n")
	for _, f := range info.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "\nRules:\n")
	if info.CompileProblems != "" {
		fmt.Fprintf(w, "  (the bundle does not load: %s)\n", info.CompileProblems)
		return nil
	}
	if len(info.Rules) == 0 {
		_, err := fmt.Fprintln(w, "  (none)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tSEVERITY\tPACKAGE\tTITLE")
	for _, r := range info.Rules {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.TrimPrefix(r.Package, "data."), r.Title)
	}
	return tw.Flush()
}
