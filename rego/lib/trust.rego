# METADATA
# title: Trust policy simulation
# description: |
#   What the trust (assume role) policy of a Karpenter role admits, with the request evaluator
#   (RULES.md 5.6 and KARP013): an attacker's principal in another account outside the
#   organization, an attacker's service account of the trusted OIDC issuer, and the requests EKS
#   Pod Identity and IRSA make to start Karpenter. Functions take the role (an element of
#   input.iam.roles) and never read input.
package karpgate.lib.trust

import data.karpgate.lib.iam
import data.karpgate.lib.requests

# statements are the role's trust statements, each with Resource "*" (a trust policy names no
# Resource: the role itself is the resource), or [] when the trust is not known.
statements(role) := [object.union(s, {
	"resources": ["*"], "not_resources": [],
	"policy": object.get(role, ["trust", "address"], role.address), "attribute": "assume_role_policy",
}) |
	object.get(role, ["trust", "status"], "known") in {"known", "partial", "invalid"}
	some s in object.get(role, ["trust", "document", "statements"], [])
]

_admits_principal(s, type, value) if value in object.get(s.principals, type, [])

_admits_principal(s, _, _) if "*" in object.get(s.principals, "*", [])

_admits_principal(s, _, _) if "*" in object.get(s.principals, "AWS", [])

# ---------------------------------------------------------------------------------------------
# KARP013: an attacker.

attacker_account := "999999999999"

attacker_arn := sprintf("arn:aws:iam::%s:role/attacker", [attacker_account])

attacker_subject := "system:serviceaccount:attacker-ns:attacker-sa"

# The keys an attacker's role in another account outside the organization cannot choose; it
# chooses every other key (a condition on one holds for it).
_fixed_keys := {
	"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
	"aws:userid", "sts:externalid", "aws:sourceaccount", "aws:sourcearn",
}

# anyone_admits is true when an Allow for "*" or {"AWS": "*"} lets the attacker's role assume the
# role: the conditions on the keys it cannot choose hold for one of its candidate contexts (in an
# organization of its own or none, guessing an external id or sending none, its role named as a
# condition on aws:PrincipalArn expects).
anyone_admits(s) if {
	s.effect == "Allow"
	_anyone(s)
	iam.action_matches(s, "sts:assumerole")
	fixed := _only_conditions(s, "sts:assumerole", {c | some c in s.conditions; lower(c.key) in _fixed_keys})
	some ctx in _attacker_contexts(s)
	iam.allows([fixed], {
		"action": "sts:AssumeRole", "resource": "*", "context": ctx, "closed": true,
		"modelled": ["aws:principalorgid", "aws:principalorgpaths"],
	})
}

_anyone(s) if "*" in object.get(s.principals, "*", [])

_anyone(s) if "*" in object.get(s.principals, "AWS", [])

_only_conditions(s, action, conds) := object.union(s, {
	"effect": "Allow",
	"actions": [action],
	"not_actions": [],
	"resources": ["*"],
	"not_resources": [],
	"conditions": [c | some c in conds],
})

_attacker_contexts(s) := [object.union(object.union(base, org), ext) |
	some arn in _attacker_arns(s)
	base := {"aws:principalarn": [arn], "aws:principalaccount": [attacker_account], "aws:userid": ["AROAATTACKERROLEID00:attacker"]}
	some org in [{}, {"aws:principalorgid": ["o-attacker000"], "aws:principalorgpaths": ["o-attacker000/r-atk0/"]}]
	some ext in [{}, {"sts:externalid": ["attacker-guess"]}]
]

# The attacker names its role as a condition on aws:PrincipalArn expects, in its own account.
_attacker_arns(s) := array.concat([attacker_arn], [arn |
	some c in s.conditions
	lower(c.key) == "aws:principalarn"
	some v in c.values
	parts := split(v, ":")
	count(parts) >= 6
	arn := concat(":", ["arn", "aws", "iam", "", attacker_account, _fill_glob(concat(":", array.slice(parts, 5, count(parts))))])
])

_fill_glob(p) := replace(replace(p, "*", "x"), "?", "x")

# web_identity_admits lists the issuers of a web-identity Allow whose tokens for the attacker's
# service account (sub system:serviceaccount:attacker-ns:attacker-sa, any audience) assume the
# role: no condition on <issuer>:sub, a sub pattern that matches it, or conditions only on
# another issuer's keys (absent from this issuer's tokens, so ...IfExists holds).
web_identity_admits(s) := {issuer |
	s.effect == "Allow"
	iam.action_matches(s, "sts:assumerolewithwebidentity")
	some issuer in _issuers(s)
	fixed := _only_conditions(s, "sts:assumerolewithwebidentity", {c | some c in s.conditions; _fixed_for_issuer(lower(c.key), issuer)})
	iam.allows([fixed], {
		"action": "sts:AssumeRoleWithWebIdentity", "resource": "*", "closed": true,
		"context": {concat("", [issuer, ":sub"]): [attacker_subject]},
	})
}

