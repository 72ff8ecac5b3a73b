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
	f := fix.add(role, {"decision": "implicit"}, _statement)
	contains(f.fix, "terraform-aws-eks modules/karpenter v20.24 or later (module.karpenter),\nwhich keeps")
	contains(f.fix, "module \"karpenter\" {\n  enable_v1_permissions = true\n}")
	not contains(f.fix, "statement {")
	f.edit == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
	not f.fix_forms
}

test_v20_24_default_names_the_default if {
	role := _role(_call("v20.24", {"enable_v1_permissions": false}, ["enable_v1_permissions"]))
	contains(fix.add(role, {}, _statement).fix, "(its default; the call does not set it)")
}

# With the switch on, a missing statement goes into the module's list, with conditions as objects.
test_v20_24_switched_on_appends_an_entry if {
	role := _role(_call("v20.24", {"enable_v1_permissions": true}, []))
	f := fix.add(role, {}, _statement)
	contains(f.fix, concat("", [
		"module \"karpenter\" {\n  iam_policy_statements = [\n    {\n      sid       = \"S\"\n",
		"      actions   = [\"ec2:CreateTags\"]\n      resources = [\"arn:aws:ec2:eu-west-1:*:instance/*\"]\n",
		"      conditions = [\n",
		"        { test = \"StringEquals\", variable = \"aws:ResourceTag/k\", values = [\"owned\"] },\n      ]\n",
		"    },\n  ]\n}",
	]))
	not contains(f.fix, "condition {")
	f.edit == {"module": "module.karpenter", "entries": [{"argument": "iam_policy_statements", "append": {
		"sid": "S", "actions": ["ec2:CreateTags"], "resources": ["arn:aws:ec2:eu-west-1:*:instance/*"],
		"conditions": [{"test": "StringEquals", "variable": "aws:ResourceTag/k", "values": ["owned"]}],
	}}]}
}

test_a_deny_is_not_fixed_by_the_switch if {
	role := _role(_call("v20.24", {"enable_v1_permissions": false}, []))
	f := fix.add(role, {"decision": "denied"}, _statement)
	not f.edit
	f.fix_forms.policy_document
}

test_v20_0_registry_upgrades_the_version if {
	role := _role(_registry_call("v20.0"))
	f := fix.add(role, {}, _statement)
	contains(f.fix, "v20.0-v20.23 (module.karpenter)")
	contains(f.fix, "  version               = \"~> 20.24\"\n  enable_v1_permissions = true")
	f.edit == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}, "version": "~> 20.24"}
}

test_v19_local_source_says_where_to_point if {
	role := _role(_call("v19", {}, []))
	f := fix.add(role, {}, _statement)
	contains(f.fix, "v19 (module.karpenter)")
	contains(f.fix, "Its source is ../modules/karpenter: point it at the new version:\nmodule")
	not contains(f.fix, "version ")
	f.edit == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
}

# v21 names the conditions of an entry `condition`, a list of objects.
test_v21_gets_an_iam_policy_statements_entry if {
	role := _role(_call("v21", {"iam_policy_statements": [{"sid": "Other"}]}, []))
	f := fix.add(role, {}, _statement)
	contains(f.fix, "iam_policy_statements list, after the entries already there\n(HCL object syntax)")
	contains(f.fix, "      condition = [\n        { test = \"StringEquals\", variable = \"aws:ResourceTag/k\", values = [\"owned\"] },\n      ]")
	not contains(f.fix, "condition {")
	f.edit.entries[0].append.condition == [{"test": "StringEquals", "variable": "aws:ResourceTag/k", "values": ["owned"]}]
}

_entry_role(generation) := _role(_call(
	generation, {
		"enable_v1_permissions": true,
		"iam_policy_statements": [
			{"sid": "First", "actions": ["s3:GetObject"], "resources": ["*"]},
			{
				"sid": "Tagging", "actions": ["ec2:CreateTags"], "resources": ["arn:aws:ec2:*:*:instance/*"],
				"conditions": [{"test": "StringEquals", "variable": "aws:RequestedRegion", "values": ["eu-west-1"]}],
			},
		],
	},
	[],
))

