# METADATA
# title: Karpenter requests
# description: |
#   Expands the request templates of data.karpgate.karpenter (RULES.md section 5) for one role and
#   evaluates them with the request evaluator.
#
#   Templates are {id, action, resource, context, each?, note?}. Their strings may hold the
#   placeholders {P} partition, {R} region, {A} account, {C} cluster and {EACH}; a template with
#   "each": "node_role_arns", "queue_arns" or "ebs_kms_key_arns" becomes one check per value of
#   that list of role.context, with the value as {EACH} (none when the list is empty), except the
#   node roles when role.context.node_role_unknown is true: then one check tries every candidate
#   name.
#
#   A known parameter has one value. An unknown one (role.context leaves it "") is tried with each
#   candidate of its list (regions, accounts, partitions, clusters: the values the role's policies
#   name in that position, one named nowhere and one matching each pattern, RULES.md 4.7): a check
#   is decided when every candidate gives the same verdict, else open, naming the parameter and
#   the config key that settles it. A check is never allowed because one candidate is.
#
#   Users extend the Karpenter call set (KARP004) through data: every template in
#   data.karpgate.user.requests.calls is checked as well, and data.karpgate.user.requests.replace_calls
#   set to true drops the embedded list.
package karpgate.lib.requests

import data.karpgate.lib.iam
import data.karpgate.lib.keys

# tagging is T(R), the existing-instance tagging request, as a check.
tagging(ctx) := _check(data.karpgate.karpenter.tagging, params(ctx), {})

# tagging_other_region is T(R2): the same request in a region named nowhere in the role's policies.
tagging_other_region(ctx) := _check(data.karpgate.karpenter.tagging, [object.union(p, {"R": p.R2}) | some p in params(ctx)], {})

# over_reach is the over-reach request named name (tag_foreign_instance, terminate_foreign_instance,
# pass_foreign_role) as a check.
over_reach(ctx, name) := _check(data.karpgate.karpenter.over_reach[name], params(ctx), {})

# calls is the v1 call set K without T(R), one check per template (and per {EACH} value).
calls(ctx) := [c |
	some t in call_templates
	some c in _template_checks(t, ctx)
]

# call_templates_versioned is the versioned request set of data.karpgate.karpenter.requests plus
# the user's calls (lib/deployment filters them by version and features); with replace_calls the
# user's calls alone.
call_templates_versioned := user_templates if {
	object.get(_user_requests, "replace_calls", false) == true
} else := array.concat([t | some t in data.karpgate.karpenter.requests.list; not t.variant], user_templates)

# user_templates are the user's calls (data.karpgate.user.requests.calls).
user_templates := object.get(_user_requests, "calls", [])

# replace_calls is true when the user's calls replace the embedded ones.
replace_calls if object.get(_user_requests, "replace_calls", false) == true

# tagging_templates are the tagging variants of RULES.md 5.4 (T_v0, T_v1, T_pre).
tagging_templates := [t | some t in data.karpgate.karpenter.requests.list; t.variant]

call_templates := user_templates if {
	object.get(_user_requests, "replace_calls", false) == true
} else := array.concat(data.karpgate.karpenter.calls, user_templates)

# Only data.karpgate.user.requests is read: data.karpgate as a whole includes the rules.
default _user_requests := {}

_user_requests := data.karpgate.user.requests if is_object(data.karpgate.user.requests)

# template_checks expands one template into its checks: one, or one per value of the context list
# its "each" names (none when the list is empty or absent).
template_checks(t, ctx) := _template_checks(t, ctx)

_template_checks(t, ctx) := [_check(t, params(ctx), {})] if not t.each

_template_checks(t, ctx) := [_check(t, params(ctx), {"EACH": v}) | some v in object.get(ctx, t.each, [])] if {
	t.each
	not _unknown_each(t, ctx)
}

# With the node role unknown, one check tries every candidate name (RULES.md 5.5); NODE keeps the
# candidate, so that a verdict that changes with it names the node role.
_template_checks(t, ctx) := [_check(
	t,
	[_with_each(object.union(p, {"NODE": v}), {"EACH": v}) | some p in params(ctx); some v in object.get(ctx, t.each, [])],
	{},
)] if {
	_unknown_each(t, ctx)
}

