# METADATA
# title: Karpenter requests
# description: |
#   Expands the request templates of data.karpgate.karpenter (RULES.md section 5) for one role and
#   evaluates them with the request evaluator.
#
#   Templates are {id, action, resource, context, each?, note?}. Their strings may hold the
#   placeholders {P} partition, {R} region, {A} account, {C} cluster and {EACH}; a template with
#   "each": "node_role_arns" or "queue_arns" becomes one check per value of that list of
#   role.context, with the value as {EACH} (none when the list is empty). A check is tried for every
#   candidate region, account and partition of the role's context and passes if one of them is
#   allowed.
#
#   Users extend the Karpenter call set (KARP004) through data: every template in
#   data.karpgate.user.requests.calls is checked as well, and data.karpgate.user.requests.replace_calls
#   set to true drops the embedded list.
package karpgate.lib.requests

import data.karpgate.lib.iam

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

call_templates := _user_calls if {
	object.get(_user_requests, "replace_calls", false) == true
} else := array.concat(data.karpgate.karpenter.calls, _user_calls)

_user_calls := object.get(_user_requests, "calls", [])

# Only data.karpgate.user.requests is read: data.karpgate as a whole includes the rules.
_user_requests := data.karpgate.user.requests if {
	is_object(data.karpgate.user.requests)
} else := {}

_template_checks(t, ctx) := [_check(t, params(ctx), {})] if not t.each

_template_checks(t, ctx) := [_check(t, params(ctx), {"EACH": v}) | some v in object.get(ctx, t.each, [])] if t.each

_check(t, combos, extra) := {
	"id": t.id,
	"action": t.action,
	"note": object.get(t, "note", ""),
	"requests": [expand(t, object.union(p, extra)) | some p in combos],
}

# params lists the parameter sets to try: every candidate region x account x partition, the
# primary (context.region, .account, .partition) first. Missing values fall back to the defaults
# of data.karpgate.karpenter.defaults.
params(ctx) := [{"R": r, "A": a, "P": p, "C": cluster, "R2": r2} |
	some r in _candidates(ctx, "region", "regions")
	some a in _candidates(ctx, "account", "accounts")
	some p in _candidates(ctx, "partition", "partitions")
] if {
	cluster := _value(ctx, "cluster")
	r2 := _value(ctx, "r2")
}

_value(ctx, name) := v if {
	v := object.get(ctx, name, null)
	is_string(v)
	v != ""
} else := data.karpgate.karpenter.defaults[name]

_candidates(ctx, one, many) := array.concat([primary], [x |
	some x in object.get(ctx, many, [])
	is_string(x)
	x != primary
]) if {
	primary := _value(ctx, one)
}

# expand fills a template's placeholders from params ({"R": ..., "A": ...}).
expand(t, params) := {
	"id": t.id,
	"action": _fill(t.action, params),
	"resource": _fill(t.resource, params),
	"context": {_fill(k, params): [_fill(v, params) | some v in vs] | some k, vs in object.get(t, "context", {})},
}

# fill replaces {NAME} placeholders in every string of x (objects, arrays, strings, keys too),
# through JSON text because Rego functions cannot recurse.
fill(x, params) := json.unmarshal(_fill(json.marshal(x), {k: _json_inner(v) | some k, v in params}))

_json_inner(v) := substring(text, 1, count(text) - 2) if text := json.marshal(v)

_fill(s, params) := strings.replace_n({concat("", ["{", k, "}"]): v | some k, v in params}, s)

# evaluate decides a check against a role's statements. parts are the role's open parts
# (iam.open_parts). It returns
#   {"check", "decision", "request", "result", "open", "causes"}
# decision is allowed when one candidate is allowed, else indeterminate when one is, else the
# primary candidate's decision; request/result belong to the candidate that decided. open is true
# when the plan cannot settle whether the check is allowed: the decision is indeterminate, or
# nothing allows it but part of the policy is unknown or external (which could hold an Allow).
# Unknown parts are assumed to hold no Deny (see the README of rules), so an allowed or denied
# decision is never open. causes say what is open: {address, attribute, what, statement?}.
evaluate(statements, parts, check) := {
	"check": check,
	"decision": decision,
	"request": chosen.request,
	"result": chosen.result,
	"open": is_open,
	"causes": _causes(decision, parts, chosen.result),
} if {
	results := [{"request": r, "result": iam.decide(statements, r)} | some r in check.requests]
	decision := _aggregate([x.result.decision | some x in results])
	chosen := [x | some x in results; x.result.decision == decision][0]
	is_open := _is_open(decision, parts)
}

_aggregate(decisions) := "allowed" if {
	"allowed" in decisions
} else := "indeterminate" if {
	"indeterminate" in decisions
} else := decisions[0]

_is_open("indeterminate", _) := true

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
