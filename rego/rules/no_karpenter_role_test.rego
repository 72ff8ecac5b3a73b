package karpgate.rules.no_karpenter_role_test

import data.karpgate.rules.no_karpenter_role as rule

test_deny_roles_without_karpenter if {
	findings := rule.deny with input as {"iam": {"roles": [{"address": "aws_iam_role.lambda", "karpenter": {"detected": false, "by": []}}]}}
	count(findings) == 1
	some f in findings
	contains(f.message, "aws_iam_role.lambda")
}

test_allow_karpenter_present if {
	count(rule.deny) == 0 with input as {"iam": {"roles": [
		{"address": "aws_iam_role.lambda", "karpenter": {"detected": false}},
		{"address": "aws_iam_role.karpenter", "karpenter": {"detected": true}},
	]}}
}

test_deny_no_roles if {
	findings := rule.deny with input as {"iam": {"roles": []}}
	count(findings) == 1
	some f in findings
	contains(f.message, "no IAM role")
}
