# METADATA
# title: Policy layers beyond identity policies
# description: |
#   Combines a request's identity-based verdict (lib/requests evaluate) with the other policy
#   types AWS evaluates (RULES.md section 3b): the permissions boundary, the pod identity session
#   policy, service and resource control policies, and the resource-based policies of the
#   interruption queue and its KMS key. Each layer is decided with the per-policy evaluator
#   (lib/iam decide); the combination follows IAM's policy evaluation logic for same-account
#   requests. The layers of a role are compiled once per evaluation (compiled), so a request
#   costs one decide per layer that applies to it; a role without layers keeps its identity
#   verdict untouched.
package karpgate.lib.layers

import data.karpgate.lib.iam

# lib/karpenter combines each verdict with the layers, and the layers name the role's statements
# and parameters with lib/karpenter's helpers: functions calling each other across the two
# packages, never a rule depending on itself.
# regal ignore:circular-import
import data.karpgate.lib.karpenter
import data.karpgate.lib.keys
import data.karpgate.lib.requests

# Layer names as AWS's access denied messages call them, in the order RULES.md 3b.1 names the
# deciding layer.
scp := "service control policy"

rcp := "resource control policy"

boundary := "permissions boundary"

session := "session policy"

resource := "resource-based policy"

identity := "identity-based policy"

order := [scp, rcp, boundary, session, resource, identity]

# compiled holds, by role address, the compiled layers of every Karpenter role that has any.
compiled[role.address] := _compile(role) if {
	some role in karpenter.roles
	has_layers(role)
}

# has_layers is true when a layer beyond the identity policies may decide the role's requests.
has_layers(role) if is_object(object.get(role, ["layers", "boundary"], null))

has_layers(role) if is_object(object.get(role, ["layers", "session", "policy"], null))

has_layers(role) if count(object.get(role, ["layers", "organization", "scps"], [])) > 0

has_layers(role) if count(object.get(role, ["layers", "organization", "rcps"], [])) > 0

has_layers(role) if object.get(role, ["layers", "organization", "scps_complete"], false) == true

has_layers(role) if {
	some r in object.get(role, ["layers", "resources"], [])
	is_object(r.policy)
}

_compile(role) := {
	"boundary": _entry_layer(object.get(role, ["layers", "boundary"], null)),
	"session": _entry_layer(object.get(role, ["layers", "session", "policy"], null)),
	"org": _org(object.get(role, ["layers", "organization"], null)),
	"resources": [object.union(r, {"layer": _entry_layer(r.policy), "arn": _resource_arn(r, ps[0]), "arns": arns}) |
		ps := requests.params(karpenter.role_context(role))
		some r in object.get(role, ["layers", "resources"], [])
		is_object(r.policy)
		arns := [a | some a in {_resource_arn(r, p) | some p in ps}]
	],
	"principal": _principal(role),
}

_entry_layer(null) := null

_entry_layer(e) := {
	"entry": e,
	"open": _open_status(e.status),
	"statements": iam.effective_statements([e]),
} if is_object(e)

_open_status(status) := false if {
	status in {"known", "invalid"}
} else := true

_org(null) := null

_org(o) := {
	"management": object.get(o, "management", false),
	"complete": object.get(o, "scps_complete", false),
	"path_known": is_array(object.get(o, "path", null)),
	"levels": object.get(o, "path", []),
	"scps": [object.union(p, {"layer": _entry_layer(p.policy)}) | some p in object.get(o, "scps", [])],
	"rcps": [object.union(p, {"layer": _entry_layer(p.policy)}) | some p in object.get(o, "rcps", [])],
} if is_object(o)

_principal(role) := {
	"arn": _role_arn(role),
	"account": object.get(role, ["context", "account"], ""),
	"name": _role_name(role),
	"partition": object.get(role, ["context", "partition"], ""),
}

# A role created in this plan has no ARN yet; its name, account and partition make it (the
# default path "/"), which is what resource-based policies name. With the account or partition
# unknown, each request's candidate makes it (_request_principal).
_role_arn(role) := role.arn if is_string(object.get(role, "arn", null))