_unknown_each(t, ctx) if {
	t.each == "node_role_arns"
	object.get(ctx, "node_role_unknown", false) == true
}

_check(t, combos, extra) := {
	"id": t.id,
	"action": t.action,
	"note": object.get(t, "note", ""),
	"requests": [expand(t, _with_each(p, extra)) | some p in combos],
	"params": [_with_each(p, extra) | some p in combos],
}

# An {EACH} value may name a parameter itself (a node role named without its account when the
# account is unknown: arn:{P}:iam::{A}:role/name), filled for each parameter set.
_with_each(p, extra) := object.union(p, {"EACH": fill(extra.EACH, p)}) if {
	contains(object.get(extra, "EACH", ""), "{")
} else := object.union(p, extra)

# params lists the parameter sets to try: one when every parameter is known, else every
# combination of the candidates of the unknown ones. A parameter neither known nor given candidates
# takes the value of data.karpgate.karpenter.defaults, which names it nowhere.
params(ctx) := [{
	"R": r, "A": a, "P": p, "C": c, "R2": r2,
	"IAMR": iam_region(p), "PRICINGR": pricing_region(r), "EC2P": ec2_principal(p),
	"PT": pt, "NET": network,
} |
	some r in candidates(ctx, "region")
	some a in candidates(ctx, "account")
	some p in candidates(ctx, "partition")
	some c in candidates(ctx, "cluster")
] if {
	r2 := _value(ctx, "r2")
	pt := object.get(ctx, "principal_tags", null)
	network := object.get(ctx, "network", null)
}

_plural := {"region": "regions", "account": "accounts", "partition": "partitions", "cluster": "clusters"}

# param_keys maps a parameter's name to its placeholder in templates.
param_keys := {"region": "R", "account": "A", "partition": "P", "cluster": "C", "node_role": "NODE"}

# candidates lists the values parameter name is tried with: its value when known, else its
# candidates, else the default named nowhere.
candidates(ctx, name) := [v] if {
	v := object.get(ctx, name, "")
	is_string(v)
	v != ""
} else := list if {
	list := [x | some x in object.get(ctx, _plural[name], []); is_string(x); x != ""]
	count(list) > 0
} else := [data.karpgate.karpenter.defaults[name]]

# unknown lists the parameters of the context that are not known (node_role too, when the plan
# names no node role).
unknown(ctx) := array.concat(
	[n | some n in ["region", "account", "partition", "cluster"]; not _known(ctx, n)],
	["node_role" | object.get(ctx, "node_role_unknown", false) == true],
)

_known(ctx, n) if {
	v := object.get(ctx, n, "")
	is_string(v)
	v != ""
}

# display_params are the parameters as messages and fixes show them: known values, and for each
# unknown one a visible placeholder naming the config key that settles it
# (data.karpgate.karpenter.placeholders: "<account: set karpenter.account>").
display_params(ctx) := object.union(params(ctx)[0], {param_keys[n]: data.karpgate.karpenter.placeholders[n] |
	some n in unknown(ctx)
	n != "node_role"
})

# principal_tags is the aws:PrincipalTag part of a request's context (RULES.md 3b.4) for the tags
# params.PT holds: the known ones with their values; with "modelled" every other principal tag is
# absent, and the open ones are present with an unknown value. Without PT (the role's tags or
# session tags unknown) every principal tag stays open.
_principal_tags(params) := {concat("", ["aws:principaltag/", lower(k)]): [v] | some k, v in params.PT.known} if {
	is_object(params.PT)
} else := {}

_principal_modelled(params) := ["aws:principaltag/"] if is_object(params.PT)

else := []

_principal_present(params) := [concat("", ["aws:principaltag/", k]) | some k in params.PT.open] if {
	is_object(params.PT)
} else := []

# iam_region is the region IAM requests are signed for in partition p (RULES.md 4.5).
iam_region(p) := data.karpgate.karpenter.requests.partitions[p].iam_region

iam_region(p) := "us-east-1" if not data.karpgate.karpenter.requests.partitions[p]

