package karpgate.rules.karpenter_calls_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.karpenter_calls as rule

_one_policy(doc) := fx.input_for([fx.known(fx.policy_address, doc)])

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_v1_input
	count(rule.open) == 0 with input as fx.upstream_v1_input
}

test_deny_later_requests_when_the_version_is_unknown if {
	findings := rule.deny with input as fx.unversioned(fx.upstream_input)
	some f in findings
	contains(f.message, "any Karpenter version v1.0-v1.14 (the version is unknown: set karpenter.version or --karpenter-version)")
	contains(f.message, "iam:ListInstanceProfiles on resource: *")
	contains(f.message, "only if Karpenter is v1.7-1.8")
	contains(f.message, "ec2:DescribeInstanceStatus on resource: *")
}

test_allow_upstream_split if {
	count(rule.deny) == 0 with input as fx.input_for(fx.upstream_split)
}

test_allow_v033 if {
	count(rule.deny) == 0 with input as fx.input_deployed([fx.known(fx.policy_address, fx.v033)], fx.deployed("0.37", ""))
}

test_deny_missing_statements_name_each_call if {
	doc := fx.without_sid(fx.without_sid(fx.upstream_v1, "AllowScopedDeletion"), "AllowInstanceProfileReadActions")
	findings := rule.deny with input as fx.input_deployed([fx.known(fx.policy_address, doc)], fx.deployed("1.0", ""))
	count(findings) == 1
	some f in findings
	f.rule == "KARP004"
	f.address == fx.policy_address
	contains(f.message, "cannot make 1 of the")
	contains(f.message, "Karpenter 1.0.0 (chart version of helm_release.karpenter)")
	contains(f.message, concat("", [
		"UnauthorizedOperation: You are not authorized to perform this operation. User: ",
		"arn:aws:sts::123456789012:assumed-role/KarpenterController-ex/<session> is not authorized to perform: ec2:DeleteLaunchTemplate on resource: ",
		"arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0123456789abcdef0",
	]))
	contains(f.message, "); launch templates are not cleaned up")
	not contains(f.message, "ec2:TerminateInstances")
	not contains(f.message, "iam:GetInstanceProfile")

	# Upstream grants the call on Karpenter's ownership tags: the fix is that statement, with the
	# role's ARN values and the cluster's tag, no placeholder.
	contains(f.fix, "actions   = [\"ec2:DeleteLaunchTemplate\"]")
	contains(f.fix, "resources = [\"arn:aws:ec2:eu-west-1:123456789012:launch-template/*\"]")
	contains(f.fix, "variable = \"aws:ResourceTag/kubernetes.io/cluster/ex\"")
	contains(f.fix, "variable = \"aws:ResourceTag/karpenter.sh/nodepool\"")
	not contains(f.fix, "eks:eks-cluster-name")
	not contains(f.fix, "<")
}

test_deny_pass_role_to_another_node_role if {
	ctx := object.union(fx.context, {"node_role_arns": ["arn:aws:iam::123456789012:role/OtherNodeRole"]})
	inp := fx.input_with_context([fx.known(fx.policy_address, fx.upstream_v1)], ctx)
	findings := data.karpgate.rules.refused_start.deny with input as inp
	some f in findings
	contains(f.message, "iam:PassRole on resource: arn:aws:iam::123456789012:role/OtherNodeRole")
	contains(f.message, "(closest: \"AllowPassingInstanceRole\"")
}

test_deny_explicit_deny_named if {
	guard := {"Sid": "NoProfiles", "Effect": "Deny", "Action": "iam:*InstanceProfile", "Resource": "*"}
	findings := rule.deny with input as fx.input_deployed([fx.known(fx.policy_address, fx.with_statements(fx.upstream_v1, [guard]))], fx.deployed("1.0", ""))
	some f in findings
	contains(f.message, "with an explicit deny in an identity-based policy (denied by \"NoProfiles\"")
}

test_allow_user_calls_extend_the_set if {
	extra := {"calls": [{"id": "describe-az", "action": "ec2:DescribeAvailabilityZones", "resource": "*", "context": {"aws:RequestedRegion": ["{R}"]}}]}
	count(rule.deny) == 0 with input as fx.upstream_v1_input with data.karpgate.user.requests as extra
	split_input := fx.input_deployed(fx.upstream_split, fx.deployed("1.14", ""))
	findings := rule.deny with input as split_input with data.karpgate.user.requests as extra
	some f in findings
	contains(f.message, "ec2:DescribeAvailabilityZones on resource: *")
}

test_allow_user_calls_replace_the_set if {
	only := {"replace_calls": true, "calls": [{"id": "pricing", "action": "pricing:GetProducts", "resource": "*", "context": {}}]}
	count(rule.deny) == 0 with input as _one_policy(fx.v19) with data.karpgate.user.requests as only
}

test_open_partial_document if {
	doc := {"Version": "2012-10-17", "Statement": fx.node_lifecycle_statements}
	doc_in := fx.input_for([fx.partial("module.karpenter.data.aws_iam_policy_document.controller[0]", doc)])
	count(rule.deny) == 0 with input as doc_in
	some o in rule.open with input as doc_in
	contains(o.check, "Karpenter requests of Karpenter 1.0.0")
}