_role_arn(role) := sprintf("arn:%s:iam::%s:role/%s", [role.context.partition, role.context.account, role.name]) if {
	not is_string(object.get(role, "arn", null))
	_named(role)
}

_role_arn(role) := null if {
	not is_string(object.get(role, "arn", null))
	not _named(role)
}

_named(role) if {
	is_string(object.get(role, "name", null))
	object.get(role, ["context", "account"], "") != ""
	object.get(role, ["context", "partition"], "") != ""
}

_role_name(role) := role.name if is_string(object.get(role, "name", null))

else := null

# _request_principal is the role as a request of one candidate makes it (RULES.md 4.7): with the
# account unknown, the candidate's aws:PrincipalAccount, and the partition of the request's ARN
# when the role's is unknown.
_request_principal(p, request) := p if p.account != ""

else := object.union(p, {"account": a, "arn": _candidate_arn(p, a, request)}) if {
	[a] := object.get(request.context, "aws:principalaccount", [])
}

else := p

_candidate_arn(p, a, request) := sprintf("arn:%s:iam::%s:role/%s", [p.partition, a, p.name]) if {
	is_string(p.name)
	p.partition != ""
} else := sprintf("arn:%s:iam::%s:role/%s", [split(request.resource, ":")[1], a, p.name]) if {
	is_string(p.name)
	startswith(request.resource, "arn:")
} else := null

# combine returns the verdict v (lib/requests evaluate, for the role's identity policies) with
# every other layer applied. It adds "layer" (the deciding layer, in AWS's words) and "refusing"
# (every layer that refuses, deciding one first), and updates decision, open and causes: an
# explicit Deny in any decided layer denies; else the request is allowed only when an identity
# or resource-based policy allows it and every boundary, session policy, SCP level and KMS key
# policy that applies allows it. A refusal by a decided layer is decided even when another layer
# is open; an allow that an open layer could take away is open ("indeterminate").
combine(role, v) := object.union(v, {"layer": identity, "refusing": _identity_refusing(v)}) if {
	not compiled[role.address]
}

combine(role, v) := _combine_or_open(v, compiled[role.address])

# Never fail open: if the layers cannot be combined (a layer this code does not expect), the
# verdict is open and KARP020 says so, rather than undefined (which no rule would report).
_combine_or_open(v, c) := r if {
	r := _combine(v, c)
} else := object.union(v, {
	"decision": "indeterminate", "open": true, "layer": identity, "refusing": [], "layer_address": "",
	"causes": [{
		"address": "",
		"attribute": "",
		"status": "layers",
		"via": "",
		"arn": null,
		"what": ["karpgate could not combine the role's policy layers (please report this)"],
	}],
})

_identity_refusing(v) := [identity] if {
	not v.open
	v.decision in {"denied", "implicit-deny"}
} else := []

_combine(v, c) := object.union(v, {
	"decision": decision,
	"open": is_open,
	"layer": layer,
	"refusing": refusing,
	"layer_address": _layer_address(results, layer),
	"layers": results,
	"causes": array.concat(object.get(v, "causes", []), causes),
}) if {
	request := v.request
	results := _results(v, object.union(c, {"principal": _request_principal(c.principal, request)}), request)
	denying := [r.layer | some name in order; some r in results; r.layer == name; r.decision == "denied"; not r.open]
	implicit := [r.layer | some name in order; some r in results; r.layer == name; r.decision == "implicit-deny"; not r.open]
	refusing := array.concat(denying, implicit)
	opened := [r | some r in results; r.open]
	decision := _decision(denying, implicit, opened)
	is_open := decision == "indeterminate"
	layer := _deciding(refusing)
	causes := _open_causes(opened, object.get(v, "causes", []))
}

# Every open verdict names what is open, so KARP020 reports it.
_open_causes(opened, identity_causes) := causes if {
	causes := [cause | some r in opened; some cause in object.get(r, "causes", [])]
	count(causes) + count(identity_causes) > 0
} else := [{
	"address": object.get(r, "address", ""), "attribute": "", "status": "layers", "via": "", "arn": null,
	"what": [sprintf("the %s cannot be decided for this request", [r.layer])],
} |
	some r in opened
]

