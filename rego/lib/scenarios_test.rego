# Whole-policy scenarios across the request-based rules (KARP001, 002, 004, 011, 012, 014, 020),
# as RULES.md section 6 states them.
package karpgate.lib.scenarios_test

import data.karpgate.lib.fixtures_test as fx

_packages := [
	"instance_tagging",
	"tagging_region",
	"karpenter_calls",
	"refused_start",
	"upgrade_hazard",
	"unscoped_resource",
	"pass_role",
	"tag_bypass",
	"indeterminate",
]

# _rules lists the rule ids of every finding, sorted, duplicates kept.
_rules(findings) := sort([f.rule | some f in findings])

_findings := [f |
	some name in _packages
	some f in data.karpgate.rules[name].deny
]

_one_policy(doc) := fx.input_for([fx.known(fx.policy_address, doc)])

test_allow_upstream_v1_no_error_no_warning if {
	count(_findings) == 0 with input as fx.upstream_v1_input
}

_deployed(doc, v, from) := fx.input_deployed([fx.known(fx.policy_address, doc)], fx.deployed(v, from))

# RULES.md section 6: the v0.33-v0.37 policy gives only KARP006 for V = v0.37, KARP001 for an
# upgrade to v1 or an unknown version, and is clean for a v1 release created in the plan.
test_v033_policy_per_deployment if {
	_rules(_findings) == ["KARP006"] with input as _deployed(fx.v033, "0.37", "")
	_rules(_findings) == ["KARP001"] with input as _deployed(fx.v033, "1.0", "0.37")
	_rules(_findings) == [] with input as _deployed(fx.v033, "1.0", "")
	rules := _rules(_findings) with input as _one_policy(fx.v033)
	"KARP001" in rules
	not "KARP003" in rules
}

test_allow_upstream_2026_split_no_error_no_warning if {
	count(_findings) == 0 with input as fx.input_for(fx.upstream_split)
}

test_deny_v033_only_karp001 if {
	_rules(_findings) == ["KARP001"] with input as _deployed(fx.v033, "1.0", "0.37")
}

test_deny_common_fix_passes_with_exactly_one_karp014 if {
	_rules(_findings) == ["KARP014"] with input as _deployed(fx.with_statements(fx.v033, [fx.common_fix]), "1.0", "0.37")
}

test_deny_common_fix_without_condition_fails_with_karp002 if {
	rules := _rules(_findings) with input as _one_policy(fx.with_statements(fx.v033, [object.remove(fx.common_fix, ["Condition"])]))
	"KARP002" in rules
	not "KARP001" in rules
}

test_deny_v19_karp002_and_karp011 if {
	rules := _rules(_findings) with input as _one_policy(fx.v19)
	"KARP002" in rules
	"KARP011" in rules
	not "KARP001" in rules
}

test_deny_unknown_policy_only_karp020 if {
	_rules(_findings) == ["KARP020"] with input as fx.input_for([fx.unknown(fx.policy_address)])
}

test_deny_partial_v1_document_only_karp020 if {
	doc := {"Version": "2012-10-17", "Statement": fx.node_lifecycle_statements}
	_rules(_findings) == ["KARP020"] with input as fx.input_for([fx.partial("module.karpenter.data.aws_iam_policy_document.controller[0]", doc)])
}

test_deny_partial_v033_document_is_decided_from_its_tagging_statements if {
	# The known tagging statements fail; the unknown rest of the document is values elsewhere.
	doc := {"Version": "2012-10-17", "Statement": [fx.v033_tagging, fx.v033_creation_tagging]}
	rules := _rules(_findings) with input as fx.input_for([fx.partial("module.karpenter.data.aws_iam_policy_document.controller[0]", doc)])
	"KARP001" in rules
	"KARP020" in rules
}

test_deny_partial_document_with_unknown_pass_role_resource_is_open if {
	pass_role := object.remove(fx.pass_instance_role, ["Resource"])
	doc := {"Version": "2012-10-17", "Statement": array.concat(fx.node_lifecycle_statements, [pass_role])}
	findings := _findings with input as fx.input_for([fx.partial("module.karpenter.data.aws_iam_policy_document.controller[0]", doc)])
	every rule in _rules(findings) {
		rule == "KARP020"
	}
	some f in findings
	f.statement.sid == "AllowPassingInstanceRole"
	contains(f.message, "KARP012")
	contains(f.message, "its Resource is unknown until apply")
}

test_allow_multiple_karpenter_roles_are_judged_separately if {
	good := object.union(fx.role([fx.known("aws_iam_policy.good", fx.upstream_v1)]), {"address": "aws_iam_role.good", "deployment": fx.deployed("1.0", "")})
	bad := object.union(fx.role([fx.known("aws_iam_policy.bad", fx.v033)]), {"address": "aws_iam_role.bad", "deployment": fx.deployed("1.0", "0.37")})
	findings := _findings with input as {"iam": {"roles": [good, bad], "karpenter_roles": 2, "node_roles": []}}
	{f.role | some f in findings} == {"aws_iam_role.bad"}
}
