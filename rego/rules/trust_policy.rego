package karpgate.rules.trust_policy

import data.karpgate.lib.karpenter

# METADATA
# title: Trust policy lets anyone assume the Karpenter role
# description: >-
#   The trust (assume role) policy of the Karpenter controller role allows principal `*` without a
#   condition, or allows sts:AssumeRoleWithWebIdentity for a federated (OIDC) principal without a
#   condition on `<issuer>:sub`, so any service account of the cluster (or any identity of the
#   provider) can take over the controller's permissions. A `:sub` value with a wildcard in the
#   namespace or service-account part is reported as a warning.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
# custom:
#   id: KARP013
#   severity: error
#   security_severity: "9.0"
#   tags: [security, iam, karpenter, trust]
#   remediation: >-
#     Trust only the identity Karpenter runs as. With EKS Pod Identity: principal
#     `{"Service": "pods.eks.amazonaws.com"}` with actions `sts:AssumeRole` and `sts:TagSession`.
#     With IRSA: principal `{"Federated": "<oidc provider arn>"}`, action `sts:AssumeRoleWithWebIdentity`,
#     and `StringEquals` on `<issuer>:sub` = `system:serviceaccount:kube-system:karpenter` (your
#     namespace and service account) and `<issuer>:aud` = `sts.amazonaws.com`.
deny contains finding if {
	some role in karpenter.roles
	some statement in object.get(role, ["trust", "document", "statements"], [])
	statement.effect == "Allow"
	some problem in _problems(statement)

	finding := object.union(
		{
			"address": role.address,
			"role": role.address,
			"message": sprintf("trust statement %s of %s %s", [_name(statement), role.address, problem.text]),
			"statement": {"policy": role.address, "attribute": "assume_role_policy", "sid": statement.sid, "index": statement.index},
		},
		problem.extra,
	)
}

_problems(statement) := (anyone | open_sub) | wildcard_sub if {
	# Anyone: principal "*" or {"AWS": "*"} with no condition at all.
	anyone := {{"text": "allows principal \"*\" with no condition", "extra": {}} |
		_anyone(statement)
		count(statement.conditions) == 0
	}

	# A federated principal with web identity and no condition on <issuer>:sub.
	open_sub := {{"text": sprintf("allows sts:AssumeRoleWithWebIdentity for %v with no condition on <issuer>:sub", [statement.principals.Federated]), "extra": {}} |
		_federated_web_identity(statement)
		count(_sub_conditions(statement)) == 0
	}

	# A :sub condition whose namespace or service-account part is a wildcard: a warning.
	wildcard_sub := {{"text": sprintf("restricts <issuer>:sub only to %v: any service account matching it can assume the role", [values]), "extra": {"severity": "warning"}} |
		_federated_web_identity(statement)
		subs := _sub_conditions(statement)
		count(subs) > 0
		every c in subs {
			some v in c.values
			_wildcard_subject(v)
		}
		values := sort([v | some c in subs; some v in c.values])
	}
}

_federated_web_identity(statement) if {
	count(object.get(statement.principals, "Federated", [])) > 0
	_web_identity(statement)
}

_anyone(statement) if "*" in object.get(statement.principals, "*", [])

_anyone(statement) if "*" in object.get(statement.principals, "AWS", [])

_web_identity(statement) if {
	some a in statement.actions
	glob.match(a, [], "sts:assumerolewithwebidentity")
}

_sub_conditions(statement) := {c |
	some c in statement.conditions
	endswith(c.key, ":sub")
	c.base in {"stringequals", "stringlike", "stringequalsignorecase"}
	c.set != "foranyvalue"
}

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
