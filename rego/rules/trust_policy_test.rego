package karpgate.rules.trust_policy_test

import data.karpgate.rules.trust_policy as rule

_input(statement) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"karpenter": {"detected": true, "by": ["name"]},
	"trust": {"address": "aws_iam_role.karpenter", "attribute": "assume_role_policy", "status": "known", "document": {"statements": [statement]}},
	"policies": [],
}]}}

_statement(overrides) := object.union(
	{
		"index": 0,
		"sid": "",
		"effect": "Allow",
		"actions": ["sts:assumerolewithwebidentity"],
		"not_actions": [],
		"resources": [],
		"principals": {},
		"conditions": [],
	},
	overrides,
)

_oidc := {"Federated": ["arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"]}

_c(op, key, values) := {
	"operator": op, "base": lower(trim_suffix(op, "IfExists")), "set": "", "if_exists": endswith(op, "IfExists"),
	"key": lower(key), "written": key, "values": values,
}

_sub(op, value) := _c(op, "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub", [value])

_aud := _c("StringEquals", "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud", ["sts.amazonaws.com"])

_star(conditions) := _statement({"actions": ["sts:assumerole"], "principals": {"AWS": ["*"]}, "conditions": conditions})

test_deny_star_principal if {
	findings := rule.deny with input as _input(_statement({"actions": ["sts:assumerole"], "principals": {"*": ["*"]}}))
	count(findings) == 1
	some f in findings
	contains(f.message, `principal "*"`)
	contains(f.message, "another account outside the organization")
}

test_deny_aws_star_principal if {
	count(rule.deny) == 1 with input as _input(_star([]))
}

# A condition the caller sets restricts nothing: the attacker calls over HTTPS.
test_deny_star_principal_with_secure_transport if {
	count(rule.deny) == 1 with input as _input(_star([_c("Bool", "aws:SecureTransport", ["true"])]))
}

test_deny_star_principal_with_source_ip if {
	count(rule.deny) == 1 with input as _input(_star([_c("IpAddress", "aws:SourceIp", ["10.0.0.0/8"])]))
}

test_allow_star_principal_with_org_id if {
	count(rule.deny) == 0 with input as _input(_star([_c("StringEquals", "aws:PrincipalOrgID", ["o-abc"])]))
}

test_allow_star_principal_with_principal_account if {
	count(rule.deny) == 0 with input as _input(_star([_c("StringEquals", "aws:PrincipalAccount", ["111122223333"])]))
}

test_allow_star_principal_with_exact_principal_arn if {
	count(rule.deny) == 0 with input as _input(_star([_c("ArnEquals", "aws:PrincipalArn", ["arn:aws:iam::111122223333:role/karpenter"])]))
}

# The attacker names its own role as the pattern expects: only the account part protects.
test_deny_star_principal_with_any_account_principal_arn if {
	count(rule.deny) == 1 with input as _input(_star([_c("ArnLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/karpenter"])]))
}

test_allow_star_principal_with_external_id if {
	count(rule.deny) == 0 with input as _input(_star([_c("StringEquals", "sts:ExternalId", ["s3cr3t"])]))
}

test_deny_star_principal_with_wildcard_external_id if {
	count(rule.deny) == 1 with input as _input(_star([_c("StringLike", "sts:ExternalId", ["*"])]))
}

# A negated condition on the organization holds for an attacker outside it.
test_deny_star_principal_with_not_org_id if {
	count(rule.deny) == 1 with input as _input(_star([_c("StringNotEquals", "aws:PrincipalOrgID", ["o-other"])]))
}

test_allow_source_account if {
	count(rule.deny) == 0 with input as _input(_star([_c("StringEquals", "aws:SourceAccount", ["111122223333"])]))
}

test_deny_web_identity_without_sub if {
	findings := rule.deny with input as _input(_statement({"principals": _oidc, "conditions": [_aud]}))
	count(findings) == 1
	some f in findings
	contains(f.message, "no condition on oidc.eks.eu-west-1.amazonaws.com/id/abc:sub")
	contains(f.message, "system:serviceaccount:attacker-ns:attacker-sa")
}

test_deny_web_identity_sub_star if {
	count(rule.deny) == 1 with input as _input(_statement({"principals": _oidc, "conditions": [_aud, _sub("StringLike", "*")]}))
}

test_deny_web_identity_sub_any_service_account if {
	count(rule.deny) == 1 with input as _input(_statement({"principals": _oidc, "conditions": [_sub("StringLike", "system:serviceaccount:*:*")]}))
}

# The condition names another cluster's issuer: absent from this issuer's tokens, IfExists holds.
test_deny_web_identity_ifexists_on_another_issuer if {
	other := _c("StringLikeIfExists", "oidc.eks.us-east-1.amazonaws.com/id/OTHER:sub", ["system:serviceaccount:kube-system:karpenter"])
	findings := rule.deny with input as _input(_statement({"principals": _oidc, "conditions": [other]}))
	count(findings) == 1
	some f in findings
	contains(f.message, "another issuer's keys")
}

test_allow_web_identity_equals_on_another_issuer if {
	other := _c("StringEquals", "oidc.eks.us-east-1.amazonaws.com/id/OTHER:sub", ["system:serviceaccount:kube-system:karpenter"])
	count(rule.deny) == 0 with input as _input(_statement({"principals": _oidc, "conditions": [other]}))
}

test_allow_web_identity_with_exact_sub if {
	count(rule.deny) == 0 with input as _input(_statement({
		"principals": _oidc,
		"conditions": [_aud, _sub("StringEquals", "system:serviceaccount:karpenter:karpenter")],
	}))
}

# A narrower wildcard is KARP015's, not an error here.
test_allow_wildcard_service_account if {
	count(rule.deny) == 0 with input as _input(_statement({"principals": _oidc, "conditions": [_sub("StringLike", "system:serviceaccount:karpenter:*")]}))
}

test_allow_pod_identity if {
	count(rule.deny) == 0 with input as _input(_statement({
		"actions": ["sts:assumerole", "sts:tagsession"],
		"principals": {"Service": ["pods.eks.amazonaws.com"]},
	}))
}

test_deny_sts_wildcard_action_needs_sub if {
	count(rule.deny) == 1 with input as _input(_statement({"actions": ["sts:*"], "principals": _oidc}))
}

test_allow_deny_statement if {
	count(rule.deny) == 0 with input as _input(_statement({"effect": "Deny", "actions": ["sts:assumerole"], "principals": {"*": ["*"]}}))
}

test_allow_unknown_trust if {
	count(rule.deny) == 0 with input as {"iam": {"roles": [{
		"address": "aws_iam_role.k",
		"karpenter": {"detected": true},
		"trust": {"status": "unknown", "document": null},
		"policies": [],
	}]}}
}