_entry_statement := {"policy": "module.karpenter.aws_iam_policy.controller[0]", "sid": "Tagging", "index": 20}

# KARP014 on an entry of the list: the entry with its conditions and the new ones, as objects.
test_scope_edits_the_list_entry if {
	f := fix.scope(_entry_role("v20.24"), _entry_statement, {"StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}})
	contains(f.fix, "the entry \"Tagging\" of the iam_policy_statements list of module.karpenter")
	contains(f.fix, concat("", [
		"      conditions = [\n",
		"        { test = \"StringEquals\", variable = \"aws:RequestedRegion\", values = [\"eu-west-1\"] },\n",
		"        { test = \"StringLike\", variable = \"aws:ResourceTag/karpenter.sh/nodepool\", values = [\"*\"] },\n",
		"      ]",
	]))
	not contains(f.fix, "condition {")
	f.edit == {"module": "module.karpenter", "entries": [{"argument": "iam_policy_statements", "sid": "Tagging", "set": {"conditions": [
		{"test": "StringEquals", "variable": "aws:RequestedRegion", "values": ["eu-west-1"]},
		{"test": "StringLike", "variable": "aws:ResourceTag/karpenter.sh/nodepool", "values": ["*"]},
	]}}]}
}

# The entry wins over the switch: the switch keeps the list.
test_scope_prefers_the_entry_to_the_switch if {
	role := _role(_call("v20.24", {"enable_v1_permissions": false, "iam_policy_statements": [{"sid": "Tagging"}]}, []))
	f := fix.scope(role, _entry_statement, {"StringLike": {"k": "*"}})
	f.edit.entries[0].sid == "Tagging"
	not contains(f.fix, "enable_v1_permissions")
}

test_replace_sets_the_entry_resources if {
	f := fix.over_reach(_entry_role("v20.24"), _entry_statement, _statement)
	f.edit.entries[0].set == {"resources": ["arn:aws:ec2:eu-west-1:*:instance/*"]}
	contains(f.fix, "      resources = [\"arn:aws:ec2:eu-west-1:*:instance/*\"]")
}

test_scope_without_a_sid_in_the_list_names_the_list if {
	no_sid := {"policy": "module.karpenter.aws_iam_policy.controller[0]", "sid": "", "index": 3}
	f := fix.scope(_entry_role("v21"), no_sid, {"StringEquals": {"aws:ResourceTag/k": "owned"}})
	contains(f.fix, concat("", [
		"add these to the condition of the entry that grants it (HCL object syntax):\n",
		"  { test = \"StringEquals\", variable = \"aws:ResourceTag/k\", values = [\"owned\"] },",
	]))
	not f.edit
}

# A policy the user writes: the fix in each form, and a text that says the form is unknown.
test_without_module_the_statement_in_every_form if {
	role := object.union(fx.role([]), {"module_call": null})
	f := fix.add(role, {}, _statement)
	startswith(f.fix, "karpgate cannot tell how this policy is written")
	contains(f.fix, "JSON, in the policy's Statement list:")
	not f.edit
	contains(f.fix_forms.policy_document, "statement {\n  sid       = \"S\"")
	contains(f.fix_forms.policy_document, "  condition {\n    test     = \"StringEquals\"")
	contains(f.fix_forms.jsonencode, concat("", [
		"{\n  Sid      = \"S\"\n  Effect   = \"Allow\"\n  Action   = \"ec2:CreateTags\"\n",
		"  Resource = \"arn:aws:ec2:eu-west-1:*:instance/*\"\n  Condition = {\n    StringEquals = {\n",
		"      \"aws:ResourceTag/k\" = \"owned\"\n    }\n  }\n}",
	]))
	contains(f.fix_forms.json, "{\n  \"Action\": \"ec2:CreateTags\",")
	c := fix.scope(role, {"policy": "aws_iam_policy.mine", "sid": "S"}, {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})
	startswith(c.fix, "karpgate cannot tell")
	contains(c.fix_forms.jsonencode, "{\n  \"ForAllValues:StringEquals\" = {\n    \"aws:TagKeys\" = [\"a\", \"b\"]\n  }\n}")
	contains(c.fix_forms.policy_document, "condition {\n  test     = \"ForAllValues:StringEquals\"")
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
	mine := {"policy": "aws_iam_policy.mine", "sid": "", "index": 0}
	startswith(fix.over_reach(role, mine, _statement).fix, "karpgate cannot tell")
	not fix.over_reach(role, mine, _statement).edit
	fix.switch_only(role, "aws_iam_policy.mine") == {}
	contains(fix.switch_only(role, "module.karpenter.aws_iam_policy.controller[0]").fix, "Upgrade the module")
	startswith(fix.scope(role, mine, {"StringEquals": {"k": "v"}}).fix, "karpgate cannot tell")
	theirs := {"policy": "module.karpenter.aws_iam_policy.controller[0]", "sid": "", "index": 0}
	contains(fix.over_reach(role, theirs, _statement).fix, "Upgrade the module")
	fix.over_reach(role, theirs, _statement).edit == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
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

# Refused Karpenter calls (KARP003, KARP004): the switch when the old module's policy refuses
# them all and each is a call of Karpenter v1.0; nothing (the remediation) when a Deny or another
# layer refuses one, or one is a call only later versions make.
_row(minors, eval) := {"t": {"id": "x", "minors": minors}, "verdict": {"evals": [eval]}}

test_calls_get_the_switch_only_when_it_cures_them if {
	role := _role(_call("v20.24", {"enable_v1_permissions": false}, []))
	v1 := {"1.0": "launch", "1.12": "launch"}
	f := fix.calls(role, [_row(v1, {"decision": "implicit-deny"}), _row(v1, {"decision": "implicit-deny"})])
	f.edit == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
	contains(f.fix, "enable_v1_permissions = true")
	fix.calls(role, [_row(v1, {"decision": "implicit-deny"}), _row(v1, {"decision": "denied"})]) == {}
	fix.calls(role, [_row(v1, {"decision": "implicit-deny", "layer": "permissions boundary", "layer_address": "aws_iam_policy.b"})]) == {}
	fix.calls(role, [_row(v1, {"decision": "implicit-deny"}), _row({"1.12": "degraded"}, {"decision": "implicit-deny"})]) == {}
	fix.calls(role, []) == {}
	fix.calls(_role(_call("v21", {}, [])), [_row(v1, {"decision": "implicit-deny"})]) == {}
}

# Unscoped read calls of later versions: one statement for them, an entry of the module's list.
_read_row(action) := {
	"t": {"id": action, "action": action, "resource": "*", "minors": {"1.12": "degraded"}},
	"verdict": {"evals": [{"decision": "implicit-deny"}]},
}

test_unscoped_read_calls_get_one_statement if {
	rows := [_read_row("iam:ListInstanceProfiles"), _read_row("ec2:DescribeInstanceStatus")]
	f := fix.calls(_role(_call("v20.24", {"enable_v1_permissions": false}, [])), rows)
	f.edit.entries == [{"argument": "iam_policy_statements", "append": {
		"sid": "AllowKarpenterUnscopedReadActions",
		"actions": ["ec2:DescribeInstanceStatus", "iam:ListInstanceProfiles"],
		"resources": ["*"],
	}}]
	mine := fix.calls(object.union(fx.role([]), {"module_call": null}), rows)
	contains(mine.fix_forms.jsonencode, "Action   = [\"ec2:DescribeInstanceStatus\", \"iam:ListInstanceProfiles\"]")
	fix.calls(_role(_call("v19", {}, [])), rows) == {}
	scoped := object.union(_read_row("ec2:TerminateInstances"), {"t": {
		"id": "t", "action": "ec2:TerminateInstances",
		"resource": "arn:aws:ec2:eu-west-1:111122223333:instance/i-0", "minors": {"1.12": "termination"},
	}})
	fix.calls(_role(_call("v21", {}, [])), [scoped]) == {}
}

# Calls on resources upstream grants without a condition (capacity reservations, placement groups,
# the cluster): one statement per service with the known ARNs, beside the read statement; a call on
# a resource upstream scopes by tags (an instance) keeps the remediation.
_scoped_row(action, resource) := {
	"t": {"id": action, "action": action, "resource": "arn:{P}:ec2:{R}:{A}:x/*", "minors": {"1.11": "launch"}},
	"verdict": {"evals": [{"decision": "implicit-deny", "request": {"action": action, "resource": resource}}]},
}

test_scoped_calls_on_plain_resources_get_a_statement_per_service if {
	rows := [
		_read_row("ec2:DescribePlacementGroups"),
		_scoped_row("ec2:CreateFleet", "arn:aws:ec2:eu-west-1:111122223333:placement-group/pg-0123456789abcdef0"),
		_scoped_row("ec2:RunInstances", "arn:aws:ec2:eu-west-1:111122223333:placement-group/pg-0123456789abcdef0"),
		_scoped_row("eks:DescribeCluster", "arn:aws:eks:eu-west-1:111122223333:cluster/prod"),
	]
	f := fix.calls(_role(_call("v21", {}, [])), rows)
	f.edit.entries == [
		{"argument": "iam_policy_statements", "append": {
			"sid": "AllowKarpenterUnscopedReadActions",
			"actions": ["ec2:DescribePlacementGroups"], "resources": ["*"],
		}},
		{"argument": "iam_policy_statements", "append": {
			"sid": "AllowKarpenterEC2ScopedActions",
			"actions": ["ec2:CreateFleet", "ec2:RunInstances"],
			"resources": ["arn:aws:ec2:eu-west-1:111122223333:placement-group/*"],
		}},
		{"argument": "iam_policy_statements", "append": {
			"sid": "AllowKarpenterEKSScopedActions",
			"actions": ["eks:DescribeCluster"], "resources": ["arn:aws:eks:eu-west-1:111122223333:cluster/prod"],
		}},
	]
	contains(f.fix, "Add the statements as entries of the module's iam_policy_statements list")
	not contains(f.fix, "<")
	mine := fix.calls(object.union(fx.role([]), {"module_call": null}), rows)
	contains(mine.fix_forms.json, "\"arn:aws:ec2:eu-west-1:111122223333:placement-group/*\"")
	contains(mine.fix_forms.policy_document, "sid       = \"AllowKarpenterEKSScopedActions\"")
	instance := _scoped_row("ec2:TerminateInstances", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0")
	fix.calls(_role(_call("v21", {}, [])), array.concat(rows, [instance])) == {}
}

# The text-only forms follow the same path.
test_text_only_forms_are_the_same_fix if {
	role := _role(_call("v19", {}, []))
	fix.statement(role, {}, _statement) == fix.add(role, {}, _statement).fix
	theirs := "module.karpenter.aws_iam_policy.controller[0]"
	fix.replacement(role, theirs, _statement) == fix.over_reach(role, {"policy": theirs}, _statement).fix
	c := {"StringEquals": {"k": "v"}}
	fix.conditions(role, "aws_iam_policy.mine", c) == fix.scope(role, {"policy": "aws_iam_policy.mine"}, c).fix
	contains(fix.switch(role, theirs), "Upgrade the module")
	fix.switch(role, "aws_iam_policy.mine") == null
	fix.policy_edit(role, theirs) == {"module": "module.karpenter", "arguments": {"enable_v1_permissions": true}}
	fix.policy_edit(role, "aws_iam_policy.mine") == null
}
