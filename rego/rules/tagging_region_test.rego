package karpgate.rules.tagging_region_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.tagging_region as rule

_one_policy(doc) := fx.input_for([fx.known(fx.policy_address, doc)])

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_input
	count(rule.open) == 0 with input as fx.upstream_input
}

test_allow_upstream_split if {
	count(rule.deny) == 0 with input as fx.input_for(fx.upstream_split)
}

test_allow_common_fix_with_requested_region if {
	count(rule.deny) == 0 with input as _one_policy(fx.with_statements(fx.v033, [fx.common_fix]))
}

test_deny_common_fix_without_condition if {
	unconditioned := object.remove(fx.common_fix, ["Condition"])
	findings := rule.deny with input as _one_policy(fx.with_statements(fx.v033, [unconditioned]))
	count(findings) == 1
	some f in findings
	f.rule == "KARP002"
	f.statement.sid == "AllowKarpenterV1Tagging"
	f.address == fx.policy_address
	contains(f.message, "arn:aws:ec2:ap-southeast-4:123456789012:instance/i-0123456789abcdef0")
	contains(f.message, "arn:aws:ec2:eu-west-1:*:instance/*")
	contains(f.fix, "AllowScopedResourceTagging")
}

test_deny_v19_create_tags_on_star if {
	findings := rule.deny with input as _one_policy(fx.v19)
	some f in findings
	f.statement.index == 0
	contains(f.message, "statement 0 of module.karpenter.aws_iam_policy.controller[0] (no Sid)")
}

test_allow_deny_outside_region_scopes_a_region_wildcard_allow if {
	unconditioned := object.remove(fx.common_fix, ["Condition"])
	deny_elsewhere := {
		"Sid": "DenyOutsideRegion", "Effect": "Deny", "NotAction": ["iam:*", "pricing:*"], "Resource": "*",
		"Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
	}
	count(rule.deny) == 0 with input as _one_policy(fx.with_statements(fx.upstream_v1, [unconditioned, deny_elsewhere]))
}

test_allow_v033_alone_is_karp001_not_karp002 if {
	# T(R) is not allowed at all: KARP001 reports it, KARP002 stays quiet.
	count(rule.deny) == 0 with input as _one_policy(fx.v033)
}

test_open_region_wildcard_and_unknown_policy if {
	doc_in := fx.input_for([fx.known(fx.policy_address, fx.upstream_v1), fx.unknown("aws_iam_policy.extra")])
	count(rule.deny) == 0 with input as doc_in
	some o in rule.open with input as doc_in
	o.rule == "KARP002"
	some c in o.causes
	c.address == "aws_iam_policy.extra"
}
