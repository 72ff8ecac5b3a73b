package karpgate.rules.trust_policy_test

import data.karpgate.rules.trust_policy as rule

_input(statement) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"karpenter": {"detected": true, "by": ["name"]},
	"trust": {"address": "aws_iam_role.karpenter", "attribute": "assume_role_policy", "document": {"statements": [statement]}},
	"policies": [],
}]}}

_statement(overrides) := object.union(
	{"index": 0, "sid": "", "effect": "Allow", "actions": ["sts:assumerolewithwebidentity"], "not_actions": [], "resources": [], "principals": {}, "conditions": []},
	overrides,
)

_oidc := {"Federated": ["arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"]}

_sub(op, value) := {"operator": op, "base": lower(op), "set": "", "if_exists": false, "key": "oidc.eks.eu-west-1.amazonaws.com/id/abc:sub", "values": [value]}

_aud := {"operator": "StringEquals", "base": "stringequals", "set": "", "if_exists": false, "key": "oidc.eks.eu-west-1.amazonaws.com/id/abc:aud", "values": ["sts.amazonaws.com"]}

test_deny_star_principal if {
	findings := rule.deny with input as _input(_statement({"actions": ["sts:assumerole"], "principals": {"*": ["*"]}}))
	count(findings) == 1
	some f in findings
	not f.severity
	contains(f.message, "principal \"*\"")
}

test_deny_aws_star_principal if {
	count(rule.deny) == 1 with input as _input(_statement({"actions": ["sts:assumerole"], "principals": {"AWS": ["*"]}}))
}

test_allow_star_principal_with_condition if {
	count(rule.deny) == 0 with input as _input(_statement({
		"actions": ["sts:assumerole"], "principals": {"AWS": ["*"]},
		"conditions": [{"operator": "StringEquals", "base": "stringequals", "set": "", "if_exists": false, "key": "aws:principalorgid", "values": ["o-abc"]}],
	}))
}

test_deny_web_identity_without_sub if {
	findings := rule.deny with input as _input(_statement({"principals": _oidc, "conditions": [_aud]}))
	count(findings) == 1
	some f in findings
	contains(f.message, "no condition on <issuer>:sub")
}

test_allow_web_identity_with_exact_sub if {
	count(rule.deny) == 0 with input as _input(_statement({"principals": _oidc, "conditions": [_aud, _sub("StringEquals", "system:serviceaccount:karpenter:karpenter")]}))
}

test_warn_wildcard_service_account if {
	findings := rule.deny with input as _input(_statement({"principals": _oidc, "conditions": [_sub("StringLike", "system:serviceaccount:karpenter:*")]}))
	count(findings) == 1
	some f in findings
	f.severity == "warning"
}

test_warn_wildcard_namespace if {
	findings := rule.deny with input as _input(_statement({"principals": _oidc, "conditions": [_sub("StringLike", "system:serviceaccount:*:karpenter")]}))
	some f in findings
	f.severity == "warning"
}

test_allow_pod_identity if {
	count(rule.deny) == 0 with input as _input(_statement({"actions": ["sts:assumerole", "sts:tagsession"], "principals": {"Service": ["pods.eks.amazonaws.com"]}}))
}

test_allow_sts_wildcard_action_needs_sub if {
	count(rule.deny) == 1 with input as _input(_statement({"actions": ["sts:*"], "principals": _oidc}))
}

test_allow_deny_statement if {
	count(rule.deny) == 0 with input as _input(_statement({"effect": "Deny", "actions": ["sts:assumerole"], "principals": {"*": ["*"]}}))
}

test_allow_unknown_trust if {
	count(rule.deny) == 0 with input as {"iam": {"roles": [{"address": "aws_iam_role.k", "karpenter": {"detected": true}, "trust": {"status": "unknown", "document": null}, "policies": []}]}}
}
