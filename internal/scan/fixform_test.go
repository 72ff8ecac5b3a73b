package scan

import (
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/karpgate/karpgate/internal/findings"
)

func TestExpressionForm(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    tfjson.ExpressionData
		want string
	}{
		{"a constant string (heredoc or quoted JSON)", tfjson.ExpressionData{ConstantValue: `{"Statement": []}`}, findings.FormJSON},
		{"a policy document", tfjson.ExpressionData{References: []string{"data.aws_iam_policy_document.x[0].json", "data.aws_iam_policy_document.x[0]", "data.aws_iam_policy_document.x"}}, findings.FormPolicyDocument},
		{"jsonencode with references", tfjson.ExpressionData{References: []string{"local.partition", "local.region"}}, ""},
		{"a document chosen by a variable", tfjson.ExpressionData{References: []string{"var.extra", "data.aws_iam_policy_document.x.json"}}, ""},
		{"no references and no constant (a function call)", tfjson.ExpressionData{}, ""},
		{"a constant that is not a string", tfjson.ExpressionData{ConstantValue: map[string]any{}}, ""},
	} {
		if got := expressionForm(&tfjson.Expression{ExpressionData: &tc.e}); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestUseFormsPicksThePolicysForm(t *testing.T) {
	fs := []findings.Finding{
		{RuleID: "A", Address: "aws_iam_role_policy.x", Fix: "neutral", FixForms: map[string]string{findings.FormJSON: "json", findings.FormPolicyDocument: "document"}},
		{RuleID: "B", Address: "aws_iam_role.r", Statement: &findings.StatementRef{Policy: "aws_iam_role.r", Attribute: "inline_policy[0].policy"}, Fix: "neutral", FixForms: map[string]string{findings.FormJSON: "json"}},
		{RuleID: "C", Address: "aws_iam_policy.unknown", Fix: "neutral", FixForms: map[string]string{findings.FormJSON: "json"}},
	}
	useForms(fs, map[string]string{
		formKey("aws_iam_role_policy.x", "policy"):           findings.FormPolicyDocument,
		formKey("aws_iam_role.r", "inline_policy[0].policy"): findings.FormJSON,
	})
	for i, want := range []struct{ fix, form string }{{"document", findings.FormPolicyDocument}, {"json", findings.FormJSON}, {"neutral", ""}} {
		if fs[i].Fix != want.fix || fs[i].FixForm != want.form {
			t.Errorf("%s: fix %q form %q, want %q %q", fs[i].RuleID, fs[i].Fix, fs[i].FixForm, want.fix, want.form)
		}
	}
}
