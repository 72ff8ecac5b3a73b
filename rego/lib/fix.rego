# METADATA
# title: Fixes in the form the user edits
# description: |
#   When a Karpenter role comes from a known module (input.iam.roles[_].module_call:
#   terraform-aws-eks modules/karpenter), the user cannot edit the policy document inside it: the
#   fix is the module's switch or upgrade, or, for v21, an entry of its
#   iam_policy_statements input in HCL object syntax. statement gives the fix text for a missing
#   statement, edit the module arguments the patch format (--format patch=FILE) sets.
package karpgate.lib.fix

import data.karpgate.lib.karpenter

# statement is the fix for a refusal that a statement would cure: the module's switch or upgrade
# when the role's module predates its Karpenter v1 policy (and no identity-policy Deny decides v),
# an iam_policy_statements entry for a v21 module, else the statement as HCL and JSON.
statement(role, v, st) := switch_text(role) if {
	_switchable(role, v)
} else := v21_entry(role, st) if {
	role.module_call.generation == "v21"
} else := karpenter.render(st)

# replacement is the fix for a statement of policy that reaches too far: the module's switch or
# upgrade when the statement is the old module's own (policy inside the role's module), an
# iam_policy_statements entry for a v21 module, else st as HCL and JSON.
replacement(role, policy, st) := switch_text(role) if {
	_owned_switchable(role, policy)
} else := v21_entry(role, st) if {
	role.module_call.generation == "v21"
} else := karpenter.render(st)

# switch is the switch or upgrade text when it replaces a statement of policy; null otherwise (for
# rules whose fix is their remediation text).
switch(role, policy) := switch_text(role) if {
	_owned_switchable(role, policy)
} else := null

# policy_edit is edit for a fix of a statement in policy: null unless the switch replaces it.
policy_edit(role, policy) := edit(role, {}) if {
	_owned_switchable(role, policy)
} else := null

# edit is the module-argument change of the switch fix, for the patch format: {"module": address,
# "arguments": {...}, "version": constraint or absent}; null when the fix is not a switch.
edit(role, v) := e if {
	_switchable(role, v)
	e := object.union(
		{"module": role.module_call.address, "arguments": {"enable_v1_permissions": true}},
		_version_edit(role.module_call),
	)
} else := null

# conditions is the fix that adds conditions to an existing statement of policy: the switch or
# upgrade when it is an old module's own statement, a condition list in object syntax for a v21 module's iam_policy_statements entry,
# else condition blocks and the JSON Condition object.
conditions(role, policy, condition) := switch_text(role) if {
	_owned_switchable(role, policy)
} else := concat("\n", array.concat(
	["HCL, in the entry of the module's iam_policy_statements list:"],
	_object_conditions(condition, ""),
)) if {
	role.module_call.generation == "v21"
} else := concat("\n", array.concat(
	array.concat(["HCL, in the statement block:"], karpenter.hcl_conditions(condition, "")),
	["", "JSON, the statement's Condition:", json.marshal_with_options(condition, {"pretty": true, "indent": "  "})],
))

# _switchable: the role's policy comes from a terraform-aws-eks modules/karpenter generation whose
# own policy predates Karpenter v1 and would be replaced by the switch or upgrade; a Deny in the
# identity policies (v.decision "denied") stays whatever the module grants.
_switchable(role, v) if {
	mc := role.module_call
	_old_policy(mc)
	object.get(v, "decision", "") != "denied"
}

# _owned_switchable: switchable, and policy is a resource of the role's module instance, so the
# switch replaces the statement.
_owned_switchable(role, policy) if {
	_switchable(role, {})
	startswith(policy, concat("", [role.module, "."]))
}

_old_policy(mc) if mc.generation in {"v19", "v20.0"}

_old_policy(mc) if {
	mc.generation == "v20.24"
	object.get(mc.arguments, "enable_v1_permissions", false) != true
}

# A registry source takes the upgrade in its version constraint.
_registry(mc) if mc.version_constraint != ""

_registry(mc) if startswith(mc.source, "terraform-aws-modules/")

_version_edit(mc) := {"version": "~> 20.24"} if {
	mc.generation in {"v19", "v20.0"}
	_registry(mc)
} else := {}

