package karpgate.rules.trust_policy

import data.karpgate.lib.karpenter
import data.karpgate.lib.trust

# METADATA
# title: Trust policy lets a principal that is not Karpenter assume the role
# description: >-
#   karpgate simulates an attacker against the trust (assume role) policy of the Karpenter
#   controller role. An Allow for principal `*` or `{"AWS": "*"}` is reported when it admits a role
#   of another account outside the organization that chooses every condition key except
#   aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:userid,
#   sts:ExternalId and the (absent) aws:SourceAccount and aws:SourceArn: a condition such as
#   aws:SecureTransport restricts nothing. A web-identity Allow is reported when it admits the
#   service account system:serviceaccount:attacker-ns:attacker-sa of its own OIDC issuer: no
#   condition on <issuer>:sub, a sub of `*`, or conditions only on another issuer's keys (absent
#   from this issuer's tokens, so ...IfExists holds). Either way the attacker gets the controller's
#   permissions.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
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
#     namespace and service account) and `<issuer>:aud` = `sts.amazonaws.com`, both keys of the
#     provider the statement names. A principal of another account is restricted by
#     aws:PrincipalArn, aws:PrincipalAccount or aws:PrincipalOrgID, never by keys the caller sets.
deny contains finding if {
	some role in karpenter.roles
	some statement in trust.statements(role)
	some problem in _problems(statement)

	finding := {
		"address": role.address,
		"role": role.address,
		"message": sprintf("trust statement %s of %s %s", [_name(statement), role.address, problem]),
		"statement": {"policy": role.address, "attribute": "assume_role_policy", "sid": statement.sid, "index": statement.index},
	}
}

_problems(statement) := anyone | web if {
	anyone := {sprintf(
		concat("", [
			"allows %s to assume the role, and its conditions do not stop a role of another account outside the organization (%s), which chooses every other ",
			"condition key",
		]),
		[_principal_text(statement), trust.attacker_arn],
	) |
		trust.anyone_admits(statement)
	}
	web := {sprintf(
		"lets any service account of %s assume the role: %s %s",
		[issuer, trust.attacker_subject, _why_web(statement, issuer)],
	) |
		some issuer in trust.web_identity_admits(statement)
	}
}

_principal_text(statement) := `principal "*"` if "*" in object.get(statement.principals, "*", [])

else := `{"AWS": "*"}`

_why_web(statement, issuer) := sprintf("passes: its conditions are on another issuer's keys (%s), which tokens of %s never carry", [
	concat(", ", others), issuer,
]) if {
	count(trust.sub_values(statement, issuer)) == 0
	others := trust.other_issuer_keys(statement, issuer)
	count(others) > 0
} else := sprintf("passes: there is no condition on %s:sub", [issuer]) if {
	count(trust.sub_values(statement, issuer)) == 0
} else := sprintf("matches its %s:sub condition %v", [issuer, trust.sub_values(statement, issuer)])

_name(statement) := sprintf("%q", [statement.sid]) if statement.sid != ""

_name(statement) := sprintf("#%d", [statement.index]) if statement.sid == ""