# ec2_principal is iam:PassedToService for launches in partition p (RULES.md 5.3).
ec2_principal(p) := data.karpgate.karpenter.requests.partitions[p].ec2_principal

ec2_principal(p) := "ec2.amazonaws.com" if not data.karpgate.karpenter.requests.partitions[p]

# pricing_region is the region of the pricing endpoint Karpenter uses for cluster region r.
pricing_region(r) := [x.region | some x in data.karpgate.karpenter.requests.pricing_regions; startswith(r, x.prefix)][0] if {
	some x in data.karpgate.karpenter.requests.pricing_regions
	startswith(r, x.prefix)
} else := data.karpgate.karpenter.requests.pricing_default

_value(ctx, name) := v if {
	v := object.get(ctx, name, null)
	is_string(v)
	v != ""
} else := data.karpgate.karpenter.defaults[name]

# expand fills a template's placeholders from params ({"R": ..., "A": ...}).
# The context comes out as iam.context would make it (keys lower-cased, values lists) and says
# so, which spares decide that work for every request. The whole template is filled at once.
# The keys every Karpenter request has (lib/keys, RULES.md 4.5) are added under the template's own.
expand(t, params) := {
	"id": t.id,
	"action": filled.action,
	"resource": filled.resource,
	"context": object.union(object.union(keys.constant(filled.action, params), _principal_tags(params)), iam.context(filled)),
	"context_normalized": true,
	"present": array.concat(keys.present, _principal_present(params)),
	"modelled": _principal_modelled(params),
} if {
	filled := fill(object.filter(t, ["action", "resource", "context"]), params)
}

_replacements(params) := {concat("", ["{", k, "}"]): v | some k, v in params; is_string(v)}

# fill replaces {NAME} placeholders in every string of x (objects, arrays, strings, keys too),
# through JSON text because Rego functions cannot recurse.
fill(x, params) := json.unmarshal(strings.replace_n(_replacements({k: _json_inner(v) | some k, v in params; is_string(v)}), json.marshal(x)))

_json_inner(v) := substring(text, 1, count(text) - 2) if text := json.marshal(v)

# evaluate decides a check against a role's statements. parts are the role's open parts
# (iam.open_parts). It returns
#   {"check", "decision", "request", "result", "open", "causes"}
# Only the statements whose Action covers the check's action are decided (one glob per statement
# instead of a result per statement and request), so result.statements lists those only.
# A check has one request per candidate of its unknown parameters: when every candidate gives the
# same verdict (allowed, refused or indeterminate) that is the decision, else the decision is
# indeterminate and a cause names the parameters whose candidates disagree (RULES.md 4.7);
# request/result belong to the first candidate with the decision (a refusal when they disagree).
# open is true when the plan cannot settle whether the check is allowed: the decision is
# indeterminate, or nothing allows it but part of the policy is unknown or external (which could
# hold an Allow). Unknown parts are assumed to hold no Deny (RULES.md leaves it open; see
# KARP020), so an allowed or denied decision is never open. causes say what is open: {address,
# attribute, what, statement?}.
evaluate(statements, parts, check) := _evaluate(
	[s | some s in statements; iam.action_matches(s, lower(check.requests[0].action))],
	parts,
	check,
)

# evaluate_all evaluates several checks against the same statements, matching each distinct
# action against the statements once.
evaluate_all(statements, parts, checks) := [_evaluate(relevant[lower(c.requests[0].action)], parts, c) | some c in checks] if {
	relevant := {a: [s | some s in statements; iam.action_matches(s, a)] | some a in {lower(c.requests[0].action) | some c in checks}}
}

_evaluate(relevant, parts, check) := {
	"check": check,
	"decision": decision,
	"request": chosen.request,
	"result": chosen.result,
	"open": is_open,
	"causes": array.concat(_causes(decision, open_parts, chosen.result), param_causes(check, [_class(x.result.decision) | some x in results])),
} if {
	open_parts := [p | some p in parts; _may_add_allow(p, relevant)]
	results := [{"request": r, "result": iam.decide(relevant, r)} | some r in check.requests]
	decision := _aggregate([x.result.decision | some x in results])
	chosen := _chosen(results, decision)
	is_open := _is_open(decision, open_parts)
}