# switch_text explains and shows the module block change.
switch_text(role) := concat("\n", array.concat(
	[_switch_intro(mc), sprintf("module %q {", [mc.name])],
	array.concat(_version_lines(mc), ["  enable_v1_permissions = true", "}"]),
)) if {
	mc := role.module_call
}

_switch_intro(mc) := sprintf(
	concat("", [
		"The policy comes from terraform-aws-eks modules/karpenter v20.24 or later (%s),\n",
		"which keeps the Karpenter v0.33-v0.37 policy while enable_v1_permissions is false%s.\n",
		"Turn on its Karpenter v1 policy in the module block:",
	]),
	[mc.address, _default_note(mc)],
) if mc.generation == "v20.24"

_switch_intro(mc) := sprintf(
	concat("", [
		"The policy comes from terraform-aws-eks modules/karpenter v20.0-v20.23 (%s),\n",
		"which has only the Karpenter v0.33-v0.37 policy. Upgrade the module to v20.24 or later\n",
		"and turn on its Karpenter v1 policy (or upgrade to v21, which has only the v1 policy)%s:",
	]),
	[mc.address, _source_note(mc)],
) if mc.generation == "v20.0"

_switch_intro(mc) := sprintf(
	concat("", [
		"The policy comes from terraform-aws-eks modules/karpenter v19 (%s),\n",
		"written for Karpenter before v0.33. Upgrade the module to v20.24 or later\n",
		"and turn on its Karpenter v1 policy (or upgrade to v21); v20 changes the module's inputs,\n",
		"so follow the module's v20 upgrade guide%s:",
	]),
	[mc.address, _source_note(mc)],
) if mc.generation == "v19"

_default_note(mc) := " (its default; the call does not set it)" if "enable_v1_permissions" in mc.omitted

_default_note(mc) := "" if not "enable_v1_permissions" in mc.omitted

_source_note(mc) := "" if _registry(mc)

_source_note(mc) := sprintf(".\nIts source is %s: point it at the new version", [mc.source]) if not _registry(mc)

_version_lines(mc) := [`  version               = "~> 20.24"`] if {
	mc.generation in {"v19", "v20.0"}
	_registry(mc)
} else := []

# v21_entry renders a raw IAM statement as an entry of terraform-aws-eks v21's
# iam_policy_statements, a list of objects.
v21_entry(role, st) := concat("\n", array.concat(
	[
		sprintf(
			concat("", [
				"The policy comes from terraform-aws-eks modules/karpenter v21 (%s):\n",
				"add the statement to the module's iam_policy_statements list (HCL object syntax):",
			]),
			[role.module_call.address],
		),
		sprintf("module %q {", [role.module_call.name]),
		"  iam_policy_statements = [",
		"    {",
	],
	array.concat(
		[sprintf("      %s", [line]) | some line in _object_head(st)],
		array.concat(_object_conditions(object.get(st, "Condition", {}), "      "), ["    },", "  ]", "}"]),
	),
)) if {
	role.module_call.generation == "v21"
}

_object_head(st) := [line |
	some field in [["Sid", "sid      "], ["Effect", "effect   "], ["Action", "actions  "], ["Resource", "resources"]]
	value := object.get(st, field[0], null)
	value != null
	line := sprintf("%s = %s", [field[1], _value(field[0], value)])
]

_value(field, value) := karpenter.hcl_string(value) if field in {"Sid", "Effect"}

_value(field, value) := karpenter.hcl_list(value) if not field in {"Sid", "Effect"}

# _object_conditions renders a raw Condition object as the condition attribute of an
# iam_policy_statements entry: a list of {test, variable, values} objects.
_object_conditions(condition, _) := [] if count(condition) == 0

_object_conditions(condition, indent) := array.concat(
	array.concat([concat("", [indent, "condition = ["])], [line |
		some op in sort(object.keys(condition))
		some key in sort(object.keys(condition[op]))
		line := sprintf("%s  { test = %s, variable = %s, values = %s },", [
			indent,
			karpenter.hcl_string(op),
			karpenter.hcl_string(key),
			karpenter.hcl_list(condition[op][key]),
		])
	]),
	[concat("", [indent, "]"])],
) if count(condition) > 0
