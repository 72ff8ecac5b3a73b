package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
)

func newRules(s *streams) *cobra.Command {
	var asJSON bool
	var pf pipelineFlags
	cmd := &cobra.Command{
		Use:   "rules [ID]",
		Short: "List the rules, or explain one rule in full",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := engine.New(cmd.Context(), engine.Options{Policies: pf.policies, Data: pf.data, Namespaces: pf.namespaces, AllowNet: pf.allowNet})
			if err != nil {
				return err
			}
			return printRules(cmd.Context(), s, eng.Rules(), args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalog as JSON")
	cmd.Flags().StringArrayVar(&pf.policies, "policy", nil, "also list the rules of these user policies")
	cmd.Flags().StringArrayVar(&pf.data, "data", nil, "data for the user policies")
	cmd.Flags().StringArrayVar(&pf.namespaces, "namespace", nil, "conftest namespaces to list")
	return cmd
}

func printRules(_ context.Context, s *streams, rules []findings.Rule, args []string, asJSON bool) error {
	if len(args) == 1 {
		want := strings.ToUpper(args[0])
		for _, r := range rules {
			if strings.ToUpper(r.ID) == want || r.Name == args[0] {
				if asJSON {
					return encodeJSON(s, r)
				}
				return explain(s, r)
			}
		}
		return usageErr(fmt.Errorf("no rule %q (karpgate rules lists them)", args[0]))
	}
	if asJSON {
		return encodeJSON(s, rules)
	}
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(s.out, "\nkarpgate rules ID explains a rule in full.")
	return err
}

func explain(s *streams, r findings.Rule) error {
	w := s.out
	fmt.Fprintf(w, "%s: %s\n\n", r.ID, r.Title)
	fmt.Fprintf(w, "Severity: %s\nPackage:  %s\n\n", r.Severity, r.Package)
	fmt.Fprintf(w, "%s\n\n", wrap(r.Description, 100))
	fmt.Fprintf(w, "How to fix:\n%s\n", indent(wrap(r.Remediation, 96), "  "))
	if len(r.Related) > 0 {
		fmt.Fprintf(w, "\nReferences:\n")
		for _, u := range r.Related {
			fmt.Fprintf(w, "  %s\n", u)
		}
	}
	return nil
}

func encodeJSON(s *streams, v any) error {
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func wrap(text string, width int) string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		line := ""
		for _, word := range words {
			if line != "" && len(line)+1+len(word) > width {
				out = append(out, line)
				line = word
				continue
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}
