package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/karpgate/karpgate/internal/findings"
	regofs "github.com/karpgate/karpgate/rego"
)

// conftestRule matches conftest's rule names: deny, violation and warn with optional suffixes.
var conftestRule = regexp.MustCompile(`^(deny|violation|warn)(_[a-zA-Z0-9]+)*$`)

// buildCatalog reads # METADATA for every native rule package (data.karpgate.rules.<name>.deny)
// and every conftest rule of the given namespaces.
func buildCatalog(c *ast.Compiler, namespaces []string) ([]findings.Rule, map[string]findings.Rule, error) {
	annots := map[string]*ast.Annotations{} // by path of the rule or package
	for _, ar := range c.GetAnnotationSet().Flatten() {
		a := ar.Annotations
		key := ar.Path.String()
		if prev, ok := annots[key]; ok && prev.Scope == "rule" {
			continue
		}
		annots[key] = a
	}
	byPkg := map[string]findings.Rule{}
	ids := map[string]string{}
	var errs []error
	rulesRoot := "data." + regofs.Root + ".rules."
	if len(namespaces) == 0 {
		namespaces = []string{"main"}
	}
	for _, name := range sortedModuleNames(c) {
		m := c.Modules[name]
		pkg := m.Package.Path.String()
		// Embedded rules are karpgate.rules.<stem>; user bundles may nest them below their root
		// (karpgate.rules.acme.<name>).
		native := strings.HasPrefix(pkg, rulesRoot) && !strings.HasSuffix(pkg, "_test")
		ns := strings.TrimPrefix(pkg, "data.")
		conftest := pkg != "data."+regofs.Root && !strings.HasPrefix(pkg, "data."+regofs.Root+".") && slices.Contains(namespaces, ns)
		if !native && !conftest {
			continue
		}
		seen := map[string]bool{}
		for _, r := range m.Rules {
			rname := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				rname = r.Head.Reference[0].String()
			}
			if seen[rname] {
				continue
			}
			if native && rname != "deny" {
				continue
			}
			if conftest && !conftestRule.MatchString(rname) {
				continue
			}
			seen[rname] = true
			ref := pkg + "." + rname
			a := annots[ref]
			if a == nil {
				a = annots[pkg]
			}
			rule, err := ruleFrom(a, native, ns, rname, strings.TrimPrefix(pkg, rulesRoot))
			if err != nil {
				errs = append(errs, &PolicyError{File: r.Location.File, Line: r.Location.Row, Problem: err.Error()})
				continue
			}
			rule.Package = pkg
			if other, dup := ids[rule.ID]; dup && other != ref {
				errs = append(errs, &PolicyError{File: r.Location.File, Line: r.Location.Row, Problem: fmt.Sprintf("rule id %s is used by %s too", rule.ID, other)})
				continue
			}
			ids[rule.ID] = ref
			byPkg[ref] = rule
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs[0]
	}
	catalog := make([]findings.Rule, 0, len(byPkg))
	for _, r := range byPkg {
		catalog = append(catalog, r)
	}
	slices.SortFunc(catalog, func(a, b findings.Rule) int { return strings.Compare(a.ID, b.ID) })
	return catalog, byPkg, nil
}

func sortedModuleNames(c *ast.Compiler) []string {
	names := make([]string, 0, len(c.Modules))
	for n := range c.Modules {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ruleFrom turns annotations into a catalog entry. Native rules must carry title, description,
// custom.id, custom.severity and custom.remediation; conftest rules get defaults from their name.
func ruleFrom(a *ast.Annotations, native bool, ns, rname, stem string) (findings.Rule, error) {
	r := findings.Rule{Name: stem, Enabled: true}
	custom := map[string]any{}
	if a != nil {
		r.Title, r.Description = a.Title, a.Description
		for _, rr := range a.RelatedResources {
			if rr != nil {
				r.Related = append(r.Related, rr.Ref.String())
			}
		}
		if a.Custom != nil {
			custom = a.Custom
		}
	}
	str := func(k string) string {
		s, _ := custom[k].(string)
		return s
	}
	r.ID, r.Remediation = str("id"), str("remediation")
	if s := str("security_severity"); s != "" {
		r.SecuritySeverity = s
	}
	if tags, ok := custom["tags"].([]any); ok {
		for _, t := range tags {
			if s, ok := t.(string); ok {
				r.Tags = append(r.Tags, s)
			}
		}
	}
	sev := str("severity")
	if native {
		r.Custom = !strings.HasPrefix(r.ID, "KARP")
		var missing []string
		for k, v := range map[string]string{"title": r.Title, "description": r.Description, "custom.id": r.ID, "custom.severity": sev, "custom.remediation": r.Remediation} {
			if strings.TrimSpace(v) == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return r, fmt.Errorf("rule %s: # METADATA lacks %s", stem, strings.Join(missing, ", "))
		}
	} else {
		r.Custom = true
		r.Name = ns + "/" + rname
		if r.ID == "" {
			r.ID = ns + "/" + rname
		}
		if r.Title == "" {
			r.Title = fmt.Sprintf("conftest rule %s in namespace %s", rname, ns)
		}
		if r.Description == "" {
			r.Description = r.Title
		}
		if sev == "" {
			sev = "error"
			if strings.HasPrefix(rname, "warn") {
				sev = "warning"
			}
		}
	}
	s, err := findings.ParseSeverity(sev)
	if err != nil || s == findings.None {
		return r, fmt.Errorf("rule %s: custom.severity %q is not error, warning or note", r.ID, sev)
	}
	r.Severity = s
	return r, nil
}

// buildQuery returns one query that collects every rule's results as [ref, finding] pairs.
func buildQuery(byPkg map[string]findings.Rule) string {
	refs := make([]string, 0, len(byPkg))
	for ref := range byPkg {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	parts := make([]string, 0, len(refs))
	for _, ref := range refs {
		parts = append(parts, fmt.Sprintf("[[%q, f] | some f in %s]", ref, ref))
	}
	if len(parts) == 0 {
		return "results := []"
	}
	return "results := array.concat(" + nestConcat(parts) + ")"
}

func nestConcat(parts []string) string {
	if len(parts) == 1 {
		return parts[0] + ", []"
	}
	if len(parts) == 2 {
		return parts[0] + ", " + parts[1]
	}
	return parts[0] + ", array.concat(" + nestConcat(parts[1:]) + ")"
}
