package karpgate.rules.wildcard_action_test

import data.karpgate.rules.wildcard_action as rule

_statement(overrides) := object.union(
	{"index": 0, "sid": "", "effect": "Allow", "actions": [], "not_actions": [], "resources": ["*"], "not_resources": [], "conditions": []},
	overrides,
)

_input(statement, detected) := {"iam": {"roles": [{
	"address": "module.karpenter.aws_iam_role.controller[0]",
	"karpenter": {"detected": detected, "by": ["module"]},
	"policies": [{
		"address": "module.karpenter.aws_iam_policy.controller[0]",
		"attribute": "policy",
		"document": {"statements": [statement]},
	}],
}]}}

test_deny_service_wildcard if {
	findings := rule.deny with input as _input(_statement({"actions": ["ec2:*"]}), true)
	count(findings) == 1
	some f in findings
	contains(f.message, "\"ec2:*\"")
	contains(f.message, "#0")
	f.address == "module.karpenter.aws_iam_policy.controller[0]"
}

test_deny_star if {
	count(rule.deny) == 1 with input as _input(_statement({"actions": ["*"], "sid": "Admin"}), true)
}

test_deny_partial_wildcard_create if {
	count(rule.deny) == 1 with input as _input(_statement({"actions": ["ec2:create*"]}), true)
}

test_deny_partial_wildcard_suffix if {
	count(rule.deny) == 1 with input as _input(_statement({"actions": ["ec2:*tags"]}), true)
}

test_deny_not_action if {
	findings := rule.deny with input as _input(_statement({"not_actions": ["iam:*"]}), true)
	count(findings) == 1
	some f in findings
	contains(f.message, "NotAction")
}

test_allow_read_only_wildcards if {
	count(rule.deny) == 0 with input as _input(_statement({"actions": ["ec2:describe*", "iam:list*", "ssm:get*"]}), true)
}

test_allow_exact_actions if {
	count(rule.deny) == 0 with input as _input(_statement({"actions": ["ec2:createtags", "ec2:runinstances"]}), true)
}

test_allow_deny_statement_with_wildcard if {
	count(rule.deny) == 0 with input as _input(_statement({"effect": "Deny", "actions": ["*"]}), true)
}

test_allow_not_karpenter_role if {
	count(rule.deny) == 0 with input as _input(_statement({"actions": ["*"]}), false)
}

test_allow_unknown_policy_without_document if {
	count(rule.deny) == 0 with input as {"iam": {"roles": [{
		"address": "aws_iam_role.k",
		"karpenter": {"detected": true},
		"policies": [{"address": "aws_iam_policy.k", "attribute": "policy", "status": "unknown", "document": null}],
	}]}}
}
