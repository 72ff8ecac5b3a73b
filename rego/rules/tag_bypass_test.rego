package karpgate.rules.tag_bypass_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.tag_bypass as rule

_one_policy(doc) := fx.input_for([fx.known(fx.policy_address, doc)])

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_input
}

test_allow_upstream_split if {
	count(rule.deny) == 0 with input as fx.input_for(fx.upstream_split)
}

test_deny_common_fix_exactly_once if {
	findings := rule.deny with input as _one_policy(fx.with_statements(fx.v033, [fx.common_fix]))
	count(findings) == 1
	some f in findings
	f.rule == "KARP014"
	f.statement.sid == "AllowKarpenterV1Tagging"
	contains(f.message, "arn:aws:ec2:eu-west-1:123456789012:instance/i-0fedcba9876543210")
	contains(f.message, "StringEquals aws:ResourceTag/kubernetes.io/cluster/ex = owned")
	contains(f.message, "StringLike aws:ResourceTag/karpenter.sh/nodepool = *")
	contains(f.fix, `variable = "aws:ResourceTag/kubernetes.io/cluster/ex"`)
	contains(f.fix, `"aws:ResourceTag/karpenter.sh/nodepool": "*"`)
}

test_allow_common_fix_with_ownership_conditions if {
	fixed := object.union(fx.common_fix, {"Condition": {
		"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:ResourceTag/kubernetes.io/cluster/ex": "owned"},
		"StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
	}})
	count(rule.deny) == 0 with input as _one_policy(fx.with_statements(fx.v033, [fixed]))
}

test_deny_v19 if {
	count(rule.deny) == 1 with input as _one_policy(fx.v19)
}

test_allow_deny_on_foreign_instances if {
	guard := {
		"Sid": "DenyTaggingUnowned", "Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:*:*:instance/*",
		"Condition": {"Null": {"aws:ResourceTag/kubernetes.io/cluster/ex": "true"}, "StringNotLike": {"ec2:CreateAction": "*"}},
	}
	count(rule.deny) == 0 with input as _one_policy(fx.with_statements(fx.v033, [fx.common_fix, guard]))
}
