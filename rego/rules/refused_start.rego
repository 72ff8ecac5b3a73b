package karpgate.rules.refused_start

import data.karpgate.lib.deployment
import data.karpgate.lib.fix
import data.karpgate.lib.karpenter
import data.karpgate.lib.requests
import data.karpgate.lib.trust

# METADATA
# title: A start, launch or termination request of the deployed Karpenter is refused
# description: >-
#   karpgate simulates the requests the deployed Karpenter makes whose refusal stops it: the
#   controller exits (start), no node launches (launch), or nodes are never terminated
#   (termination). Starting takes credentials first: with EKS Pod Identity the trust policy must
#   allow pods.eks.amazonaws.com sts:AssumeRole and, unless the association disables session
#   tags, sts:TagSession with the session tags EKS sets; with IRSA it must allow
#   sts:AssumeRoleWithWebIdentity for the cluster's OIDC provider with Karpenter's service account
#   as <issuer>:sub and the token's audience (the eks.amazonaws.com/audience annotation, else
#   sts.amazonaws.com) as <issuer>:aud. Running, the deployed version makes the requests of
#   docs/semantics.md (section 5) for its features: a refused start request stops the
#   controller, a refused launch request stops nodes (of an EC2NodeClass) from launching, a
#   refused TerminateInstances leaves nodes running. Each refused request is reported with the error the pod or Karpenter would get,
#   the version judged with its source, and the statement that decides it. A refusal that depends
#   on a feature the plan does not show is KARP004.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
# custom:
#   id: KARP003
#   severity: error
#   security_severity: "8.0"
#   tags: [iam, karpenter, availability]
#   remediation: >-
#     A refused start by the trust policy: with EKS Pod Identity trust
#     `{"Service": "pods.eks.amazonaws.com"}` with both `sts:AssumeRole` and `sts:TagSession` (or set
#     `disable_session_tags = true` on the association); with IRSA the trusted `Federated` principal
#     must be the cluster's OIDC provider, `<issuer>:aud` the audience of the service account token
#     (`sts.amazonaws.com` unless the eks.amazonaws.com/audience annotation says otherwise) and
#     `<issuer>:sub` Karpenter's service account. A refused Karpenter request: allow it as the
#     published Karpenter controller policy of the deployed version does (for a terraform-aws-eks
#     modules/karpenter policy, the module's switch or upgrade), or change the statement that refuses
#     it.
deny contains finding if {
	some r in _refusals
	finding := karpenter.finding(object.union(
		{
			"address": r.address,
			"role": r.role,
			"message": r.message,
			"statement": r.statement,
		},
		r.fix,
	))
}

# _refusals are the refused requests of every source, each
#   {"role": role address, "address": finding address, "message", "statement": ref or null}
# One rule body per source: the trust's start requests (RULES.md 5.6) here.
_refusals contains {
	"role": role.address,
	"address": role.address,
	"message": _start_message(role, v),
	"statement": _deciding(v),
	"fix": {"fix": _trust_fix(v)},
} if {
	some role in karpenter.roles
	some v in _start_verdicts[role.address]
	v.decision == "refused"
}

# The deployed version's start, launch and termination requests with known features (RULES.md 5.3):
# one finding per role listing every refused call.
_refusals contains {
	"role": role.address,
	"address": karpenter.main_policy(role),
	"message": sprintf("%s cannot make %s %s makes (%s); Karpenter would log:\n%s", [
		role.address, _requests(count(failing)), deployment.describe_version(a.version),
		concat(", ", sort({_what_fails(role, failing, r.impact) | some r in failing})),
		concat("\n", [deployment.call_line(role, r) | some r in failing]),
	]),
	"statement": null,
	"fix": fix.calls_or_list(role, a.version, failing),
} if {
	some role in karpenter.roles
	a := deployment.assessed[role.address]
	failing := [r | some r in deployment.failing(a, a.current); deployment.rule_of(r) == "KARP003"]
	count(failing) > 0
}

# _what_fails says what a refusal of impact stops (RULES.md 6, KARP003): for launches, the
# EC2NodeClasses of the plan whose nodes do not launch, those that use every feature a refused
# request needs ("no node of EC2NodeClass default launches"), or that the plan has none.
_what_fails(role, failing, "launch") := sprintf("no node of %s launches", [_class_names(names)]) if {
	names := sort({c.name | some r in failing; r.impact == "launch"; some c in _affected(role, r)})
	count(names) > 0
} else := "no node launches (no EC2NodeClass is in the plan: this holds for any)" if {
	count(object.get(role, ["deployment", "node_classes"], [])) == 0
} else := deployment.impact_words("launch")

_what_fails(_, _, impact) := deployment.impact_words(impact) if impact != "launch"

# The features of the request data an EC2NodeClass decides (internal/facts NodeClass).
_class_features := {"nodeclass_role", "alias_ami", "al2023", "snapshots", "ebs_kms", "capacity_reservations", "placement_groups"}