# _issuers are the lower-cased issuers of the statement's Federated principals (the part of an
# OIDC provider ARN after oidc-provider/, else the principal itself, e.g. accounts.google.com).
_issuers(s) := {issuer(f) | some f in object.get(s.principals, "Federated", [])}

issuer(federated) := lower(substring(federated, i + 14, -1)) if {
	i := indexof(federated, "oidc-provider/")
	i >= 0
} else := lower(federated)

# The attacker's token has this issuer's sub; any other issuer's key is absent; it chooses the
# audience and every other key.
_fixed_for_issuer(key, issuer) if key == concat("", [issuer, ":sub"])

_fixed_for_issuer(key, issuer) if {
	_key_issuer(key) != issuer
	regex.match(`[./]`, _key_issuer(key))
}

_key_issuer(key) := substring(key, 0, (count(key) - count(parts[count(parts) - 1])) - 1) if {
	parts := split(key, ":")
	count(parts) > 1
}

# other_issuer_keys names the conditions of s on keys of another issuer than issuer.
other_issuer_keys(s, issuer) := sort({c.written |
	some c in s.conditions
	k := lower(c.key)
	_fixed_for_issuer(k, issuer)
	k != concat("", [issuer, ":sub"])
})

# sub_values are the values of the positive conditions of s on issuer's :sub key.
sub_values(s, issuer) := [v |
	some c in s.conditions
	lower(c.key) == concat("", [issuer, ":sub"])
	not _negated_base(c)
	some v in c.values
]

_negated_base(c) if contains(c.base, "not")

# ---------------------------------------------------------------------------------------------
# 5.6: the requests that start Karpenter.

pod_identity_service := "pods.eks.amazonaws.com"

# start_checks lists what the trust must allow for Karpenter to start, one per binding and action:
#   {"id", "binding", "action", "via", "requests": [request...], "params"?: [parameter set...],
#    "optional": bool}
# ps are the role's parameter sets (lib/requests params: one when every parameter is known, else
# every combination of candidates). A check passes when every request is allowed: several
# requests are candidates of an unknown service account (IRSA) or of an unknown region, account
# or partition (pod identity, one per parameter set, aligned with "params"), and candidates that
# disagree leave it open (RULES.md 4.7). Optional checks are those that apply only if session
# tags are on when that is unknown.
start_checks(role, ps) := array.concat(_pod_identity_checks(role, ps), _irsa_checks(role))

_pod_identity_checks(role, ps) := [check |
	some b in object.get(role, ["context", "pod_identity"], [])
	some action in _pod_identity_actions(b)
	check := {
		"id": sprintf("%s %s", [b.address, action]),
		"binding": b.address,
		"action": action,
		"via": sprintf("EKS Pod Identity (%s)", [b.address]),
		"principal": {"Service": pod_identity_service},
		"requests": [_pod_identity_request(b, action, p) | some p in ps],
		"params": ps,
		"optional": _optional(action, b),
	}
]

# sts:TagSession is needed only with session tags on; when that is unknown its refusal is open.
_optional(action, b) if {
	action == "sts:TagSession"
	b.session_tags == null
} else := false

_pod_identity_actions(b) := ["sts:AssumeRole", "sts:TagSession"] if b.session_tags != false

_pod_identity_actions(b) := ["sts:AssumeRole"] if b.session_tags == false

_pod_identity_request(b, action, p) := {
	"action": action,
	"resource": "*",
	"context": object.union(
		object.union(_known("aws:sourcearn", _cluster_arn(b, p)), {"aws:sourceaccount": [p.A]}),
		_session_tags(b, p),
	),
	"present": array.concat(
		["aws:requesttag/kubernetes-pod-name", "aws:requesttag/kubernetes-pod-uid"],
		[k | some k, v in _session_tag_values(b, p); v == ""],
	),
}

_cluster_arn(b, p) := sprintf("arn:%s:eks:%s:%s:cluster/%s", [p.P, p.R, p.A, b.cluster]) if b.cluster != ""

else := ""

_known(_, "") := {}

_known(key, v) := {key: [v]} if v != ""

_session_tags(b, _) := {} if b.session_tags == false

_session_tags(b, p) := tags if {
	b.session_tags != false
	tags := object.union(
		{k: [v] | some k, v in _session_tag_values(b, p); v != ""},
		{"aws:tagkeys": [substring(k, 15, -1) | some k in array.concat(
			[k | some k, _ in _session_tag_values(b, p)],
			["aws:requesttag/kubernetes-pod-name", "aws:requesttag/kubernetes-pod-uid"],
		)]},
	)
}