_decision(denying, _, _) := "denied" if count(denying) > 0

_decision(denying, implicit, _) := "implicit-deny" if {
	count(denying) == 0
	count(implicit) > 0
}

_decision(denying, implicit, opened) := "indeterminate" if {
	count(denying) == 0
	count(implicit) == 0
	count(opened) > 0
}

_decision(denying, implicit, opened) := "allowed" if {
	count(denying) == 0
	count(implicit) == 0
	count(opened) == 0
}

# _layer_address is the address of the policy of the deciding layer ("" for the identity layer,
# whose statements the rules blame themselves).
_layer_address(results, layer) := [r.address | some r in results; r.layer == layer; r.decision != "allowed"; is_string(r.address)][0] if {
	layer != identity
	some r in results
	r.layer == layer
	r.decision != "allowed"
	is_string(object.get(r, "address", null))
} else := ""

_deciding(refusing) := refusing[0] if count(refusing) > 0

_deciding(refusing) := identity if count(refusing) == 0

# _results lists one result per layer that applies to the request:
#   {"layer", "decision": allowed|denied|implicit-deny, "open", "statements", "causes"}
# The identity result merges the identity-based and the resource-based policy: either allows.
_results(v, c, request) := array.concat(
	array.concat(_base(v, c, request), _restricting(c, request)),
	array.concat(_org_results(c, request), _key_results(c, request)),
)

# The base: identity policies, or the queue's resource-based policy naming the role.
_base(v, c, request) := [{
	"layer": identity,
	"decision": _base_decision(v, queue),
	"open": _base_open(v, queue),
	"causes": [],
}] if {
	queue := _queue_result(c, request)
}

_base(v, c, request) := [{
	"layer": identity,
	"decision": _identity_decision(v),
	"open": _identity_open(v),
	"causes": [],
}] if not _queue_result(c, request)

_identity_decision(v) := "denied" if v.decision == "denied"

_identity_decision(v) := "allowed" if v.decision == "allowed"

_identity_decision(v) := "implicit-deny" if not v.decision in {"denied", "allowed"}

_identity_open(v) if {
	v.decision != "denied"
	v.open
} else := v.decision == "indeterminate"

# With a queue policy: an explicit Deny there denies (as a resource-based policy); else either
# the identity policies or the queue policy (naming the role or *) allows.
_base_decision(v, _) := "denied" if v.decision == "denied"

_base_decision(v, queue) := "allowed" if {
	v.decision != "denied"
	queue.decision != "denied"
	"allowed" in {v.decision, queue.direct}
}

_base_decision(v, queue) := "implicit-deny" if {
	v.decision != "denied"
	queue.decision != "denied"
	not "allowed" in {v.decision, queue.direct}
}

_base_decision(v, queue) := "allowed" if {
	# A queue Deny is reported by _restricting as the resource-based layer.
	v.decision != "denied"
	queue.decision == "denied"
}

_base_open(v, queue) := false if _base_decision(v, queue) == "allowed"

_base_open(v, queue) if {
	_base_decision(v, queue) != "allowed"
	_identity_open(v)
}

_base_open(v, queue) := queue.open if {
	_base_decision(v, queue) != "allowed"
	not _identity_open(v)
}

# _queue_result decides an SQS request on the interruption queue against its policy:
# decision (any Deny naming the role, its account or * applies), direct (an Allow naming the
# role or *), open.
_queue_result(c, request) := {
	"decision": _principal_decide(r.layer, request, c.principal, true).decision,
	"direct": _principal_decide(r.layer, request, c.principal, false).decision,
	"open": r.layer.open,
	"resource": r,
} if {
	startswith(lower(request.action), "sqs:")
	some r in c.resources
	r.kind == "queue"
	r.arn == request.resource
}

# A key policy naming the role allows its requests without an identity policy; its Deny and its
# refusal are the key's own layer (_key_results).
_queue_result(c, request) := {
	"decision": "none",
	"direct": _principal_decide(layer, request, c.principal, false).decision,
	"open": false,
	"resource": null,
} if layer := _key_of(c, request)