_chosen(results, decision) := [x | some x in results; x.result.decision == decision][0] if {
	some x in results
	x.result.decision == decision
} else := [x | some x in results; _class(x.result.decision) == "refused"][0] if {
	some x in results
	_class(x.result.decision) == "refused"
} else := results[0]

# An unknown or external policy may hold an Allow for anything. A partly known document whose
# known statements already cover the check's action is decided from those statements: its unknown
# part is taken to be values inside them (a statement whose Resource is unknown evaluates as
# unknown), not further statements for that action.
_may_add_allow(p, _) if p.status != "partial"

_may_add_allow(p, relevant) if {
	p.status == "partial"
	not _covers(p, relevant)
}

_covers(p, relevant) if {
	some s in relevant
	s.policy == p.address
}

_class(d) := "refused" if d in {"implicit-deny", "denied"}

_class(d) := d if not d in {"implicit-deny", "denied"}

# One verdict for every candidate decides; candidates that disagree leave the check open.
_aggregate(decisions) := decisions[0] if {
	count({_class(d) | some d in decisions}) == 1
} else := "indeterminate"

# param_causes names the unknown parameters whose candidates disagree: those that differ between
# two requests of the check (one per candidate) whose verdict classes differ.
param_causes(check, classes) := [] if {
	count({c | some c in classes}) < 2
} else := [_param_cause(n) | some n in {n |
	some n, k in param_keys
	some i, x in classes
	some j, y in classes
	i < j
	x != y
	check.params[i][k] != check.params[j][k]
}]

_param_cause(n) := {
	"address": "",
	"attribute": concat("", ["context.", n]),
	"status": "input",
	"via": "",
	"arn": null,
	"what": [data.karpgate.karpenter.unknown_parameters[n]],
}

_is_open("indeterminate", _) := true

# A value, not a condition: false is an answer.
# regal ignore:boolean-assignment
_is_open("implicit-deny", parts) := count(parts) > 0

_is_open(decision, _) := false if not decision in {"indeterminate", "implicit-deny"}

_causes(decision, parts, result) := array.concat(
	[{"address": p.address, "attribute": p.attribute, "status": p.status, "via": p.via, "arn": p.arn, "what": p.what} |
		decision in {"indeterminate", "implicit-deny"}
		some p in parts
	],
	[{
		"address": object.get(s, "policy", ""),
		"attribute": object.get(s, "attribute", ""),
		"status": "statement",
		"statement": {"policy": object.get(s, "policy", ""), "attribute": object.get(s, "attribute", ""), "sid": s.sid, "index": s.index},
		"what": s.reasons,
	} |
		decision == "indeterminate"
		some s in result.statements
		s.applies == "unknown"
	],
)

# bulk_checks expands many templates for one role at once: {template id: [check]}, as
# template_checks would, but with the placeholders of every template without "each" filled in
# one pass per parameter set (filling goes through JSON text, and its cost is per call).
bulk_checks(ts, ctx) := object.union(plain, each) if {
	combos := params(ctx)
	ps := [t | some t in ts; not t.each]
	filled := [fill([object.filter(t, ["action", "resource", "context"]) | some t in ps], p) | some p in combos]
	plain := {t.id: [check] |
		some i, t in ps
		check := {
			"id": t.id,
			"action": t.action,
			"note": object.get(t, "note", ""),
			"requests": [_expanded(f[i], combos[j]) | some j, f in filled],
			"params": combos,
		}
	}
	each := {t.id: template_checks(t, ctx) | some t in ts; t.each}
}

# A request carries no template id: templates that expand to the same request (one call in
# several versions or for several features) then compare equal, and lib/deployment evaluates it
# once.
_expanded(f, params) := {
	"action": f.action,
	"resource": f.resource,
	"context": object.union(object.union(keys.constant(f.action, params), _principal_tags(params)), iam.context(f)),
	"context_normalized": true,
	"present": array.concat(keys.present, _principal_present(params)),
	"modelled": _principal_modelled(params),
}
