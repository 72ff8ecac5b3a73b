package karpgate.rules.unscoped_resource_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.unscoped_resource as rule

_one_policy(doc) := fx.input_for([fx.known(fx.policy_address, doc)])

_only(statements) := _one_policy({"Version": "2012-10-17", "Statement": statements})

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_input
}

test_allow_upstream_split if {
	# iam:ListInstanceProfiles and arc-zonal-shift:GetManagedResource on "*" are read-only.
	count(rule.deny) == 0 with input as fx.input_for(fx.upstream_split)
}

test_allow_v033_instance_profile_statements_on_star_are_tag_scoped if {
	count(rule.deny) == 0 with input as _one_policy(fx.v033)
}

test_deny_v19_statement_part if {
	findings := rule.deny with input as _one_policy(fx.v19)
	count(findings) == 1
	some f in findings
	f.rule == "KARP011"
	f.statement.index == 0
	contains(f.message, "ec2:createtags")
	contains(f.message, "ec2:createfleet")
	not contains(f.message, "describe")
	not contains(f.message, "pricing")
	contains(f.message, `on "*"`)
}

test_deny_resource_part_star if {
	findings := rule.deny with input as _only([{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "arn:aws:ec2:eu-west-1:123456789012:*"}])
	count(findings) == 1
	some f in findings
	contains(f.message, "terminating arn:aws:ec2:eu-west-1:123456789012:instance/i-0fedcba9876543210")
}

test_deny_not_resource if {
	findings := rule.deny with input as _only([{"Effect": "Allow", "Action": "ec2:CreateTags", "NotResource": "arn:aws:ec2:*:*:volume/*"}])
	some f in findings
	contains(f.message, "every resource but arn:aws:ec2:*:*:volume/* (NotResource)")
}

test_deny_not_action if {
	findings := rule.deny with input as _only([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}])
	some f in findings
	contains(f.message, "every action except iam:* (NotAction)")
}

test_allow_tag_condition_scopes_star if {
	statement := {
		"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
		"Condition": {"StringEquals": {"ec2:ResourceTag/kubernetes.io/cluster/ex": "owned"}, "StringLike": {"ec2:ResourceTag/karpenter.sh/nodepool": "*"}},
	}
	count(rule.deny) == 0 with input as _only([statement])
}

test_allow_read_only_on_star if {
	count(rule.deny) == 0 with input as _only([{
		"Effect": "Allow",
		"Action": ["ec2:Describe*", "pricing:GetProducts", "iam:ListInstanceProfiles"],
		"Resource": "*",
	}])
}

test_allow_deny_statement_on_star if {
	count(rule.deny) == 0 with input as _only([{"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}])
}

test_deny_request_part_terminate_any_instance if {
	statement := {"Sid": "Terminate", "Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "arn:aws:ec2:*:*:instance/*"}
	findings := rule.deny with input as _only([statement])
	count(findings) == 1
	some f in findings
	f.statement.sid == "Terminate"
	contains(f.message, "terminate instances Karpenter does not own")
	contains(f.message, "i-0fedcba9876543210")
}

test_allow_terminate_scoped_by_a_tag_the_foreign_instance_lacks if {
	statement := {
		"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "arn:aws:ec2:*:*:instance/*",
		"Condition": {"StringEquals": {"aws:ResourceTag/karpenter.sh/discovery": "ex"}},
	}
	count(rule.deny) == 0 with input as _only([statement])
}

test_open_unknown_policy if {
	doc_in := fx.input_for([fx.unknown(fx.policy_address)])
	count(rule.deny) == 0 with input as doc_in
	count(rule.open) == 1 with input as doc_in
}
