# METADATA
# title: Fixes in the form the user edits
# description: |
#   Every built-in rule that knows a fix gets it here, as finding fields (karpenter.finding drops
#   the null ones): "fix" (the text), "edit" (what --format patch=FILE changes: module arguments,
#   or an entry of a module's list input) and "fix_forms" (the text for each way a policy can be
#   written, keyed policy_document, jsonencode and json; karpgate picks the one that matches the
#   policy's source, from the .tf files or the plan's configuration, and keeps "fix" otherwise).
#
#   When a Karpenter role comes from terraform-aws-eks modules/karpenter
#   (input.iam.roles[_].module_call), the user cannot edit the policy document inside it: the fix
#   is the module's switch or upgrade, or an entry of its iam_policy_statements input in HCL
#   object syntax (conditions as a list of {test, variable, values} objects).
package karpgate.lib.fix

import data.karpgate.lib.deployment
import data.karpgate.lib.karpenter
import data.karpgate.lib.layers
import data.karpgate.lib.requests

# add is the fix for a refusal that a statement st would cure, v the refused verdict: the module's
# switch or upgrade when the role's module predates its Karpenter v1 policy (and no identity-policy
# Deny decides v), a new iam_policy_statements entry for a module that has the input, else st in
# the form of the policy it goes into.
add(role, v, st) := {"fix": switch_text(role), "edit": edit(role, v)} if {
	_switchable(role, v)
} else := {"fix": _append_text(role, st), "edit": _append_edit(role, st)} if {
	_has_list(role.module_call)
	object.get(v, "decision", "") != "denied"
} else := _statement_forms(st)

# over_reach is the fix for a statement s (an evaluated statement: policy, sid, index) that reaches
# too far, st the statement that does the job: for an entry of the module's iam_policy_statements,
# that entry with st's resources; for the old module's own statement, its switch or upgrade; else
# st in the form of s's policy.
over_reach(role, s, st) := {"fix": _entry_text(role, e, set, "limit its resources to those below"), "edit": _entry_edit(role, e, set)} if {
	e := _entry(role, s)
	set := {"resources": _list(st.Resource)}
} else := {"fix": switch_text(role), "edit": edit(role, {})} if {
	_owned_switchable(role, s.policy)
} else := _statement_forms(st)

# scope is the fix that adds the conditions condition (a raw Condition object) to the statement s:
# for an entry of the module's iam_policy_statements, the entry with its conditions and these; for
# the old module's own statement, its switch or upgrade; else the conditions in the form of s's
# policy.
scope(role, s, condition) := {"fix": _entry_text(role, e, set, "add the conditions to the entry"), "edit": _entry_edit(role, e, set)} if {
	e := _entry(role, s)
	key := _conditions_key(role.module_call)
	set := {key: array.concat(object.get(e.value, key, []), _condition_objects(condition))}
} else := {"fix": switch_text(role), "edit": edit(role, {})} if {
	_owned_switchable(role, s.policy)
} else := {"fix": _list_conditions_text(role, condition)} if {
	# A statement of the module's policy without a Sid that names its entry.
	_has_list(role.module_call)
	startswith(s.policy, concat("", [role.module, "."]))
} else := _condition_forms(condition)

# switch_only is the switch or upgrade when it replaces a statement of policy, as finding fields;
# {} otherwise (for rules whose fix is their remediation text).
switch_only(role, policy) := {"fix": switch_text(role), "edit": edit(role, {})} if {
	_owned_switchable(role, policy)
} else := {}

