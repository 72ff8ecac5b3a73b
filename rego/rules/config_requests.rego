package karpgate.rules.config_requests

import data.karpgate.lib.iam
import data.karpgate.lib.karpenter
import data.karpgate.lib.keys
import data.karpgate.lib.requests

# METADATA
# title: A request your config requires is decided the other way
# description: >-
#   .karpgate.yaml lists requests the Karpenter controller role must be allowed to make
#   (requests.must_allow) or must be refused (requests.must_deny), written in YAML without Rego.
#   karpgate evaluates each against the role's effective policy like the Karpenter requests; this
#   rule reports a must_allow request AWS would refuse and a must_deny request AWS would allow.
#   A key the request does not list is absent, except the keys every Karpenter request has
#   (aws:SecureTransport, aws:PrincipalAccount, ...). A verdict left open (an unknown or external
#   policy, a condition karpgate does not model) is reported as open by KARP020, and
#   --unknown decides whether it blocks the gate.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
# custom:
#   id: KARP005
#   severity: error
#   tags: [iam, karpenter, config]
#   remediation: >-
#     For a must_allow request, add a statement that allows the action on the resource under the
#     request's context (the message names the closest statement and the condition that blocks
#     it). For a must_deny request, narrow the statement the message names (its Resource or its
#     conditions) or add a Deny for that request.
deny contains finding if {
	some role in karpenter.roles
	some v in verdicts[role.address]
	not v.open
	_violates(v)

	finding := karpenter.finding({
		"address": karpenter.main_policy(role),
		"role": role.address,
		"message": _message(role, v),
	})
}

# open lists, for KARP020, the configured requests whose verdict the plan cannot settle.
open contains {
	"rule": "KARP005",
	"role": address,
	"check": concat(", ", sort({sprintf("%s %s on %s", [v.kind, v.request.action, v.request.resource]) | some v in opened})),
	"causes": [c | some c in {c | some v in opened; some c in v.causes}],
} if {
	some address, vs in verdicts
	opened := [v | some v in vs; v.open]
	count(opened) > 0
}

# verdicts holds, by role address, the evaluation of every configured request: one request per
# parameter set of the role (every candidate of an unknown region or account, RULES.md 4.7), so
# that a verdict that differs between candidates is open, naming the parameter.
verdicts[role.address] := [object.union(v, {"kind": kind}) |
	some kind in ["must_allow", "must_deny"]
	some r in _configured(kind)
	v := requests.evaluate(karpenter.statements(role), karpenter.open_parts(role), {"requests": [_request(r, p) | some p in ps], "params": ps})
] if {
	some role in karpenter.roles
	ps := requests.params(karpenter.role_context(role))
}

# Only data.karpgate.config is read: data.karpgate as a whole includes the rules.
_configured(kind) := data.karpgate.config.requests[kind] if is_array(data.karpgate.config.requests[kind])

else := []

# A config request lists its keys: any other key is absent (closed), except the keys every
# Karpenter request has (lib/keys), which the listed ones override.
_request(r, params) := {
	"action": r.action,
	"resource": r.resource,
	"context": object.union(keys.constant(r.action, params), iam.context({"context": object.get(r, "context", {})})),
	"context_normalized": true,
	"closed": true,
	"present": keys.present,
}

_violates(v) if {
	v.kind == "must_allow"
	v.decision != "allowed"
}

_violates(v) if {
	v.kind == "must_deny"
	v.decision == "allowed"
}

_message(role, v) := sprintf("the config requires %s to be allowed: %s", [_what(v), karpenter.access_denied(role, v.request, v.decision)]) if {
	v.kind == "must_allow"
} else := sprintf("the config requires %s to be refused, but %s allows it", [
	_what(v),
	concat(", ", [karpenter.statement_label(s) | some s in v.result.statements; s.effect == "Allow"; s.applies == "yes"]),
])

_what(v) := sprintf("%s on %s", [v.request.action, v.request.resource])
