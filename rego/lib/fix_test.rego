package karpgate.lib.fix_test

import data.karpgate.lib.fix
import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.instance_tagging
import data.karpgate.rules.tag_bypass
import data.karpgate.rules.unscoped_resource

_call(generation, args, omitted) := {
	"address": "module.karpenter",
	"name": "karpenter",
	"source": "../modules/karpenter",
	"version_constraint": "",
	"module": "terraform-aws-eks/karpenter",
	"generation": generation,
	"arguments": args,
	"omitted": omitted,
}

_registry_call(generation) := object.union(_call(generation, {}, []), {
	"source": "terraform-aws-modules/eks/aws//modules/karpenter",
	"version_constraint": "~> 20.0",
})

_role(mc) := object.union(fx.role([]), {"module_call": mc})

_statement := {
	"Sid": "S",
	"Effect": "Allow",
	"Action": "ec2:CreateTags",
	"Resource": "arn:aws:ec2:eu-west-1:*:instance/*",
	"Condition": {"StringEquals": {"aws:ResourceTag/k": "owned"}},
}

test_v20_24_switched_off_gets_the_switch if {
	role := _role(_call("v20.24", {"enable_v1_permissions": false}, []))
	text := fix.statement(role, {"decision": "implicit"}, _statement)
	contains(text, "terraform-aws-eks modules/karpenter v20.24 or later (module.karpenter),\nwhich keeps")
	contains(text, "module \"karpenter\" {\n  enable_v1_permissions = true\n}")
	not contains(text, "statement {")
	fix.edit(role, {"decision": "implicit"}) == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
}

test_v20_24_default_names_the_default if {
	role := _role(_call("v20.24", {"enable_v1_permissions": false}, ["enable_v1_permissions"]))
	contains(fix.statement(role, {}, _statement), "(its default; the call does not set it)")
}

test_v20_24_switched_on_keeps_the_statement if {
	role := _role(_call("v20.24", {"enable_v1_permissions": true}, []))
	text := fix.statement(role, {}, _statement)
	startswith(text, "HCL, in data \"aws_iam_policy_document\":")
	fix.edit(role, {}) == null
}

test_a_deny_is_not_fixed_by_the_switch if {
	role := _role(_call("v20.24", {"enable_v1_permissions": false}, []))
	startswith(fix.statement(role, {"decision": "denied"}, _statement), "HCL")
	fix.edit(role, {"decision": "denied"}) == null
}

test_v20_0_registry_upgrades_the_version if {
	role := _role(_registry_call("v20.0"))
	text := fix.statement(role, {}, _statement)
	contains(text, "v20.0-v20.23 (module.karpenter)")
	contains(text, "  version               = \"~> 20.24\"\n  enable_v1_permissions = true")
	fix.edit(role, {}) == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}, "version": "~> 20.24"}
}

test_v19_local_source_says_where_to_point if {
	role := _role(_call("v19", {}, []))
	text := fix.statement(role, {}, _statement)
	contains(text, "v19 (module.karpenter)")
	contains(text, "Its source is ../modules/karpenter: point it at the new version:\nmodule")
	not contains(text, "version ")
	fix.edit(role, {}) == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
}

test_v21_gets_an_iam_policy_statements_entry if {
	role := _role(_call("v21", {}, []))
	text := fix.statement(role, {}, _statement)
	contains(text, "module \"karpenter\" {\n  iam_policy_statements = [\n    {\n      sid       = \"S\"")
	contains(text, "      condition = [\n        { test = \"StringEquals\", variable = \"aws:ResourceTag/k\", values = [\"owned\"] },\n      ]")
	not contains(text, "condition {")
	fix.edit(role, {}) == null
}

test_v21_conditions_are_objects if {
	text := fix.conditions(_role(_call("v21", {}, [])), "aws_iam_policy.mine", {"StringEquals": {"aws:ResourceTag/k": "owned"}})
	contains(text, "condition = [\n  { test = \"StringEquals\", variable = \"aws:ResourceTag/k\", values = [\"owned\"] },\n]")
}

test_without_module_the_statement_both_ways if {
	role := object.union(fx.role([]), {"module_call": null})
	text := fix.statement(role, {}, _statement)
	contains(text, "statement {")
	contains(text, "JSON, in the policy's Statement list:")
	fix.edit(role, {}) == null
	startswith(fix.conditions(role, "module.karpenter.aws_iam_policy.controller[0]", {"StringEquals": {"k": "v"}}), "HCL, in the statement block:")
}

# The rules carry the switch: KARP001 on the v0.33 policy of a v20.24 module with the switch off.
test_instance_tagging_fix_is_the_switch if {
	role := object.union(fx.role([fx.known(fx.policy_address, fx.v033)]), {"module_call": _call("v20.24", {"enable_v1_permissions": false}, [])})
	findings := instance_tagging.deny with input as {"iam": {"roles": [role], "karpenter_roles": 1, "node_roles": []}}
	some f in findings
	contains(f.fix, "enable_v1_permissions = true")
	f.edit == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
}

test_tag_bypass_fix_for_v19_is_the_upgrade if {
	role := object.union(
		fx.role([fx.known(fx.policy_address, {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"}]})]),
		{"module_call": _call("v19", {}, [])},
	)
	findings := tag_bypass.deny with input as {"iam": {"roles": [role], "karpenter_roles": 1, "node_roles": []}}
	some f in findings
	contains(f.fix, "Upgrade the module to v20.24 or later")
	f.edit.arguments == {"enable_v1_permissions": true}
}

# A statement of the user's own policy is not replaced by the module's switch.
test_over_reach_in_the_users_policy_keeps_the_statement if {
	role := _role(_call("v19", {}, []))
	startswith(fix.replacement(role, "aws_iam_policy.mine", _statement), "HCL")
	fix.policy_edit(role, "aws_iam_policy.mine") == null
	fix.switch(role, "aws_iam_policy.mine") == null
	contains(fix.switch(role, "module.karpenter.aws_iam_policy.controller[0]"), "Upgrade the module")
	startswith(fix.conditions(role, "aws_iam_policy.mine", {"StringEquals": {"k": "v"}}), "HCL, in the statement block:")
	contains(fix.replacement(role, "module.karpenter.aws_iam_policy.controller[0]", _statement), "Upgrade the module")
	fix.policy_edit(role, "module.karpenter.aws_iam_policy.controller[0]") == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
}

test_unscoped_resource_fix_for_v19_is_the_upgrade if {
	doc := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*"}]}
	role := object.union(fx.role([fx.known(fx.policy_address, doc)]), {"module_call": _call("v19", {}, [])})
	findings := unscoped_resource.deny with input as {"iam": {"roles": [role], "karpenter_roles": 1, "node_roles": []}}
	some f in findings
	contains(f.fix, "Upgrade the module to v20.24 or later")
	f.edit.module == "module.karpenter"
	other := object.union(fx.role([fx.known("aws_iam_policy.mine", doc)]), {"module_call": _call("v19", {}, [])})
	others := unscoped_resource.deny with input as {"iam": {"roles": [other], "karpenter_roles": 1, "node_roles": []}}
	count(others) > 0
	every g in others {
		not g.fix
		not g.edit
	}
}