# calls is the fix for refused Karpenter calls, rows as lib/deployment failing gives them: the
# module's switch or upgrade when it cures every one of them: the role's old module policy refuses
# them (its identity-based policies decide, without a Deny) and each is a call Karpenter v1.0
# makes, which the module's Karpenter v1 policy grants (calls of later versions, such as
# iam:ListInstanceProfiles, it lacks). Else, when they are all unscoped read calls, the statement
# that allows them (an iam_policy_statements entry for a module role). {} otherwise, and the
# rule's remediation applies.
calls(role, rows) := {"fix": switch_text(role), "edit": edit(role, {})} if {
	count(rows) > 0
	_switchable(role, {})
	every r in rows {
		deployment.requested_in(r.t, "1.0")
		e := deployment.refused_eval(r)
		layers.explain(e) == ""
		object.get(e, "decision", "") != "denied"
	}
} else := _read_fix(role, rows) if {
	# Unscoped read calls (Describe*, pricing, iam:ListInstanceProfiles) the identity-based
	# policies lack: one statement that allows them, in the module's list when the role has one.
	count(rows) > 0
	every r in rows {
		object.get(r.t, "resource", "") == "*"
		e := deployment.refused_eval(r)
		layers.explain(e) == ""
		object.get(e, "decision", "") != "denied"
	}
	not _module_without_list(role)
} else := _plain_fix(role, rows) if {
	# Calls on resources the upstream policy grants without a condition (an AMI, a subnet, a
	# capacity reservation, the cluster, ...), or on Karpenter's own resources, which it grants
	# on Karpenter's ownership tags: one statement per service (and conditions), beside the read
	# statement.
	count(rows) > 0
	every r in rows {
		_stateable(role, r)
		e := deployment.refused_eval(r)
		layers.explain(e) == ""
		object.get(e, "decision", "") != "denied"
	}
	not _module_without_list(role)
} else := {}

# _call_resource is the resource of a refused call as a fix names it: the request's, a generated id
# as * (the one simulated stands for every resource of its type); the template's without a request.
_call_resource(r) := layers.generalised(e.request.resource) if {
	e := deployment.refused_eval(r)
	is_string(e.request.resource)
} else := object.get(r.t, "resource", "")

# _plain_type: "*", or an ARN whose resource type upstream grants without a condition.
_plain_type("*")

_plain_type(arn) if _resource_type(arn) in data.karpgate.karpenter.plain_resource_types

# _stateable: a statement can allow the call as upstream does: unscoped, on a resource type upstream
# grants without a condition, or on a resource the request tags as Karpenter's.
_stateable(role, r) if _plain(role, r)

_stateable(role, r) if count(_tag_conditions(role, r)) > 0

# _plain: unscoped, or on a resource type upstream grants without a condition, and the request
# carries none of Karpenter's ownership tags (those calls are granted on the tags).
_plain(_, r) if _call_resource(r) == "*"

_plain(role, r) if {
	_plain_type(_call_resource(r))
	count(_tag_conditions(role, r)) == 0
}

# _tag_conditions are the conditions upstream scopes calls on Karpenter's own resources with, as the
# request satisfies them: the cluster's ownership tag, eks:eks-cluster-name on creation and
# ec2:CreateAction with their value, karpenter.sh/nodepool (or, without it, the EC2NodeClass tag)
# with any value. Empty for other requests.
_tag_conditions(role, r) := object.union(_operator("StringEquals", exact), _operator("StringLike", any_value)) if {
	ctx := requests.fill(object.get(r.t, "context", {}), karpenter.display_params(role))
	exact := {k: v | some k, v in ctx; _exact_key(k)}
	any_value := {k: ["*"] | some k, _ in ctx; _any_value_key(k, ctx)}
}

_operator(_, m) := {} if count(m) == 0

_operator(op, m) := {op: m} if count(m) > 0

_exact_key(k) if lower(k) == "ec2:createaction"

_exact_key(k) if startswith(lower(_tag_name(k)), "kubernetes.io/cluster/")

# eks:eks-cluster-name only as a request tag: resources launched before v1.0 lack it.
_exact_key(k) if lower(k) == "aws:requesttag/eks:eks-cluster-name"

_any_value_key(k, _) if lower(_tag_name(k)) == "karpenter.sh/nodepool"

# The EC2NodeClass tag where the request has no node pool tag (instance profiles).
_any_value_key(k, ctx) if {
	lower(_tag_name(k)) == "karpenter.k8s.aws/ec2nodeclass"
	not _has_nodepool(ctx)
}

_has_nodepool(ctx) if {
	some k, _ in ctx
	lower(_tag_name(k)) == "karpenter.sh/nodepool"
}

# _tag_name is the tag key of an aws:RequestTag/ or aws:ResourceTag/ condition key, "" otherwise.
_tag_name(k) := substring(k, count("aws:requesttag/"), -1) if {
	startswith(lower(k), "aws:requesttag/")
} else := substring(k, count("aws:resourcetag/"), -1) if {
	startswith(lower(k), "aws:resourcetag/")
} else := ""

