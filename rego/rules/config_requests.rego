package karpgate.rules.config_requests

import data.karpgate.lib.karpenter
import data.karpgate.lib.requests

# METADATA
# title: A request your config requires is decided the other way
# description: >-
#   .karpgate.yaml lists requests the Karpenter controller role must be allowed to make
#   (requests.must_allow) or must be refused (requests.must_deny), written in YAML without Rego.
#   karpgate evaluates each against the role's effective policy like the Karpenter requests; this
#   rule reports a must_allow request AWS would refuse and a must_deny request AWS would allow.
#   Verdicts left open by unknown or external policies are reported by KARP020 instead.
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

# verdicts holds, by role address, the evaluation of every configured request.
verdicts[role.address] := [object.union(v, {"kind": kind}) |
	some kind in ["must_allow", "must_deny"]
	some r in _configured(kind)
	v := requests.evaluate(karpenter.statements(role), karpenter.open_parts(role), {"requests": [_request(r)]})
] if {
	some role in karpenter.roles
}

# Only data.karpgate.config is read: data.karpgate as a whole includes the rules.
_configured(kind) := data.karpgate.config.requests[kind] if is_array(data.karpgate.config.requests[kind])

else := []

_request(r) := {"action": r.action, "resource": r.resource, "context": object.get(r, "context", {})}

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
} else := sprintf("the config requires %s to be refused, but %s allows it", [_what(v), concat(", ", [karpenter.statement_label(s) | some s in v.result.statements; s.effect == "Allow"; s.applies == "yes"])])

_what(v) := sprintf("%s on %s", [v.request.action, v.request.resource])
