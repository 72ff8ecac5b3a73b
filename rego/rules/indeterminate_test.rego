package karpgate.rules.indeterminate_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.indeterminate as rule

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_v1_input
}

test_deny_unknown_policy_names_rules_and_attribute if {
	findings := rule.deny with input as fx.input_for([fx.unknown(fx.policy_address)])
	count(findings) == 1
	some f in findings
	f.rule == "KARP020"
	f.address == fx.policy_address
	f.role == fx.role_address
	f.related == [fx.role_address]
	contains(f.message, "KARP001 (3 Karpenter requests of any Karpenter version v1.0-v1.14")
	contains(f.message, "KARP003")
	contains(f.message, "KARP004")
	contains(f.message, "KARP012")
	contains(f.message, "module.karpenter.aws_iam_policy.controller[0].policy")
	contains(f.message, "unknown until apply")
}

test_deny_external_policy if {
	findings := rule.deny with input as fx.input_for([fx.known(fx.policy_address, fx.upstream_v1), fx.external("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")])
	count(findings) == 1
	some f in findings
	contains(f.message, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
	contains(f.message, "outside the plan")
	not contains(f.message, "KARP001")
	contains(f.message, "KARP002")
}

test_deny_partial_document_keeps_karp001_decided if {
	doc := {"Version": "2012-10-17", "Statement": fx.node_lifecycle_statements}
	findings := rule.deny with input as fx.input_for([fx.partial("module.karpenter.data.aws_iam_policy_document.controller[0]", doc)])
	count(findings) == 1
	some f in findings
	contains(f.message, "only some statements of module.karpenter.data.aws_iam_policy_document.controller[0] are known")
	not contains(f.message, "KARP001")
}

test_deny_unmodelled_condition_points_at_the_statement if {
	statement := object.union(fx.scoped_resource_tagging, {"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
	doc := fx.with_statements(fx.without_sid(fx.upstream_v1, "AllowScopedResourceTagging"), [statement])
	findings := rule.deny with input as fx.input_for([fx.known(fx.policy_address, doc)])
	count(findings) == 1
	some f in findings
	f.statement.sid == "AllowScopedResourceTagging"
	contains(f.message, "KARP001")
	contains(f.message, "condition key aws:SourceIp is not modelled by the request")
}

test_allow_unmodelled_condition_that_cannot_matter if {
	# The statement also has a false condition: it cannot apply, so nothing is open.
	statement := {
		"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
		"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {"aws:RequestedRegion": "us-gov-west-1"}},
	}
	count(rule.deny) == 0 with input as fx.input_for([fx.known(fx.policy_address, fx.with_statements(fx.upstream_v1, [statement]))])
}

test_allow_not_a_karpenter_role if {
	doc_in := {"iam": {"roles": [object.union(fx.role([fx.unknown(fx.policy_address)]), {"karpenter": {"detected": false, "by": []}})]}}
	count(rule.deny) == 0 with input as doc_in
}