# _plain_statements: the read statement for the unscoped calls, one statement per service for the
# calls on resource types upstream grants without a condition, and one per service and conditions
# for the calls on Karpenter's own resources.
_plain_statements(role, rows) := array.concat(
	array.concat(
		[_read_statement(reads) | reads := [r | some r in rows; _call_resource(r) == "*"]; count(reads) > 0],
		[{
			"Sid": sprintf("AllowKarpenter%sScopedActions", [_svc_name(svc)]),
			"Effect": "Allow",
			"Action": sort({r.t.action | some r in plain; _svc(r) == svc}),
			"Resource": sort({_type_resource(_call_resource(r)) | some r in plain; _svc(r) == svc}),
		} |
			plain := [r | some r in rows; _call_resource(r) != "*"; _plain(role, r)]
			some svc in sort({_svc(r) | some r in plain})
		],
	),
	[{
		"Sid": sprintf("AllowKarpenter%sTaggedActions%d", [_svc_name(g[0]), i + 1]),
		"Effect": "Allow",
		"Action": sort({r.t.action | some r in tagged; [_svc(r), _tag_conditions(role, r)] == g}),
		"Resource": sort({_call_resource(r) | some r in tagged; [_svc(r), _tag_conditions(role, r)] == g}),
		"Condition": g[1],
	} |
		tagged := [r | some r in rows; not _plain(role, r)]
		some i, g in sort({[_svc(r), _tag_conditions(role, r)] | some r in tagged})
	],
)

# _type_resource is every resource of the ARN's type, as upstream grants it (image/*, subnet/*,
# instance-profile/*), except the cluster, which upstream names.
_type_resource(arn) := arn if {
	_resource_type(arn) == "cluster"
} else := concat("", [concat(":", array.slice(split(arn, ":"), 0, 5)), ":", _resource_type(arn), "/*"]) if {
	contains(concat(":", array.slice(split(arn, ":"), 5, count(split(arn, ":")))), "/")
} else := arn

_resource_type(arn) := split(concat(":", array.slice(parts, 5, count(parts))), "/")[0] if {
	parts := split(arn, ":")
	count(parts) > 5
}

_svc(r) := split(r.t.action, ":")[0]

_svc_name(svc) := upper(replace(svc, "-", ""))

_plain_fix(role, rows) := {"fix": _append_texts(role, sts), "edit": _append_edits(role, sts)} if {
	_has_list(role.module_call)
	sts := _plain_statements(role, rows)
} else := _statements_forms(_plain_statements(role, rows))

_append_texts(role, [st]) := _append_text(role, st)

_append_texts(role, sts) := concat("\n", array.concat(
	[
		sprintf(
			concat("", [
				"The policy comes from terraform-aws-eks modules/karpenter %s (%s), which writes it.\n",
				"Add the statements as entries of the module's iam_policy_statements list%s\n(HCL object syntax):",
			]),
			[mc.generation, mc.address, _after_note(mc)],
		),
		sprintf("module %q {", [mc.name]),
		"  iam_policy_statements = [",
	],
	array.concat([l | some st in sts; some l in _entry_lines(mc, _entry_object(mc, st))], ["  ]", "}"]),
)) if {
	count(sts) > 1
	mc := role.module_call
}

_append_edits(role, sts) := {
	"module": role.module_call.address,
	"entries": [{"argument": "iam_policy_statements", "append": _entry_object(role.module_call, st)} | some st in sts],
}

_statements_forms([st]) := _statement_forms(st)

_statements_forms(sts) := {
	"fix": concat("\n", [
		concat("", [_unknown_form, " The statements as aws_iam_policy_document blocks and as JSON:"]), "",
		concat("\n\n", [karpenter.render(st) | some st in sts]),
	]),
	"fix_forms": {
		"policy_document": concat("\n", array.concat(
			["Add the statements to the data \"aws_iam_policy_document\" that builds the policy:"],
			[karpenter.hcl_statement(st) | some st in sts],
		)),
		"jsonencode": concat("\n", array.concat(
			["Add the statements to the Statement list of the policy's jsonencode(...) (HCL object syntax):"],
			[_hcl_statement_object(st) | some st in sts],
		)),
		"json": concat("\n", ["Add the statements to the policy's Statement list (JSON):", json.marshal_with_options(sts, {"pretty": true, "indent": "  "})]),
	},
} if count(sts) > 1

