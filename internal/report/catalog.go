package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/karpgate/karpgate/internal/findings"
)

// Catalog renders the rule catalog: every rule as a table, as JSON or as the Markdown reference
// page (docs/rules.md), or one rule explained in full. Like the result writers it is stateless and
// deterministic: rules are printed in the order given.
type Catalog struct {
	// Format is "text" (the default when empty), "json" or "markdown".
	Format string
	// ExplainHint closes the text table, telling the reader how to see one rule in full in the
	// words of the program that runs the writer; "" leaves it out.
	ExplainHint string
	// GeneratedBy opens the Markdown page under its title: how the page is made and remade, in the
	// words of the program that runs the writer; "" leaves it out.
	GeneratedBy string
}

// CatalogFormats lists the formats Catalog accepts.
func CatalogFormats() []string { return []string{"text", "json", "markdown"} }

// Lookup finds a rule by its ID (any case) or its exact name.
func Lookup(rules []findings.Rule, idOrName string) (findings.Rule, bool) {
	want := strings.ToUpper(idOrName)
	for _, r := range rules {
		if strings.ToUpper(r.ID) == want || r.Name == idOrName {
			return r, true
		}
	}
	return findings.Rule{}, false
}

// Write renders the whole catalog.
func (c Catalog) Write(w io.Writer, rules []findings.Rule) error {
	switch c.Format {
	case "", "text":
		return c.table(w, rules)
	case "json":
		return encodeIndented(w, rules)
	case "markdown":
		return c.markdown(w, rules)
	}
	return fmt.Errorf("unknown catalog format %q (want one of %s)", c.Format, strings.Join(CatalogFormats(), ", "))
}

// Explain renders one rule in full: its title, severity, package, description, how to fix it and
// its references (in Markdown, the rule's section of the reference page).
func (c Catalog) Explain(w io.Writer, r findings.Rule) error {
	switch c.Format {
	case "", "text":
		return explainRule(w, r)
	case "json":
		return encodeIndented(w, r)
	case "markdown":
		var b strings.Builder
		markdownRule(&b, r)
		_, err := io.WriteString(w, strings.TrimPrefix(b.String(), "\n"))
		return err
	}
	return fmt.Errorf("unknown catalog format %q (want one of %s)", c.Format, strings.Join(CatalogFormats(), ", "))
}

func (c Catalog) table(w io.Writer, rules []findings.Rule) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if c.ExplainHint == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "\n%s\n", c.ExplainHint)
	return err
}

func explainRule(w io.Writer, r findings.Rule) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", r.ID, r.Title)
	fmt.Fprintf(&b, "Severity: %s\nPackage:  %s\n\n", r.Severity, r.Package)
	fmt.Fprintf(&b, "%s\n\n", wrapKeepingIndent(strings.TrimSpace(r.Description), 100))
	fmt.Fprintf(&b, "How to fix:\n%s\n", indentLines(wrapKeepingIndent(strings.TrimRight(r.Remediation, "\n"), 96), "  "))
	if len(r.Related) > 0 {
		b.WriteString("\nReferences:\n")
		for _, u := range r.Related {
			fmt.Fprintf(&b, "  %s\n", u)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// encodeIndented writes v as JSON indented by two spaces, HTML characters unescaped.
func encodeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// wrapKeepingIndent fills each line of text longer than width to width, every piece keeping the
// line's leading white space; shorter lines stay as written (unlike wrapText, which hangs list
// items).
func wrapKeepingIndent(text string, width int) string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		if len(para) <= width {
			// Short lines stay as written: code (a statement, JSON) keeps its indentation.
			out = append(out, strings.TrimRight(para, " \t"))
			continue
		}
		lead := para[:len(para)-len(strings.TrimLeft(para, " \t"))]
		line := lead
		for _, word := range strings.Fields(para) {
			if line != lead && len(line)+1+len(word) > width {
				out = append(out, line)
				line = lead + word
				continue
			}
			if line != lead {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// indentLines puts prefix before every non-empty line of s.
func indentLines(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		if lines[i] != "" {
			lines[i] = prefix + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// markdown renders the catalog as the reference page docs/rules.md, generated from METADATA so the
// documentation cannot drift from the rules.
func (c Catalog) markdown(w io.Writer, rules []findings.Rule) error {
	var b strings.Builder
	b.WriteString("# karpgate rules\n\n")
	if c.GeneratedBy != "" {
		b.WriteString(c.GeneratedBy + "\n")
	}
	b.WriteString("How karpgate decides is docs/semantics.md; severities map to SARIF levels and\n")
	b.WriteString("security-severity scores (error 8.0-9.0, warning 5.0, note 2.0).\n\n")
	b.WriteString("| id | severity | title |\n|---|---|---|\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, r.Title)
	}
	for _, r := range rules {
		markdownRule(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownRule writes the section of one rule of the reference page, from its heading on.
func markdownRule(b *strings.Builder, r findings.Rule) {
	fmt.Fprintf(b, "\n## %s\n\n**%s** (%s, `%s`)\n\n%s\n\n### How to fix\n\n", r.ID, r.Title, r.Severity, r.Package, strings.TrimSpace(r.Description))
	rem := strings.TrimSpace(r.Remediation)
	if strings.Contains(rem, "\n") {
		fmt.Fprintf(b, "```\n%s\n```\n", rem)
	} else {
		fmt.Fprintf(b, "%s\n", rem)
	}
	if len(r.Related) > 0 {
		b.WriteString("\n### References\n\n")
		for _, u := range r.Related {
			fmt.Fprintf(b, "- <%s>\n", u)
		}
	}
}
