package karpgate.rules.default_quota_test

import data.karpgate.rules.default_quota as rule

_managed(i) := {"address": sprintf("aws_iam_policy.p%d", [i]), "attribute": "policy", "kind": "managed", "status": "known", "size": 100}

_external(i) := {
	"address": sprintf("aws_iam_role_policy_attachment.x%d", [i]),
	"attribute": "policy_arn",
	"kind": "external",
	"status": "external",
	"arn": sprintf("arn:aws:iam::aws:policy/P%d", [i]),
}

_with(policies, trust_size) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"karpenter": {"detected": true},
	"trust": {"address": "aws_iam_role.karpenter", "attribute": "assume_role_policy", "kind": "trust", "status": "known", "size": trust_size},
	"policies": policies,
}]}}

# External (AWS managed) policies count as well.
test_warn_11_managed_policies if {
	policies := array.concat([_managed(i) | some i in numbers.range(1, 8)], [_external(i) | some i in numbers.range(1, 3)])
	findings := rule.deny with input as _with(policies, 300)
	count(findings) == 1
	some f in findings
	contains(f.message, "11 managed policies")
	contains(f.message, "default quota of 10")
}

test_allow_10_managed_policies if {
	count(rule.deny) == 0 with input as _with([_managed(i) | some i in numbers.range(1, 10)], 300)
}

# One policy attached through two attachments counts once.
test_same_arn_counts_once if {
	policies := array.concat(
		[_managed(i) | some i in numbers.range(1, 9)],
		[_external(1), object.union(_external(1), {"address": "aws_iam_policy_attachment.dup"})],
	)
	count(rule.deny) == 0 with input as _with(policies, 300)
}

# Over 20 is KARP022's hard limit, not this warning.
test_allow_21_left_to_karp022 if {
	count(rule.deny) == 0 with input as _with([_managed(i) | some i in numbers.range(1, 21)], 300)
}

test_warn_trust_over_2048 if {
	findings := rule.deny with input as _with([], 2049)
	count(findings) == 1
	some f in findings
	contains(f.message, "2049 characters")
}

test_allow_trust_at_2048 if {
	count(rule.deny) == 0 with input as _with([], 2048)
}

test_allow_unknown_trust_size if {
	count(rule.deny) == 0 with input as _with([], null)
}