# calls_or_list is calls, else the refused requests themselves to allow, with the known values filled
# in (a generated id as *): the published controller policy of the version judged (v, as
# lib/deployment describes it) grants each with conditions this fix cannot state for it.
calls_or_list(role, v, rows) := f if {
	f := calls(role, rows)
	count(f) > 0
} else := {"fix": sprintf(
	"Allow each refused request as the published Karpenter controller policy of %s does (with its conditions), or change the statement that refuses it:\n%s",
	[
		deployment.describe_version(v),
		concat("\n", sort({sprintf("- %s on %s", [r.t.action, _call_resource(r)]) | some r in rows})),
	],
)}

_module_without_list(role) if {
	is_object(role.module_call)
	not _has_list(role.module_call)
}

_read_statement(rows) := {
	"Sid": "AllowKarpenterUnscopedReadActions",
	"Effect": "Allow",
	"Action": sort({r.t.action | some r in rows}),
	"Resource": "*",
}

_read_fix(role, rows) := {"fix": _append_text(role, st), "edit": _append_edit(role, st)} if {
	_has_list(role.module_call)
	st := _read_statement(rows)
} else := _statement_forms(_read_statement(rows))

# edit is the module-argument change of the switch fix, for the patch format: {"module": address,
# "arguments": {...}, "version": constraint or absent}; null when the fix is not a switch.
edit(role, v) := e if {
	_switchable(role, v)
	e := object.union(
		{"module": role.module_call.address, "arguments": {"enable_v1_permissions": true}},
		_version_edit(role.module_call),
	)
} else := null

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

# ---------------------------------------------------------------------------------------------
# The module's iam_policy_statements list (terraform-aws-eks v20 and v21): a list of objects
# {sid, effect, actions, resources, conditions}; v21 names the conditions `condition`.

_has_list(mc) if mc.generation in {"v20.0", "v20.24", "v21"}

_conditions_key(mc) := "condition" if mc.generation == "v21"

_conditions_key(mc) := "conditions" if mc.generation != "v21"

# _entry is the entry of the role's module's iam_policy_statements that the statement s of the
# module's policy came from (matched by Sid): {"index", "sid", "value"}.
_entry(role, s) := {"index": i, "sid": s.sid, "value": entries[i]} if {
	mc := role.module_call
	is_object(mc)
	_has_list(mc)
	startswith(object.get(s, "policy", ""), concat("", [role.module, "."]))
	object.get(s, "sid", "") != ""
	entries := object.get(object.get(mc, "arguments", {}), "iam_policy_statements", [])
	is_array(entries)
	matches := [j | some j, e in entries; is_object(e); object.get(e, "sid", "") == s.sid]
	count(matches) == 1
	i := matches[0]
}

# _entry_edit sets attributes of one entry, found by its sid; _append_edit adds an entry.
_entry_edit(role, e, set) := {"module": role.module_call.address, "entries": [{"argument": "iam_policy_statements", "sid": e.sid, "set": set}]}

_append_edit(role, st) := {
	"module": role.module_call.address,
	"entries": [{"argument": "iam_policy_statements", "append": _entry_object(role.module_call, st)}],
}

# _entry_object turns a raw IAM statement into an iam_policy_statements entry.
_entry_object(mc, st) := {k: v |
	some k, v in {
		"sid": object.get(st, "Sid", null),
		"effect": _effect(st),
		"actions": _list_or_null(object.get(st, "Action", null)),
		"resources": _list_or_null(object.get(st, "Resource", null)),
		_conditions_key(mc): _conditions_or_null(object.get(st, "Condition", {})),
	}
	v != null
}

# The module's entries default to Allow.
_effect(st) := null if object.get(st, "Effect", "Allow") == "Allow"

_effect(st) := st.Effect if object.get(st, "Effect", "Allow") != "Allow"

_list_or_null(null) := null

_list_or_null(x) := _list(x) if x != null

_list(x) := x if is_array(x)

_list(x) := [x] if not is_array(x)

