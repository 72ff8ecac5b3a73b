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
	contains(f.message, "KARP001 (3 Karpenter requests of Karpenter 1.0.0")
	contains(f.message, "KARP003")
	contains(f.message, "KARP004")
	contains(f.message, "KARP012")
	contains(f.message, "module.karpenter.aws_iam_policy.controller[0].policy")
	contains(f.message, "unknown until apply")
}

test_deny_external_policy if {
	findings := rule.deny with input as fx.input_for([
		fx.known(fx.policy_address, fx.upstream_v1),
		fx.external("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
	])
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

deferred_attachment := {
	"address": "aws_iam_role_policy_attachment.extra[\"x\"]",
	"attribute": "",
	"kind": "deferred",
	"via": "",
	"arn": null,
	"status": "deferred",
	"source": "deferred_changes",
	"unknown": ["resource_config_unknown"],
	"problems": [],
	"document": null,
}

test_deny_deferred_change_names_address_and_reason if {
	# The v0.33-v0.37 policy refuses T(R); a deferred attachment could bring the statement that
	# allows it, so KARP001 is open, not decided.
	findings := rule.deny with input as fx.input_for([fx.known(fx.policy_address, fx.v033), deferred_attachment])
	count(findings) == 1
	some f in findings
	f.rule == "KARP020"
	f.address == "aws_iam_role_policy_attachment.extra[\"x\"]"
	contains(f.message, "KARP001 (2 Karpenter requests of Karpenter 1.0.0")
	contains(f.message, concat("", [
		"terraform deferred the change of aws_iam_role_policy_attachment.extra[\"x\"] to a later plan (reason: resource_config_unknown), so it may or may ",
		"not apply in this run",
	]))
}

test_allow_deferred_change_cannot_open_allowed_verdicts if {
	# The upstream v1 policy allows every Karpenter request; a deferred change adds no Deny, so
	# only the over-reach rules (which fire when something is allowed) could be open.
	findings := rule.deny with input as fx.input_for([fx.known(fx.policy_address, fx.upstream_v1), deferred_attachment])
	every f in findings {
		not contains(f.message, "KARP001")
		not contains(f.message, "KARP004")
	}
}

test_deny_role_outside_the_plan_is_open_until_marked_complete if {
	remainder := {
		"address": "arn:aws:iam::111122223333:role/KarpenterController-imported",
		"attribute": "",
		"kind": "outside",
		"via": "",
		"arn": null,
		"status": "outside",
		"source": "none",
		"unknown": ["its other policies, permissions boundary and tags are outside the plan"],
		"problems": [],
		"document": null,
	}
	findings := rule.deny with input as fx.input_for([fx.known(fx.policy_address, fx.v033), remainder])
	count(findings) == 1
	some f in findings
	f.address == "arn:aws:iam::111122223333:role/KarpenterController-imported"
	contains(f.message, "KARP001")
	contains(f.message, concat("", [
		"the role is outside the plan: its other policies, permissions boundary and tags are outside the plan (set complete: true on its karpenter.roles ",
		"entry when the plan shows everything that reaches it)",
	]))
}

test_deny_external_boundary_names_the_layer if {
	ext := object.union(
		fx.external("arn:aws:iam::123456789012:policy/OrgBoundary"),
		{"kind": "boundary", "address": fx.role_address, "via": fx.role_address, "attribute": "permissions_boundary"},
	)
	in_put := {"iam": {
		"roles": [object.union(
			fx.role([fx.known(fx.policy_address, fx.upstream_v1)]),
			{"layers": {"boundary": ext, "session": null, "organization": null, "resources": []}},
		)],
		"karpenter_roles": 1,
		"node_roles": [],
	}}
	findings := rule.deny with input as in_put
	count(findings) == 1
	some f in findings
	contains(f.message, "KARP001")
	contains(f.message, concat("", [
		"the permissions boundary arn:aws:iam::123456789012:policy/OrgBoundary, named by module.karpenter.aws_iam_role.controller[0], is outside the plan ",
		"and could refuse what the role's policies allow",
	]))
}

# By convention KARP020 reports the "open" set of every rule package: a rule added later is
# covered without a change to KARP020.
test_deny_collects_the_open_set_of_any_rule_package if {
	opened := {{
		"role": fx.role_address, "rule": "KARP099", "check": "a check of a new rule",
		"causes": [{"address": fx.policy_address, "attribute": "policy", "status": "unknown", "what": ["x"]}],
	}}
	findings := rule.deny with input as fx.upstream_v1_input with data.karpgate.rules.some_new_rule.open as opened
	some f in findings
	contains(f.message, "KARP099 (a check of a new rule)")
}
