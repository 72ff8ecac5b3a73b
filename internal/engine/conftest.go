package engine

// conftest compatibility: rules in conftest namespaces (main, or one the user names) are evaluated in a
// query of their own whose input is the plan itself, exactly as `conftest test plan.json` gives it
// (karpgate's own rules keep input.iam / input.plan / input.run), with conftest's exceptions
// (data.<ns>.exception) and the Rego version the user picks (v1 by default).

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/karpgate/karpgate/internal/findings"
)

// ParseRegoVersion reads a Rego version name: "v1" (the default, also for "") or "v0".
func ParseRegoVersion(s string) (ast.RegoVersion, error) {
	switch s {
	case "", "v1":
		return ast.RegoV1, nil
	case "v0":
		return ast.RegoV0, nil
	}
	return ast.RegoUndefined, fmt.Errorf("rego version %q is not v0 or v1", s)
}

// splitRefs separates the refs of karpgate's own rules from those of conftest rules.
func splitRefs(byPkg map[string]findings.Rule) (native, conftest map[string]findings.Rule) {
	native, conftest = map[string]findings.Rule{}, map[string]findings.Rule{}
	for ref, r := range byPkg {
		if strings.HasPrefix(ref, nativeRoot) {
			native[ref] = r
		} else {
			conftest[ref] = r
		}
	}
	return native, conftest
}

// conftestNamespaces returns the packages (without "data.") that hold conftest rules.
func conftestNamespaces(conftest map[string]findings.Rule) map[string]bool {
	ns := map[string]bool{}
	for _, r := range conftest {
		ns[strings.TrimPrefix(r.Package, "data.")] = true
	}
	return ns
}

// outsideNamespaces returns the modules whose package is not one of ns: the modules whose
// references to input mean karpgate's input document.
func outsideNamespaces(mods map[string]*ast.Module, ns map[string]bool) map[string]*ast.Module {
	out := map[string]*ast.Module{}
	for name, m := range mods {
		if !ns[strings.TrimPrefix(m.Package.Path.String(), "data.")] {
			out[name] = m
		}
	}
	return out
}

// exceptionName is the name conftest matches exceptions against: the rule name without its
// deny_, violation_ or warn_ prefix ("" for a bare deny, violation or warn).
func exceptionName(rule string) string {
	if rule == "deny" || rule == "violation" || rule == "warn" {
		return ""
	}
	for _, p := range []string{"violation_", "deny_", "warn_"} {
		if s, ok := strings.CutPrefix(rule, p); ok {
			return s
		}
	}
	return rule
}

// hasException reports whether a module of package pkg ("data.main") defines an exception rule.
func hasException(c *ast.Compiler, pkg string) bool {
	for _, m := range c.Modules {
		if m.Package.Path.String() != pkg {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() == "exception" || (len(r.Head.Reference) > 0 && r.Head.Reference[0].String() == "exception") {
				return true
			}
		}
	}
	return false
}

// buildConftestQuery returns one query that collects [ref, finding, excepted] triples for every
// conftest rule: excepted is conftest's exception query for the rule,
// data.<ns>.exception[_][_] == "<name>", which exempts all of the rule's results.
func buildConftestQuery(c *ast.Compiler, refs map[string]findings.Rule) string {
	parts := make([]string, 0, len(refs))
	for _, ref := range sortedKeys(refs) {
		r := refs[ref]
		rname := strings.TrimPrefix(ref, r.Package+".")
		ex := "false"
		if hasException(c, r.Package) {
			ex = fmt.Sprintf("count([1 | %s.exception[_][_] == %q]) > 0", r.Package, exceptionName(rname))
		}
		parts = append(parts, fmt.Sprintf("[[%q, f, x] | some f in %s; x := %s]", ref, ref, ex))
	}
	if len(parts) == 0 {
		return "results := []"
	}
	return "results := array.concat(" + nestConcat(parts) + ")"
}

// evalConftest evaluates the conftest rules with the plan as input. Results of a rule with a
// matching exception are kept, suppressed, as conftest counts them ("N exceptions").
func (e *Engine) evalConftest(ctx context.Context, input ast.Value) ([]findings.Finding, error) {
	obj, ok := input.(ast.Object)
	var plan *ast.Term
	if ok {
		plan = obj.Get(ast.InternedTerm("plan"))
	}
	if plan == nil {
		return nil, &PolicyError{Problem: "evaluate: conftest policies need the plan as input, and the input has no plan"}
	}
	rs, err := e.cpq.Eval(ctx, rego.EvalParsedInput(plan.Value))
	if err != nil {
		return nil, e.evalError(ctx, err)
	}
	return e.collect(rs, true)
}

// conftestSuppression is the suppression of a result exempted by a conftest exception.
func conftestSuppression(ref string, rule findings.Rule) *findings.Suppression {
	ns := strings.TrimPrefix(rule.Package, "data.")
	name := exceptionName(strings.TrimPrefix(ref, rule.Package+"."))
	return &findings.Suppression{Kind: "exception", Reason: fmt.Sprintf("conftest exception %q in data.%s.exception", name, ns)}
}

// v0Hint marks a v1 parse error that Rego v0 syntax causes (deny[msg] { ... }) with HintRegoV0,
// which the caller words as its own setting.
func v0Hint(err error, v ast.RegoVersion) error {
	var pe *PolicyError
	if v == ast.RegoV0 || !errors.As(err, &pe) {
		return err
	}
	if strings.Contains(pe.Problem, "keyword is required") || strings.Contains(pe.Problem, "`if` keyword") {
		pe.Hint = HintRegoV0
	}
	return err
}
