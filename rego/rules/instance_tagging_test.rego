package karpgate.rules.instance_tagging_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.instance_tagging as rule

_one_policy(doc) := fx.input_for([fx.known(fx.policy_address, doc)])

_only(statements) := _one_policy({"Version": "2012-10-17", "Statement": statements})

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_input
	count(rule.open) == 0 with input as fx.upstream_input
}

test_allow_upstream_split_into_managed_policies if {
	count(rule.deny) == 0 with input as fx.input_for(fx.upstream_split)
}

test_deny_v033_names_tag_keys if {
	findings := rule.deny with input as _one_policy(fx.v033)
	count(findings) == 1
	some f in findings
	contains(f.message, "cannot tag instances launched before v1.0, not yet tagged, which Karpenter 1.0.0 (chart version of helm_release.karpenter) does")
	f.rule == "KARP001"
	f.address == fx.policy_address
	f.role == fx.role_address
	f.statement == {"policy": fx.policy_address, "attribute": "policy", "sid": "AllowScopedResourceTagging", "index": 3}
	contains(f.message, "UnauthorizedOperation: You are not authorized to perform this operation.")
	contains(f.message, "is not authorized to perform: ec2:CreateTags on resource: arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")
	contains(f.message, "aws:TagKeys limited to [karpenter.sh/nodeclaim, Name] by ForAllValues:StringEquals (the request also has eks:eks-cluster-name)")
	contains(f.message, "ec2:CreateAction limits it to creation")
	contains(f.fix, "ForAllValues:StringEquals")
	contains(f.fix, `"arn:aws:ec2:eu-west-1:*:instance/*"`)
	contains(f.fix, `"aws:ResourceTag/kubernetes.io/cluster/ex"`)
}

test_deny_creation_only_tagging if {
	findings := rule.deny with input as _only([fx.scoped_resource_creation_tagging])
	some f in findings
	f.statement.sid == "AllowScopedResourceCreationTagging"
	contains(f.message, "ec2:CreateAction limits it to creation (RunInstances, CreateFleet, CreateLaunchTemplate)")
}

test_deny_region_pinned_to_another_region if {
	ctx := object.union(fx.context, {"region": "us-east-1", "regions": ["us-east-1"]})
	findings := rule.deny with input as fx.input_with_context([fx.known(fx.policy_address, fx.upstream_v1)], ctx)
	some f in findings
	contains(f.message, "region eu-west-1 only")
	contains(f.message, "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0")
	contains(f.fix, "arn:aws:ec2:us-east-1:*:instance/*")
}

test_open_when_the_region_is_unknown_and_candidates_disagree if {
	# RULES.md 4.7: with no source for the region, the region the policy names and one named
	# nowhere are both tried; they disagree, so the verdict is open, never allowed.
	ctx := object.union(fx.context, {"region": "", "regions": ["eu-west-1", "us-east-1"]})
	inp := fx.input_with_context([fx.known(fx.policy_address, fx.upstream_v1)], ctx)
	count(rule.deny) == 0 with input as inp
	some o in rule.open with input as inp
	some c in o.causes
	c.what == ["the region is unknown (set karpenter.region)"]
}

test_allow_common_fix_added_to_v033 if {
	count(rule.deny) == 0 with input as _one_policy(fx.with_statements(fx.v033, [fx.common_fix]))
}

test_deny_unconditional_deny if {
	deny_tags := {"Sid": "NoTagging", "Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*"}
	findings := rule.deny with input as _one_policy(fx.with_statements(fx.upstream_v1, [deny_tags]))
	some f in findings
	f.statement.sid == "NoTagging"
	contains(f.message, "with an explicit deny in an identity-based policy")
	contains(f.message, `Denied by "NoTagging"`)
}

test_allow_deny_with_condition_that_does_not_hold if {
	deny_other_regions := {
		"Sid": "DenyOtherRegions", "Effect": "Deny", "Action": "*", "Resource": "*",
		"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}},
	}
	count(rule.deny) == 0 with input as _one_policy(fx.with_statements(fx.upstream_v1, [deny_other_regions]))
}

