package karpgate.rules.example.privilege_escalation_test

import data.karpgate.rules.example.privilege_escalation as rule

_role(detected, statements) := {
	"address": "module.karpenter.aws_iam_role.controller[0]",
	"karpenter": {"detected": detected, "by": ["module"]},
	"policies": [{
		"address": "module.karpenter.aws_iam_policy.controller[0]",
		"attribute": "policy",
		"status": "known",
		"document": {"statements": statements},
	}],
}

_statement(sid, effect, actions) := {
	"index": 0, "sid": sid, "effect": effect, "actions": actions,
	"not_actions": [], "resources": ["*"], "not_resources": [], "conditions": [],
}

_input(role) := {"iam": {"roles": [role]}}

test_deny_iam_wildcard if {
	findings := rule.deny with input as _input(_role(true, [_statement("Admin", "Allow", ["iam:*"])]))
	count(findings) == 1
	some f in findings
	f.address == "module.karpenter.aws_iam_policy.controller[0]"
	f.role == "module.karpenter.aws_iam_role.controller[0]"
	f.statement.sid == "Admin"
	contains(f.message, "iam:attachrolepolicy, iam:createaccesskey")
	contains(f.message, "iam:putrolepolicy")
	contains(f.message, `granted by "iam:*"`)
}

test_deny_named_action_without_sid if {
	findings := rule.deny with input as _input(_role(true, [_statement("", "Allow", ["iam:attachrolepolicy"])]))
	count(findings) == 1
	some f in findings
	contains(f.message, "statement #0")
}

test_deny_star_and_named_action if {
	findings := rule.deny with input as _input(_role(true, [_statement("Mixed", "Allow", ["ec2:createtags", "*", "iam:putrolepolicy"])]))
	count(findings) == 1
	some f in findings
	contains(f.message, `granted by "*", "iam:putrolepolicy"`)
}

test_allow_karpenter_iam_actions if {
	count(rule.deny) == 0 with input as _input(_role(true, [_statement("Iam", "Allow", [
		"iam:createinstanceprofile", "iam:taginstanceprofile", "iam:passrole", "iam:getinstanceprofile",
	])]))
}

test_allow_deny_statement if {
	count(rule.deny) == 0 with input as _input(_role(true, [_statement("NoIam", "Deny", ["iam:*"])]))
}

test_allow_other_roles if {
	count(rule.deny) == 0 with input as _input(_role(false, [_statement("Admin", "Allow", ["*"])]))
}

test_allow_exempt_role if {
	count(rule.deny) == 0 with input as _input(_role(true, [_statement("Admin", "Allow", ["*"])]))
		with data.karpgate.user.acme.exempt_roles as ["module.karpenter.aws_iam_role.controller[0]"]
}

test_allow_policy_without_document if {
	role := object.union(_role(true, []), {"policies": [{"address": "x", "status": "unknown", "document": null}]})
	count(rule.deny) == 0 with input as _input(role)
}