_session_tag_values(b, p) := {
	"aws:requesttag/eks-cluster-arn": _cluster_arn(b, p),
	"aws:requesttag/eks-cluster-name": b.cluster,
	"aws:requesttag/kubernetes-namespace": b.namespace,
	"aws:requesttag/kubernetes-service-account": b.service_account,
}

# IRSA (without a pod identity binding): sts:AssumeRoleWithWebIdentity by each OIDC provider the
# trust allows, sub = Karpenter's service account when known, else each one the trust names (the
# candidates), aud = the release's audience annotation (context.audience) else sts.amazonaws.com.
_irsa_checks(role) := [] if count(object.get(role, ["context", "pod_identity"], [])) > 0

_irsa_checks(role) := [_irsa_check(role, federated, iss, subjects) |
	sts := statements(role)
	some federated in _oidc_providers(sts)
	iss := issuer(federated)
	subjects := _subjects(role, sts, federated, iss)
	count(subjects) > 0
] if count(object.get(role, ["context", "pod_identity"], [])) == 0

# _subjects are the :sub values Karpenter's token may carry: its service account when known
# (context.service_account, namespace/name), else the candidates the trust names (RULES.md 5.6).
_subjects(role, sts, federated, iss) := known if {
	known := _known_subject(role)
} else := {_fill_glob(v) |
	some s in sts
	federated in object.get(s.principals, "Federated", [])
	some v in sub_values(s, iss)
}

_known_subject(role) := {sprintf("system:serviceaccount:%s:%s", [parts[0], parts[1]])} if {
	sa := object.get(role, ["context", "service_account"], "")
	is_string(sa)
	parts := split(sa, "/")
	count(parts) == 2
}

# _oidc_providers are the OIDC providers an Allow of sts:AssumeRoleWithWebIdentity names.
_oidc_providers(sts) := {f |
	some s in sts
	s.effect == "Allow"
	iam.action_matches(s, "sts:assumerolewithwebidentity")
	some f in object.get(s.principals, "Federated", [])
	contains(f, "oidc-provider/")
}

_irsa_check(role, federated, iss, subjects) := {
	"id": sprintf("irsa %s", [federated]),
	"binding": federated,
	"action": "sts:AssumeRoleWithWebIdentity",
	"via": sprintf("IRSA (%s)", [federated]),
	"principal": {"Federated": federated},
	"requests": [{
		"action": "sts:AssumeRoleWithWebIdentity",
		"resource": "*",
		"closed": true,
		"context": {
			concat("", [iss, ":sub"]): [sub],
			concat("", [iss, ":aud"]): [audience(role)],
		},
	} |
		some sub in sort(subjects)
	],
	"optional": false,
}

# audience is the audience of the service account token (eks.amazonaws.com/audience, default
# sts.amazonaws.com in every partition).
audience(role) := a if {
	a := object.get(role, ["context", "audience"], "")
	is_string(a)
	a != ""
} else := "sts.amazonaws.com"

# evaluate decides a start check against the trust statements that name its principal:
#   {"check", "decision": allowed|refused|open, "results": [decide results], "causes"}
# causes name the unknown parameters whose candidates disagree (lib/requests param_causes).
evaluate(role, check) := {
	"check": check,
	"decision": _start_decision(decisions, check),
	"results": results,
	"causes": requests.param_causes(check, [_class(r.decision) | some r in results]),
} if {
	sts := [s | some s in statements(role); _names(s, check.principal)]
	results := [iam.decide(sts, r) | some r in check.requests]
	decisions := {r.decision | some r in results}
}

_class(d) := "refused" if d in {"implicit-deny", "denied"}

_class(d) := d if not d in {"implicit-deny", "denied"}

_names(s, principal) if {
	some type, value in principal
	_admits_principal(s, type, value)
}

# A Deny with NotPrincipal that does not list the principal applies to it.
_names(s, principal) if {
	s.effect == "Deny"
	count(object.get(s, "not_principals", {})) > 0
	not _listed_not_principal(s, principal)
}

_listed_not_principal(s, principal) if {
	some type, value in principal
	value in object.get(s.not_principals, type, [])
}

_start_decision(decisions, _) := "allowed" if decisions == {"allowed"}

_start_decision(decisions, check) := "refused" if {
	count(decisions & {"allowed", "indeterminate"}) == 0
	not check.optional
}

_start_decision(decisions, check) := "open" if {
	decisions != {"allowed"}
	not _refused(decisions, check)
}

_refused(decisions, check) if {
	count(decisions & {"allowed", "indeterminate"}) == 0
	not check.optional
}