_conditions_or_null(c) := null if count(c) == 0

_conditions_or_null(c) := _condition_objects(c) if count(c) > 0

# _condition_objects turns a raw Condition object into {test, variable, values} objects.
_condition_objects(condition) := [{"test": op, "variable": key, "values": _list(condition[op][key])} |
	some op in sort(object.keys(condition))
	some key in sort(object.keys(condition[op]))
]

_entry_text(role, e, set, what) := concat("\n", array.concat(
	[
		sprintf(
			"The statement is the entry %q of the iam_policy_statements list of %s\n(terraform-aws-eks modules/karpenter %s): %s.",
			[e.sid, mc.address, mc.generation, what],
		),
		"The entry after the change, in the module block (HCL object syntax; the other entries stay as\nthey are):",
		sprintf("module %q {", [mc.name]),
		"  iam_policy_statements = [",
	],
	array.concat(_entry_lines(mc, object.union(e.value, set)), ["  ]", "}"]),
)) if {
	mc := role.module_call
}

_append_text(role, st) := concat("\n", array.concat(
	[
		sprintf(
			concat("", [
				"The policy comes from terraform-aws-eks modules/karpenter %s (%s), which writes it.\n",
				"Add the statement as an entry of the module's iam_policy_statements list%s\n(HCL object syntax):",
			]),
			[mc.generation, mc.address, _after_note(mc)],
		),
		sprintf("module %q {", [mc.name]),
		"  iam_policy_statements = [",
	],
	array.concat(_entry_lines(mc, _entry_object(mc, st)), ["  ]", "}"]),
)) if {
	mc := role.module_call
}

_after_note(mc) := ", after the entries already there" if {
	count(object.get(mc.arguments, "iam_policy_statements", [])) > 0
} else := ""

# _list_conditions_text is the conditions of an entry whose Sid karpgate cannot match.
_list_conditions_text(role, condition) := concat("\n", array.concat(
	[sprintf(
		concat("", [
			"The statement comes from the iam_policy_statements list of %s (terraform-aws-eks\nmodules/karpenter %s): ",
			"add these to the %s of the entry that grants it (HCL object syntax):",
		]),
		[mc.address, mc.generation, _conditions_key(mc)],
	)],
	_condition_lines(_condition_objects(condition), ""),
)) if {
	mc := role.module_call
}

# _entry_lines renders one entry of the list, indented for the module block.
_entry_lines(mc, entry) := array.concat(
	array.concat(["    {"], [sprintf("      %s = %s", [_pad(k, entry), _entry_value(entry[k])]) |
		some k in ["sid", "effect", "actions", "not_actions", "resources", "not_resources"]
		entry[k]
	]),
	array.concat(_entry_conditions(object.get(entry, _conditions_key(mc), []), _conditions_key(mc)), ["    },"]),
)

_entry_conditions(cs, _) := [] if count(cs) == 0

_entry_conditions(cs, key) := array.concat(
	[sprintf("      %s = [", [key])],
	array.concat(_condition_lines(cs, "      "), ["      ]"]),
) if count(cs) > 0

_condition_lines(cs, indent) := [sprintf("%s  { test = %s, variable = %s, values = %s },", [
	indent,
	karpenter.hcl_string(c.test),
	karpenter.hcl_string(c.variable),
	karpenter.hcl_list(c.values),
]) |
	some c in cs
]

_entry_value(v) := karpenter.hcl_list(v) if is_array(v)

_entry_value(v) := karpenter.hcl_string(v) if is_string(v)

# _pad aligns the = of an entry's one-line attributes, as terraform fmt does.
_pad(k, entry) := sprintf(concat("", ["%-", format_int(w, 10), "s"]), [k]) if {
	w := max([count(x) |
		some x in ["sid", "effect", "actions", "not_actions", "resources", "not_resources"]
		entry[x]
	])
}

# ---------------------------------------------------------------------------------------------
# A policy the user writes: the fix in each form, "fix" the form-neutral text.

_unknown_form := "karpgate cannot tell how this policy is written: the plan does not say, and the .tf files\nwere not at hand or did not tell."

