package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// streams are the process's standard streams, passed down instead of read from globals.
type streams struct {
	in       io.Reader
	out, err io.Writer
	isTTY    bool
}

// Run executes karpgate with args and returns the process exit code. Only main calls os.Exit.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{in: stdin, out: stdout, err: stderr, isTTY: isTerminal(stdout)}
	root := newRoot(s)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitPass
	}
	code := codeOf(err)
	msg := strings.TrimSpace(err.Error())
	if code == ExitPolicy {
		return code
	}
	fmt.Fprintf(stderr, "karpgate: %s\n", message(err))
	if code == ExitUsage && cmd != nil && isFlagError(msg) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

func firstLine(s string) string {
	line, rest, _ := strings.Cut(s, "\n")
	if rest != "" {
		return line + " (and more)"
	}
	return line
}

func isFlagError(msg string) bool {
	for _, p := range []string{"unknown flag", "unknown shorthand", "flag needs", "invalid argument", "accepts ", "requires at least", "unknown command"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRoot(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "karpgate",
		Short: "Gate Terraform plans on the Karpenter controller's IAM permissions",
		Long: `karpgate reads what 'terraform show -json' prints, finds the Karpenter controller role and every
policy that reaches it, and simulates the requests Karpenter makes against the role's effective
policy with embedded Rego rules. It tells you, before apply, which call would fail with
UnauthorizedOperation and which statement fixes it, and which grants reach further than Karpenter needs.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(newScan(s), newRules(s), newFacts(s), newVersion(s), newServe(s), newBundle(s), newTest(s), newChild(s))
	plainBoolFlags(root)
	return root
}

func newVersion(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print karpgate's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(s.out, "karpgate %s\n", version())
			return err
		},
	}
}