_affected(role, row) := [c |
	some c in object.get(role, ["deployment", "node_classes"], [])
	every f in object.get(row.t, "features", []) {
		_uses(c, f)
	}
]

_uses(_, f) if not f in _class_features

_uses(c, f) if f in c.features

_class_names(names) := sprintf("EC2NodeClass %s", [names[0]]) if count(names) == 1

_class_names(names) := sprintf("EC2NodeClasses %s", [concat(", ", names)]) if count(names) > 1

# open lists, for KARP020, the deployed version's start, launch and termination requests whose
# verdict the plan cannot settle.
open contains o if {
	some o in deployment.open
	o.rule == "KARP003"
}

# open lists, for KARP020, the start requests whose verdict the plan cannot settle.
open contains {
	"rule": "KARP003",
	"role": role.address,
	"check": concat(", ", sort({_call(v.check) | some v in opened})),
	"causes": array.concat(
		[{"address": role.address, "attribute": "assume_role_policy", "status": "input", "what": reasons} | count(reasons) > 0],
		[c | some c in {c | some v in opened; some c in object.get(v, "causes", [])}],
	),
} if {
	some role in karpenter.roles
	opened := [v | some v in _start_verdicts[role.address]; v.decision == "open"]
	count(opened) > 0
	reasons := sort({r | some v in opened; r := _open_reason(v); r != ""})
}

# Each start check is made with every parameter set of the role (RULES.md 4.7).
_start_verdicts[role.address] := [_verdict(role, c) | some c in trust.start_checks(role, requests.params(karpenter.role_context(role)))] if {
	some role in karpenter.roles
}

# An unknown trust decides nothing.
_verdict(role, check) := {"check": check, "decision": "open", "results": [], "unknown_trust": true} if {
	object.get(role, ["trust", "status"], "known") in {"unknown", "external"}
} else := trust.evaluate(role, check)

_call(check) := sprintf("%s via %s", [check.action, check.via])

_trust_fix(v) := concat(" ", [
	"The trusted `Federated` principal must be the cluster's OIDC provider, `<issuer>:aud` the audience",
	"of the service account token (`sts.amazonaws.com` unless the eks.amazonaws.com/audience",
	"annotation says otherwise) and `<issuer>:sub` Karpenter's service account.",
]) if {
	v.check.action == "sts:AssumeRoleWithWebIdentity"
} else := concat(" ", [
	"Trust `{\"Service\": \"pods.eks.amazonaws.com\"}` with both `sts:AssumeRole` and `sts:TagSession`",
	"(or set `disable_session_tags = true` on the association).",
])

_requests(1) := "a request"

_requests(n) := sprintf("%d requests", [n]) if n != 1

_open_reason(v) := "the trust policy is unknown until apply" if v.unknown_trust

else := "the association's disable_session_tags is unknown until apply" if v.check.optional

else := concat("; ", [r | some res in v.results; some s in res.statements; s.applies == "unknown"; some r in s.reasons])

_start_message(role, v) := sprintf("%s: %s cannot start Karpenter: %s %s, so the pod gets no credentials and the controller exits%s", [
	role.address, v.check.via, _request_text(v), _because(v), _session_tags_note(v.check),
])

_request_text(v) := sprintf("sts:AssumeRoleWithWebIdentity for %s (audience %s) is refused", [_sub(v), _aud(v)]) if {
	v.check.action == "sts:AssumeRoleWithWebIdentity"
} else := sprintf("%s by %s is refused", [v.check.action, trust.pod_identity_service])

_sub(v) := concat(", ", sort({s | some r in v.check.requests; some k, vs in r.context; endswith(k, ":sub"); some s in vs}))

_aud(v) := concat(", ", sort({s | some r in v.check.requests; some k, vs in r.context; endswith(k, ":aud"); some s in vs}))

_because(v) := sprintf("with an explicit deny in the trust policy (%s)", [concat(", ", [karpenter.statement_label(s) | s := _denying(v)[_]])]) if {
	count(_denying(v)) > 0
} else := sprintf("because no statement of the trust policy allows it (closest: %s: %s)", [karpenter.statement_label(s), concat("; ", s.reasons)]) if {
	s := _closest(v)
} else := sprintf("because no statement of the trust policy allows %s for this principal", [v.check.action])

_denying(v) := [s | some r in v.results; some s in karpenter.denying(r)]

_closest(v) := karpenter.closest(v.results[0])

_deciding(v) := karpenter.statement_ref(_denying(v)[0]) if count(_denying(v)) > 0

else := karpenter.statement_ref(_closest(v)) if _closest(v)

# The Allow for the principal that lacks the action.
else := karpenter.statement_ref(allows[0]) if {
	allows := [s | some s in v.results[0].statements; lower(s.effect) == "allow"]
	count(allows) > 0
}

else := null

_session_tags_note(check) := sprintf(" (session tags are on for %s: set disable_session_tags = true on it or allow sts:TagSession)", [check.binding]) if {
	check.action == "sts:TagSession"
} else := ""