# The restricting layers: boundary, session policy, and the queue policy's Deny.
_restricting(c, request) := array.concat(
	[r |
		some x in [[boundary, c.boundary], [session, c.session]]
		is_object(x[1])
		r := _restriction(x[0], x[1], request)
	],
	[{
		"layer": resource,
		"decision": "denied",
		"open": false,
		"causes": [],
		"address": q.resource.policy.address,
		"denying": _denying(_principal_decide(q.resource.layer, request, c.principal, true)),
	}],
) if {
	q := _queue_result(c, request)
	q.decision == "denied"
	not q.open
} else := [r |
	some x in [[boundary, c.boundary], [session, c.session]]
	is_object(x[1])
	r := _restriction(x[0], x[1], request)
]

# A boundary or session policy must allow the request. An open one (unknown, external) can
# only take permissions away: its refusals are not known, its allows are open.
_restriction(name, layer, request) := {
	"layer": name,
	"decision": "allowed",
	"open": true,
	"causes": [_cause(layer.entry, name)],
	"address": layer.entry.address,
} if {
	layer.open
	not _decided_deny(layer, request)
}

_restriction(name, layer, request) := {"layer": name, "decision": "denied", "open": false, "causes": [], "address": layer.entry.address} if {
	layer.open
	_decided_deny(layer, request)
}

_restriction(name, layer, request) := {
	"layer": name,
	"decision": d,
	"open": d == "indeterminate",
	"causes": _statement_causes(name, result),
	"address": layer.entry.address,
	"denying": _denying(result),
} if {
	not layer.open
	result := iam.decide(layer.statements, request)
	d := result.decision
}

# A partly known boundary may still hold a Deny that applies.
_decided_deny(layer, request) if iam.decide(layer.statements, request).decision == "denied"

_statement_causes(_, result) := [] if result.decision != "indeterminate"

_statement_causes(name, result) := [{
	"address": object.get(s, "policy", ""),
	"attribute": object.get(s, "attribute", ""),
	"status": "statement",
	"statement": {"policy": object.get(s, "policy", ""), "attribute": object.get(s, "attribute", ""), "sid": s.sid, "index": s.index},
	"what": s.reasons,
} |
	some s in result.statements
	s.applies == "unknown"
] if {
	result.decision == "indeterminate"
	name != ""
}

_cause(entry, name) := {
	"address": entry.address,
	"attribute": object.get(entry, "attribute", ""),
	"status": entry.status,
	"via": object.get(entry, "via", ""),
	"arn": object.get(entry, "arn", null),
	"what": _what(entry),
	"layer": name,
}

_what(entry) := entry.unknown if count(object.get(entry, "unknown", [])) > 0

_what(entry) := [concat(".", [entry.address, object.get(entry, "attribute", "policy")])] if count(object.get(entry, "unknown", [])) == 0

# ---------------------------------------------------------------------------------------------
# Organizations. SCPs apply to the role's requests unless its account is the management
# account; RCPs to requests on resources of services that support them (data), never the
# management account's.

_org_results(c, _) := [] if c.org == null

_org_results(c, request) := array.concat(_scp_results(c.org, request), _rcp_results(c.org, request)) if c.org != null

_scp_results(org, _) := [] if org.management

_scp_results(org, request) := [{
	"layer": scp,
	"address": _org_address(decided),
	"denying": [l | some p in decided; some l in _denying(p.result)],
	"decision": _scp_decision(org, decided),
	"open": _scp_open(org, decided),
	"causes": _org_causes(scp, decided),
}] if {
	not org.management
	decided := [object.union(p, {"result": iam.decide(_with_full_access(p.layer.statements, org.complete), request)}) | some p in org.scps]
}

# With FullAWSAccess assumed at every level only a Deny refuses; with a complete list each level
# of the path needs an Allow (an SCP refusal, implicit or explicit, reads as an explicit deny).
# _org_causes names what keeps an organizations policy open: one that may apply (an OU on an
# unknown path), an unknown text, or a statement whose conditions the request does not settle.
_org_causes(name, decided) := array.concat(
	[_cause(p.policy, name) | some p in decided; _org_policy_open(p)],
	[c | some p in decided; p.result.decision == "indeterminate"; some c in _statement_causes(name, p.result)],
)

