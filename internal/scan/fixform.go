package scan

import (
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/plan"
)

// policyForms reads from the plan's configuration how the policy text of every policy that reaches
// a Karpenter role is written, by address and attribute (formKey): a reference to a data
// "aws_iam_policy_document" is that form, a constant string JSON. The configuration cannot tell
// jsonencode(...) from other expressions (Terraform records only their references), so those stay
// unknown here; the .tf sources tell (internal/source PolicyForm), when the CLI has them. It runs
// before the evaluation so that the parsed plan is not kept alive for it.
func policyForms(p *plan.Plan, iam *facts.IAM) map[string]string {
	var out map[string]string
	for _, r := range iam.Roles {
		if !r.Karpenter.Detected {
			continue
		}
		for _, e := range r.Policies {
			if e == nil || e.Address == "" || e.Attribute == "" {
				continue
			}
			k := formKey(e.Address, e.Attribute)
			if _, done := out[k]; done {
				continue
			}
			if form := configForm(p, e.Address, e.Attribute); form != "" {
				if out == nil {
					out = map[string]string{}
				}
				out[k] = form
			}
		}
	}
	return out
}

func formKey(addr, attr string) string { return addr + "\x00" + attr }

// configForm classifies the configuration expression of attr ("policy", "inline_policy[0].policy").
func configForm(p *plan.Plan, addr, attr string) string {
	name, rest, nested := strings.Cut(attr, ".")
	if nested {
		name, _, _ = strings.Cut(name, "[")
	}
	e := p.Expression(addr, name)
	if e == nil {
		return ""
	}
	if nested {
		if len(e.NestedBlocks) != 1 {
			return ""
		}
		e = e.NestedBlocks[0][rest]
		if e == nil || e.ExpressionData == nil {
			return ""
		}
	}
	return expressionForm(e)
}

func expressionForm(e *tfjson.Expression) string {
	if _, ok := e.ConstantValue.(string); ok {
		return findings.FormJSON
	}
	if len(e.References) == 0 {
		return ""
	}
	for _, ref := range e.References {
		if !strings.HasPrefix(ref, "data.aws_iam_policy_document.") {
			return ""
		}
	}
	return findings.FormPolicyDocument
}

// useForms gives each finding with fixes in several forms the one for its policy's form, when the
// configuration told it.
func useForms(fs []findings.Finding, forms map[string]string) {
	for i := range fs {
		f := &fs[i]
		if len(f.FixForms) == 0 {
			continue
		}
		addr, attr := f.PolicyText()
		f.UseForm(forms[formKey(addr, attr)])
	}
}