_statement_forms(st) := {
	"fix": concat("\n", [concat("", [_unknown_form, " The statement as an aws_iam_policy_document block and as JSON:"]), "", karpenter.render(st)]),
	"fix_forms": {
		"policy_document": concat("\n", ["Add the statement to the data \"aws_iam_policy_document\" that builds the policy:", karpenter.hcl_statement(st)]),
		"jsonencode": concat("\n", ["Add the statement to the Statement list of the policy's jsonencode(...) (HCL object syntax):", _hcl_statement_object(st)]),
		"json": concat("\n", ["Add the statement to the policy's Statement list (JSON):", json.marshal_with_options(st, {"pretty": true, "indent": "  "})]),
	},
}

_condition_forms(condition) := {
	"fix": concat("\n", array.concat(
		array.concat(
			[concat("", [_unknown_form, " The conditions as aws_iam_policy_document condition blocks and as JSON."]), "", "HCL, in the statement block:"],
			karpenter.hcl_conditions(condition, ""),
		),
		["", "JSON, merged into the statement's Condition:", json.marshal_with_options(condition, {"pretty": true, "indent": "  "})],
	)),
	"fix_forms": {
		"policy_document": concat("\n", array.concat(
			["Add the condition blocks to the statement block of the data \"aws_iam_policy_document\":"],
			karpenter.hcl_conditions(condition, ""),
		)),
		"jsonencode": concat("\n", [
			"Merge these operators into the statement's Condition object in the jsonencode(...) (HCL object syntax):",
			_hcl_condition_object(condition, ""),
		]),
		"json": concat("\n", [
			"Merge these operators into the statement's \"Condition\" object (JSON):",
			json.marshal_with_options(condition, {"pretty": true, "indent": "  "}),
		]),
	},
}

# _hcl_statement_object renders a raw IAM statement as an HCL object, as written in jsonencode.
_hcl_statement_object(st) := concat("\n", array.concat(
	array.concat(["{"], [sprintf("  %-8s = %s", [k, _hcl_scalar_or_list(st[k])]) |
		some k in ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"]
		st[k]
	]),
	array.concat(_hcl_condition_member(object.get(st, "Condition", {})), ["}"]),
))

_hcl_condition_member(c) := [] if count(c) == 0

_hcl_condition_member(c) := [concat("", ["  Condition = ", _hcl_condition_object(c, "  ")])] if count(c) > 0

# _hcl_condition_object renders a raw Condition object as an HCL object; indent is the column of
# its first line.
_hcl_condition_object(c, indent) := concat("\n", array.concat(
	array.concat(["{"], [line |
		some op in sort(object.keys(c))
		some line in array.concat(
			array.concat([sprintf("%s  %s = {", [indent, _hcl_key(op)])], [sprintf("%s    %s = %s", [indent, _hcl_key(key), _hcl_scalar_or_list(c[op][key])]) |
				some key in sort(object.keys(c[op]))
			]),
			[sprintf("%s  }", [indent])],
		)
	]),
	[concat("", [indent, "}"])],
))

# An object key is an identifier or a quoted string.
_hcl_key(k) := k if regex.match(`^[A-Za-z_][A-Za-z0-9_]*$`, k)

_hcl_key(k) := karpenter.hcl_string(k) if not regex.match(`^[A-Za-z_][A-Za-z0-9_]*$`, k)

_hcl_scalar_or_list(v) := karpenter.hcl_list(v) if is_array(v)

_hcl_scalar_or_list(v) := karpenter.hcl_string(v) if is_string(v)

# ---------------------------------------------------------------------------------------------
# Text-only forms of the functions above, for rules that build their finding by hand: the same
# fix path, its "fix" alone (edit and fix_forms are lost, so prefer the functions above).

# statement is add's text.
statement(role, v, st) := add(role, v, st).fix

# replacement is over_reach's text for a statement of policy.
replacement(role, policy, st) := over_reach(role, {"policy": policy}, st).fix

# conditions is scope's text for a statement of policy.
conditions(role, policy, condition) := scope(role, {"policy": policy}, condition).fix

# switch is the switch or upgrade text when it replaces a statement of policy; null otherwise.
switch(role, policy) := object.get(switch_only(role, policy), "fix", null)

# policy_edit is the edit of the switch when it replaces a statement of policy; null otherwise.
policy_edit(role, policy) := object.get(switch_only(role, policy), "edit", null)
