package karpgate.rules.wildcard_subject

import data.karpgate.lib.karpenter
import data.karpgate.lib.trust

# METADATA
# title: Trust policy admits service accounts by a wildcard
# description: >-
#   A web-identity (IRSA) statement of the Karpenter controller role's trust policy restricts
#   `<issuer>:sub` with a wildcard in the namespace or service-account part
#   (`system:serviceaccount:kube-system:*`), so other service accounts matching it can assume the
#   role. A trust that admits any service account (no `:sub`, `sub = *`) is KARP013 instead.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
# custom:
#   id: KARP015
#   severity: warning
#   security_severity: "5.0"
#   tags: [security, iam, karpenter, trust]
#   remediation: >-
#     Name Karpenter's service account exactly: `StringEquals` on `<issuer>:sub` =
#     `system:serviceaccount:<namespace>:<service account>`.
deny contains finding if {
	some role in karpenter.roles
	some statement in trust.statements(role)
	statement.effect == "Allow"
	some issuer in _issuers(statement)
	not issuer in trust.web_identity_admits(statement)
	wild := sort({v | some v in trust.sub_values(statement, issuer); _wildcard_subject(v)})
	count(wild) > 0

	finding := {
		"address": role.address,
		"role": role.address,
		"message": sprintf(
			"trust statement %s of %s restricts %s:sub only to %v: every service account matching it can assume the role",
			[_name(statement), role.address, issuer, wild],
		),
		"statement": {"policy": role.address, "attribute": "assume_role_policy", "sid": statement.sid, "index": statement.index},
	}
}

_issuers(statement) := {trust.issuer(f) | some f in object.get(statement.principals, "Federated", [])}

# system:serviceaccount:<namespace>:<service account>; a wildcard in either part is too broad.
_wildcard_subject(value) if {
	parts := split(value, ":")
	count(parts) == 4
	some part in array.slice(parts, 2, 4)
	regex.match(`[*?]`, part)
}

_wildcard_subject(value) if {
	count(split(value, ":")) != 4
	regex.match(`[*?]`, value)
}

_name(statement) := sprintf("%q", [statement.sid]) if statement.sid != ""

_name(statement) := sprintf("#%d", [statement.index]) if statement.sid == ""