_org_policy_open(p) if p.applies != "yes"

_org_policy_open(p) if p.layer.open

# _org_address is the organizations policy to change: the first that denies, else the first.
_org_address(decided) := [p.policy.address | some p in decided; p.result.decision == "denied"][0] if {
	some p in decided
	p.result.decision == "denied"
} else := decided[0].policy.address if {
	count(decided) > 0
} else := ""

_scp_decision(_, decided) := "denied" if {
	some p in decided
	p.applies == "yes"
	not p.layer.open
	p.result.decision == "denied"
}

_scp_decision(org, decided) := "denied" if {
	not _scp_explicit(decided)
	org.complete
	org.path_known
	some i, _ in org.levels
	not _level_allows(decided, i)
}

_scp_decision(org, decided) := "allowed" if {
	not _scp_explicit(decided)
	not _scp_level_missing(org, decided)
}

_scp_explicit(decided) if {
	some p in decided
	p.applies == "yes"
	not p.layer.open
	p.result.decision == "denied"
}

_scp_level_missing(org, decided) if {
	org.complete
	org.path_known
	some i, _ in org.levels
	not _level_allows(decided, i)
}

_level_allows(decided, i) if {
	some p in decided
	p.level == i
	p.result.decision == "allowed"
}

_scp_open(org, decided) := false if _scp_decision(org, decided) == "denied"

_scp_open(org, decided) if {
	_scp_decision(org, decided) == "allowed"
	_scp_maybe(org, decided)
}

_scp_open(org, decided) := false if {
	_scp_decision(org, decided) == "allowed"
	not _scp_maybe(org, decided)
}

# An SCP that may apply (an OU on an unknown path) and denies, an unknown SCP text, or a
# complete list on an unknown path: the allow is open.
_scp_maybe(_, decided) if {
	some p in decided
	p.applies != "yes"
	p.result.decision in {"denied", "indeterminate"}
}

_scp_maybe(_, decided) if {
	some p in decided
	p.layer.open
}

_scp_maybe(_, decided) if {
	some p in decided
	p.result.decision == "indeterminate"
}

_scp_maybe(org, _) if {
	org.complete
	not org.path_known
}

# FullAWSAccess (RCPFullAWSAccess) beside each policy: then a Deny whose conditions are open
# makes the result indeterminate rather than an implicit deny.
_with_full_access(statements, true) := statements

_with_full_access(statements, false) := array.concat(statements, [_full_access])

_full_access := iam.compile({
	"index": 0, "sid": "FullAWSAccess", "effect": "Allow", "policy": "FullAWSAccess", "attribute": "",
	"actions": ["*"], "not_actions": [], "resources": ["*"], "not_resources": [], "conditions": [],
})

_rcp_results(org, _) := [] if org.management

_rcp_results(_, request) := [] if not _rcp_service(request)

_rcp_results(org, _) := [] if count(org.rcps) == 0

_rcp_results(org, request) := [{
	"layer": rcp,
	"address": _org_address(decided),
	"denying": [l | some p in decided; some l in _denying(p.result)],
	"decision": decision,
	"open": _rcp_open(decision, decided),
	"causes": _org_causes(rcp, decided),
}] if {
	not org.management
	_rcp_service(request)
	count(org.rcps) > 0
	decided := [object.union(p, {"result": iam.decide(_with_full_access(p.layer.statements, false), request)}) | some p in org.rcps]
	decision := _rcp_decision(decided)
}

_rcp_open("denied", _) := false

_rcp_open(decision, decided) if {
	decision != "denied"
	_rcp_maybe(decided)
} else := false

_rcp_decision(decided) := "denied" if {
	some p in decided
	p.applies == "yes"
	not p.layer.open
	p.result.decision == "denied"
} else := "allowed"

_rcp_maybe(decided) if {
	some p in decided
	p.applies != "yes"
	p.result.decision in {"denied", "indeterminate"}
}

_rcp_maybe(decided) if {
	some p in decided
	p.layer.open
}

