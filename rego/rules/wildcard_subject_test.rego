package karpgate.rules.wildcard_subject_test

import data.karpgate.rules.wildcard_subject as rule

_input(conditions) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"karpenter": {"detected": true, "by": ["irsa"]},
	"trust": {"address": "aws_iam_role.karpenter", "attribute": "assume_role_policy", "status": "known", "document": {"statements": [{
		"index": 0, "sid": "Irsa", "effect": "Allow", "actions": ["sts:assumerolewithwebidentity"], "not_actions": [], "resources": [],
		"principals": {"Federated": ["arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"]},
		"conditions": conditions,
	}]}},
	"policies": [],
}]}}

_sub(op, value) := {"operator": op, "base": lower(op), "set": "", "if_exists": false, "key": "oidc.eks.eu-west-1.amazonaws.com/id/abc:sub", "values": [value]}

test_warn_wildcard_service_account if {
	findings := rule.deny with input as _input([_sub("StringLike", "system:serviceaccount:karpenter:*")])
	count(findings) == 1
	some f in findings
	contains(f.message, "system:serviceaccount:karpenter:*")
}

test_warn_wildcard_namespace if {
	count(rule.deny) == 1 with input as _input([_sub("StringLike", "system:serviceaccount:*:karpenter")])
}

test_allow_exact if {
	count(rule.deny) == 0 with input as _input([_sub("StringEquals", "system:serviceaccount:kube-system:karpenter")])
}

# sub = * admits the attacker: KARP013, not this warning.
test_allow_star_left_to_karp013 if {
	count(rule.deny) == 0 with input as _input([_sub("StringLike", "*")])
}

test_allow_any_service_account_left_to_karp013 if {
	count(rule.deny) == 0 with input as _input([_sub("StringLike", "system:serviceaccount:*:*")])
}
