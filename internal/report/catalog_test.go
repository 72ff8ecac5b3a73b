package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/findings"
)

// catalogSample is sample()'s rules plus one whose description needs wrapping and whose
// remediation is code (several lines, indented), the two shapes the text and Markdown forms treat
// specially.
func catalogSample() []findings.Rule {
	rules := sample().Rules
	return append(rules, findings.Rule{
		ID: "KARP099", Name: "long_rule", Title: "A rule with a long description", Severity: findings.Warning, Package: "data.karpgate.rules.long_rule",
		Description: strings.Repeat("Karpenter's controller makes many requests, and each one is checked against every policy layer. ", 4),
		Remediation: "Add this statement:\n\nstatement {\n  sid     = \"AllowScopedResourceTagging\"\n  actions = [\"ec2:CreateTags\"]\n}\n",
		Related:     []string{"https://karpenter.sh/docs/reference/cloudformation/"},
	})
}

func TestCatalogGolden(t *testing.T) {
	for _, format := range CatalogFormats() {
		t.Run(format, func(t *testing.T) {
			c := Catalog{Format: format, ExplainHint: "karpgate rules ID explains a rule in full."}
			var all, one bytes.Buffer
			if err := c.Write(&all, catalogSample()); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, filepath.Join("testdata", "golden", "catalog."+format), all.Bytes())
			r, ok := Lookup(catalogSample(), "KARP099")
			if !ok {
				t.Fatal("Lookup does not find KARP099")
			}
			if err := c.Explain(&one, r); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, filepath.Join("testdata", "golden", "catalog-rule."+format), one.Bytes())
		})
	}
}

func TestCatalogTextHintIsTheCallersWords(t *testing.T) {
	var with, without bytes.Buffer
	if err := (Catalog{ExplainHint: "run explain-it ID"}).Write(&with, catalogSample()); err != nil {
		t.Fatal(err)
	}
	if err := (Catalog{}).Write(&without, catalogSample()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(with.String(), "\n\nrun explain-it ID\n") {
		t.Errorf("the hint is not the last line:\n%s", with.String())
	}
	if strings.Contains(without.String(), "karpgate") || !strings.HasSuffix(without.String(), "KARP099  warning   A rule with a long description\n") {
		t.Errorf("without a hint the table should end at its last row:\n%s", without.String())
	}
}

func TestCatalogLookupByIDInAnyCaseOrByName(t *testing.T) {
	rules := catalogSample()
	for _, key := range []string{"KARP014", "karp014", "tag_bypass"} {
		if r, ok := Lookup(rules, key); !ok || r.ID != "KARP014" {
			t.Errorf("Lookup(%q) = %s, %v; want KARP014", key, r.ID, ok)
		}
	}
	for _, key := range []string{"KARP999", "TAG_BYPASS", ""} {
		if r, ok := Lookup(rules, key); ok {
			t.Errorf("Lookup(%q) found %s", key, r.ID)
		}
	}
}

func TestCatalogUnknownFormatIsAnError(t *testing.T) {
	var buf bytes.Buffer
	c := Catalog{Format: "yaml"}
	if err := c.Write(&buf, catalogSample()); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("Write: err = %v", err)
	}
	if err := c.Explain(&buf, catalogSample()[0]); err == nil {
		t.Error("Explain: no error for an unknown format")
	}
	if buf.Len() != 0 {
		t.Errorf("an unknown format wrote %q", buf.String())
	}
}
