package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/report"
)

func newRules(s *streams) *cobra.Command {
	var asJSON, asMarkdown bool
	var pf pipelineFlags
	cmd := &cobra.Command{
		Use:   "rules [ID]",
		Short: "List the rules, or explain one rule in full",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			verification, err := pf.verify.options()
			if err != nil {
				return err
			}
			rv, err := engine.ParseRegoVersion(pf.regoVersion)
			if err != nil {
				return usageErr(fmt.Errorf("--rego-version: %w", err))
			}
			newEngine := s.newEngine
			if newEngine == nil {
				newEngine = engine.New
			}
			eng, err := newEngine(cmd.Context(), engine.Options{RegoVersion: rv, Policies: pf.policies, Data: pf.data, Bundles: pf.bundles, Verification: verification, Namespaces: pf.namespaces, AllowNet: pf.allowNet})
			if err != nil {
				return err
			}
			format := "text"
			switch {
			case asMarkdown:
				format = "markdown"
			case asJSON:
				format = "json"
			}
			return printRules(s, eng.Rules(), args, format)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalog as JSON")
	cmd.Flags().BoolVar(&asMarkdown, "markdown", false, "print the catalog as Markdown (docs/rules.md)")
	cmd.Flags().StringArrayVar(&pf.policies, "policy", nil, "also list the rules of these user policies")
	cmd.Flags().StringArrayVar(&pf.data, "data", nil, "data for the user policies")
	cmd.Flags().StringArrayVar(&pf.namespaces, "namespace", nil, "conftest namespaces to list")
	cmd.Flags().StringVar(&pf.regoVersion, "rego-version", "v1", "Rego syntax of --policy files: v1 or v0")
	cmd.Flags().StringArrayVar(&pf.bundles, "bundle", nil, "also list the rules of these OPA bundles (directory or .tar.gz; repeatable)")
	pf.verify.register(cmd)
	cmd.Flags().BoolVar(&pf.allowNet, "allow-net", false, "let user policies call http.send and net.* builtins")
	return cmd
}

// printRules prints the whole catalog, or one rule in full when an ID is given (the Markdown page
// is always whole: it is docs/rules.md).
func printRules(s *streams, rules []findings.Rule, args []string, format string) error {
	c := report.Catalog{Format: format, ExplainHint: "karpgate rules ID explains a rule in full."}
	if len(args) == 0 || format == "markdown" {
		return c.Write(s.out, rules)
	}
	r, ok := report.Lookup(rules, args[0])
	if !ok {
		return usageErr(fmt.Errorf("no rule %q (karpgate rules lists them)", args[0]))
	}
	return c.Explain(s.out, r)
}

// encodeJSON prints v as indented JSON, as the commands that print a document do.
func encodeJSON(s *streams, v any) error {
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// indent puts prefix before every non-empty line of text.
func indent(text, prefix string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		if lines[i] != "" {
			lines[i] = prefix + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}