_rcp_maybe(decided) if {
	some p in decided
	p.result.decision == "indeterminate"
}

_rcp_service(request) if lower(split(request.action, ":")[0]) in data.karpgate.layers.rcp_services

# ---------------------------------------------------------------------------------------------
# The KMS key of the interruption queue: its key policy must allow the role, or allow the
# account (which delegates to the identity policies).

_key_results(c, request) := [] if not _key_of(c, request)

_key_results(c, request) := [{
	"layer": resource,
	"address": layer.entry.address,
	"denying": _denying(_principal_decide(layer, request, c.principal, true)),
	"decision": _key_decision(layer, request, c.principal),
	"open": layer.open,
	"causes": [_cause(layer.entry, resource) | layer.open],
}] if {
	layer := _key_of(c, request)
}

_key_of(c, request) := r.layer if {
	startswith(lower(request.action), "kms:")
	some r in c.resources
	r.kind == "key"
	request.resource in r.arns
}

_key_decision(layer, request, principal) := "denied" if {
	_principal_decide(layer, request, principal, true).decision == "denied"
}

_key_decision(layer, request, principal) := "allowed" if {
	_principal_decide(layer, request, principal, true).decision != "denied"
	_key_allows(layer, request, principal)
}

_key_decision(layer, request, principal) := "implicit-deny" if {
	_principal_decide(layer, request, principal, true).decision != "denied"
	not _key_allows(layer, request, principal)
}

# The key policy allows the role itself, or the account (delegating to its identity policies,
# which the identity layer then decides).
_key_allows(layer, request, principal) if _principal_decide(layer, request, principal, false).decision == "allowed"

_key_allows(layer, request, principal) if _account_decide(layer, request, principal).decision == "allowed"

# _principal_decide decides a resource-based policy for the role: the statements whose
# Principal names the role or * (with account true, also its account: a Deny naming the account
# applies to every principal in it).
_principal_decide(layer, request, principal, account) := iam.decide(
	[s | some s in layer.statements; _names(s, principal, account)],
	request,
)

_account_decide(layer, request, principal) := iam.decide(
	[s | some s in layer.statements; _names_account(s, principal)],
	request,
)

_names(s, _, _) if "*" in object.get(s, ["principals", "*"], [])

_names(s, _, _) if "*" in object.get(s, ["principals", "AWS"], [])

_names(s, principal, _) if {
	is_string(principal.arn)
	principal.arn in object.get(s, ["principals", "AWS"], [])
}

_names(s, principal, true) if _names_account(s, principal)

_names_account(s, principal) if {
	principal.account != ""
	some p in object.get(s, ["principals", "AWS"], [])
	p in {principal.account, sprintf("arn:aws:iam::%s:root", [principal.account])}
}

_names_account(s, principal) if {
	principal.account != ""
	some p in object.get(s, ["principals", "AWS"], [])
	regex.match(sprintf(`^arn:[a-z-]+:iam::%s:root$`, [principal.account]), p)
}

# ---------------------------------------------------------------------------------------------
# Requests the layers add: kms:Decrypt on the queue's key through SQS.

# calls lists the checks the role's resource layers add to Karpenter's call set: one request per
# parameter set of the role (every candidate of an unknown region, account or partition, RULES.md
# 4.7), so that a verdict that differs between candidates is open, naming the parameter.
calls(role) := [{
	"id": "kms-decrypt-queue-key",
	"action": "kms:Decrypt",
	"note": "",
	"requests": [_queue_key_request(r0, p) | some p in ps],
	"params": ps,
} |
	ps := requests.params(karpenter.role_context(role))
	some r0 in object.get(role, ["layers", "resources"], [])
	r0.kind == "key"
	object.get(r0, "for", "queue") == "queue"
]

_queue_key_request(r0, p) := {
	"id": "kms-decrypt-queue-key",
	"action": "kms:Decrypt",
	"resource": _resource_arn(r0, p),
	# The keys of every Karpenter request (lib/keys), SQS's own winning: it calls KMS for the role.
	"context": object.union(keys.constant("kms:Decrypt", p), {
		"aws:requestedregion": [p.R],
		"kms:viaservice": [sprintf("sqs.%s.amazonaws.com", [p.R])],
		"aws:viaawsservice": ["true"],
	}),
	"context_normalized": true,
	"present": keys.present,
}