test_deny_deny_in_a_second_policy if {
	deny_tags := {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:*:*:instance/*"}}
	findings := rule.deny with input as fx.input_for([fx.known(fx.policy_address, fx.upstream_v1), fx.known("aws_iam_policy.guardrail", deny_tags)])
	some f in findings
	f.address == "aws_iam_policy.guardrail"
	contains(f.message, "statement 0 of aws_iam_policy.guardrail (no Sid)")
}

test_allow_case_variants_of_actions_and_keys if {
	statement := {
		"Effect": "Allow", "Action": ["EC2:createTAGS"], "Resource": "arn:aws:ec2:eu-west-1:*:instance/*",
		"Condition": {
			"StringEquals": {"AWS:RESOURCETAG/Kubernetes.io/Cluster/ex": "owned"},
			"forallvalues:stringequals": {"AWS:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]},
		},
	}
	count(rule.deny) == 0 with input as _only([statement])
}

test_deny_tag_key_case_matters_in_values if {
	statement := object.union(
		fx.scoped_resource_tagging,
		{"Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "name"]}}},
	)
	findings := rule.deny with input as _only([statement])
	some f in findings
	contains(f.message, "aws:TagKeys limited to [eks:eks-cluster-name, karpenter.sh/nodeclaim, name]")
	contains(f.message, "the request also has Name")
}

test_allow_string_and_list_forms if {
	one := object.union(fx.scoped_resource_tagging, {"Action": ["ec2:CreateTags"], "Resource": ["arn:aws:ec2:eu-west-1:*:instance/*"]})
	count(rule.deny) == 0 with input as _only([one])
	several := object.union(fx.scoped_resource_tagging, {
		"Action": ["ec2:DeleteTags", "ec2:CreateTags"],
		"Resource": ["arn:aws:ec2:eu-west-1:*:volume/*", "arn:aws:ec2:eu-west-1:*:instance/*"],
	})
	count(rule.deny) == 0 with input as _only([several])
}

test_deny_ifexists_present_with_another_cluster if {
	statement := object.union(fx.scoped_resource_tagging, {"Condition": {"StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": "other"}}})
	findings := rule.deny with input as _only([statement])
	some f in findings
	contains(f.message, `StringEqualsIfExists aws:RequestTag/eks:eks-cluster-name [other] does not hold`)
}

test_allow_not_resource if {
	statement := {"Effect": "Allow", "Action": "ec2:CreateTags", "NotResource": "arn:aws:ec2:*:*:volume/*"}
	count(rule.deny) == 0 with input as _only([statement])
}

# AWS replaces policy variables only after the fifth colon of a Resource ARN: in the region
# segment ${aws:RequestedRegion} is literal text and the statement grants nothing.
test_deny_policy_variable_in_region_segment if {
	statement := object.union(fx.scoped_resource_tagging, {"Resource": "arn:aws:ec2:${aws:RequestedRegion}:*:instance/*"})
	count(rule.deny) == 2 with input as _only([statement])
}

test_deny_policy_variable_is_literal_in_2008_10_17 if {
	statement := object.union(fx.scoped_resource_tagging, {"Resource": "arn:aws:ec2:${aws:RequestedRegion}:*:instance/*"})
	count(rule.deny) == 2 with input as _one_policy({"Version": "2008-10-17", "Statement": [statement]})
}

test_open_unknown_policy_is_not_an_error if {
	doc_in := fx.input_for([fx.unknown(fx.policy_address)])
	count(rule.deny) == 0 with input as doc_in
	some o in rule.open with input as doc_in
	o.rule == "KARP001"
	some c in o.causes
	c.address == fx.policy_address
	c.what == ["module.karpenter.aws_iam_policy.controller[0].policy"]
}

test_open_unmodelled_condition if {
	statement := object.union(fx.scoped_resource_tagging, {"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
	doc_in := _only([statement])
	count(rule.deny) == 0 with input as doc_in
	some o in rule.open with input as doc_in
	some c in o.causes
	c.statement.sid == "AllowScopedResourceTagging"
}

test_allow_partial_document_with_known_tagging_statements if {
	doc := {"Version": "2012-10-17", "Statement": fx.node_lifecycle_statements}
	doc_in := fx.input_for([fx.partial("module.karpenter.data.aws_iam_policy_document.controller[0]", doc)])
	count(rule.deny) == 0 with input as doc_in
	count(rule.open) == 0 with input as doc_in
}

test_open_partial_document_without_tagging_statements if {
	doc := {"Version": "2012-10-17", "Statement": [fx.regional_read]}
	doc_in := fx.input_for([fx.partial("module.karpenter.data.aws_iam_policy_document.controller[0]", doc)])
	count(rule.deny) == 0 with input as doc_in
	count(rule.open) == 1 with input as doc_in
}

test_deny_known_policy_beside_external_one_is_still_open if {
	# v0.33 fails, but an external policy could carry the missing Allow: KARP020, not KARP001.
	doc_in := fx.input_for([fx.known(fx.policy_address, fx.v033), fx.external("arn:aws:iam::123456789012:policy/extra")])
	count(rule.deny) == 0 with input as doc_in
	count(rule.open) == 1 with input as doc_in
}

test_allow_not_a_karpenter_role if {
	doc_in := {"iam": {"roles": [object.union(fx.role([fx.known(fx.policy_address, fx.v033)]), {"karpenter": {"detected": false, "by": []}})]}}
	count(rule.deny) == 0 with input as doc_in
}

test_deny_no_policy_at_all if {
	findings := rule.deny with input as fx.input_for([])
	some f in findings
	f.address == fx.role_address
	contains(f.message, "No statement grants ec2:CreateTags on instances.")
	not f.statement
}

test_deny_names_the_attachment_another_resource_removes if {
	removed := [{
		"address": "aws_iam_role_policy_attachment.tagging_fix",
		"attribute": "policy_arn",
		"arn": "arn:aws:iam::111122223333:policy/KarpenterTaggingFix",
		"name": null,
		"by": "aws_iam_role_policy_attachments_exclusive.controller",
	}]
	in_put := {"iam": {"roles": [object.union(fx.role([fx.known(fx.policy_address, fx.v033)]), {"removed": removed})], "karpenter_roles": 1, "node_roles": []}}
	findings := rule.deny with input as in_put
	count(findings) == 1
	some f in findings
	endswith(f.message, concat("", [
		" Not counted: policy arn:aws:iam::111122223333:policy/KarpenterTaggingFix attached by aws_iam_role_policy_attachment.tagging_fix (removed by ",
		"aws_iam_role_policy_attachments_exclusive.controller).",
	]))
}

test_deny_without_removed_policies_says_nothing_of_them if {
	some f in rule.deny with input as _one_policy(fx.v033)
	not contains(f.message, "Not counted")
}
