package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// plainBool wraps a bool flag's value without pflag's IsBoolFlag, so that help prints
// "--quiet" rather than "--quiet[=true|false]"; NoOptDefVal "true" keeps "--quiet" (and
// "--quiet=false") working.
type plainBool struct{ pflag.Value }

// plainBoolFlags rewrites every bool flag of cmd and its subcommands.
func plainBoolFlags(cmd *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		if f.Value.Type() == "bool" {
			if _, done := f.Value.(plainBool); !done {
				f.Value = plainBool{f.Value}
				f.NoOptDefVal = "true"
			}
		}
	}
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	cmd.Flags().VisitAll(wrap)
	cmd.PersistentFlags().VisitAll(wrap)
	for _, c := range cmd.Commands() {
		plainBoolFlags(c)
	}
}
