package source

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Policy forms PolicyForm returns: how a policy's text is written.
const (
	FormPolicyDocument = "policy_document" // a reference to a data "aws_iam_policy_document"
	FormJSONEncode     = "jsonencode"      // jsonencode({...})
	FormJSON           = "json"            // a string or heredoc of JSON, or a JSON file read with file()/templatefile()
)

// maxFormDepth bounds how many locals PolicyForm follows.
const maxFormDepth = 8

// PolicyForm says how the policy text of attribute attr of the resource at addr is written in the
// sources: FormPolicyDocument, FormJSONEncode or FormJSON, following locals of the same module.
// attr is a plain attribute ("policy") or one of a nested block ("inline_policy[0].policy"). It
// returns "" when the block is not in the indexed sources (a registry module not vendored) or the
// expression is anything else (a variable, a conditional between forms, a function it does not
// know).
func (m *Map) PolicyForm(addr, attr string) string {
	a, err := parseAddress(addr)
	if err != nil || a.resource == "" {
		return ""
	}
	mod := m.modules[m.dir]
	if mod == nil {
		return ""
	}
	for i, name := range a.modules {
		c, ok := mod.calls[name]
		if !ok {
			return ""
		}
		dir, _, _ := m.resolve(nil, mod, c, a.modules[:i+1])
		if dir == "" {
			return ""
		}
		if mod = m.modules[dir]; mod == nil {
			return ""
		}
	}
	b, ok := mod.resources[a.resource]
	if !ok {
		return ""
	}
	body := b.b.Body
	if blockName, rest, nested := strings.Cut(attr, "."); nested {
		blockName, _, _ = strings.Cut(blockName, "[")
		var inner *hclsyntax.Body
		for _, nb := range body.Blocks {
			if nb.Type == blockName {
				inner = nb.Body
				break
			}
		}
		if inner == nil {
			return ""
		}
		body, attr = inner, rest
	}
	at, ok := body.Attributes[attr]
	if !ok {
		return ""
	}
	return exprForm(mod, at.Expr, 0)
}

// exprForm classifies one expression; references to locals are followed.
func exprForm(mod *module, e hclsyntax.Expression, depth int) string {
	if depth > maxFormDepth {
		return ""
	}
	switch e := e.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		t := e.Traversal
		switch {
		case len(t) >= 3 && t.RootName() == "data" && attrName(t[1]) == policyDocument:
			return FormPolicyDocument
		case len(t) >= 2 && t.RootName() == "local":
			if l, ok := mod.locals[attrName(t[1])]; ok {
				return exprForm(mod, l.a.Expr, depth+1)
			}
		}
	case *hclsyntax.FunctionCallExpr:
		switch e.Name {
		case "jsonencode":
			return FormJSONEncode
		case "file", "templatefile":
			return FormJSON
		}
	case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr:
		return FormJSON
	case *hclsyntax.LiteralValueExpr:
		if _, ok := literalString(e); ok {
			return FormJSON
		}
	case *hclsyntax.ParenthesesExpr:
		return exprForm(mod, e.Expression, depth+1)
	case *hclsyntax.ConditionalExpr:
		// Both results written the same way: that way.
		if t := exprForm(mod, e.TrueResult, depth+1); t != "" && t == exprForm(mod, e.FalseResult, depth+1) {
			return t
		}
	}
	return ""
}