# _resource_arn is the resource's ARN for parameter set p; a key created in this plan has no ARN
# yet, and its requests name a key id that no policy names (RULES.md 4.7: one value named
# nowhere), in the region and account of each candidate (_compile lists them all as "arns").
_resource_arn(r, _) := r.arn if is_string(r.arn)

_resource_arn(r, p) := sprintf("arn:%s:kms:%s:%s:key/00000000-0000-0000-0000-000000000000", [p.P, p.R, p.A]) if {
	not is_string(r.arn)
	r.kind == "key"
}

_resource_arn(r, _) := "" if {
	not is_string(r.arn)
	r.kind != "key"
}

# ---------------------------------------------------------------------------------------------
# Messages.

# because is the end of AWS's access denied message for a refused verdict: the deciding layer,
# then the other refusing layers.
because(action, v) := concat("", [_because(action, v.decision, object.get(v, "layer", identity)), _also(v)])

_because(_, _, layer) := "with an explicit deny in a service control policy" if layer == scp

_because(_, "denied", layer) := sprintf("with an explicit deny in %s", [_article(layer)]) if layer != scp

_because(action, decision, layer) := sprintf("because no %s allows the %s action", [layer, action]) if {
	decision != "denied"
	layer != scp
}

_article(layer) := concat(" ", ["an", layer]) if layer == identity

_article(layer) := concat(" ", ["a", layer]) if layer != identity

_also(v) := sprintf(" (also refused by: %s)", [concat(", ", [_article(l) | some l in array.slice(v.refusing, 1, count(v.refusing))])]) if {
	count(object.get(v, "refusing", [])) > 1
} else := ""

_denying(result) := [karpenter.statement_label(s) |
	some s in result.statements
	lower(s.effect) == "deny"
	s.applies == "yes"
]

# explain says, for a verdict another layer refuses, which policy refuses and how; "" when the
# identity-based policies decide.
explain(v) := "" if object.get(v, "layer", identity) == identity

explain(v) := sprintf("Denied by %s in the %s %s%s", [concat(", ", r.denying), v.layer, r.address, _identity_note(v)]) if {
	v.layer != identity
	v.decision == "denied"
	r := _deciding_result(v)
	count(object.get(r, "denying", [])) > 0
} else := sprintf("The %s %s has no statement that allows it%s", [v.layer, v.layer_address, _identity_note(v)]) if {
	v.layer != identity
	v.decision != "denied"
} else := sprintf("The %s %s denies it%s", [v.layer, v.layer_address, _identity_note(v)]) if {
	v.layer != identity
}

_identity_note(v) := "; the role's identity-based policies do not allow it either." if {
	identity in object.get(v, "refusing", [])
} else := "; the role's identity-based policies allow it."

_deciding_result(v) := [r | some r in v.layers; r.layer == v.layer; r.decision != "allowed"][0]

# fix_text is the advice for a verdict another layer refuses: what to allow or exempt there.
# generalised is a request's resource with the simulated instance, launch template, fleet or other
# generated id as * (a fix names every resource of the type, not the one simulated).
generalised(resource) := regex.replace(resource, `/[a-z]+-[0-9a-f]{8,}$`, "/*")

fix_text(v) := sprintf(
	concat("", [
		"Allow %s on %s in the %s %s, or exempt the Karpenter controller role from the statement that refuses it; the role's own policies need no change.",
	]),
	[
		v.request.action, generalised(v.request.resource), v.layer, v.layer_address,
	],
) if {
	v.layer != identity
	v.layer != scp
} else := sprintf(
	concat("", [
		"Exempt the Karpenter controller role (aws:PrincipalArn) from the service control policy %s, or allow %s on %s at every level of the account's ",
		"path; the role's own policies need no change.",
	]),
	[
		v.layer_address, v.request.action, v.request.resource,
	],
) if {
	v.layer == scp
}
