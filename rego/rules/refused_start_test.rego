package karpgate.rules.refused_start_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.indeterminate
import data.karpgate.rules.refused_start as rule

_c(op, key, values) := {"operator": op, "base": lower(op), "set": "", "if_exists": false, "key": lower(key), "written": key, "values": values}

_st(actions, principals, conditions) := {
	"index": 0, "sid": "Trust", "effect": "Allow", "actions": actions, "not_actions": [], "resources": [], "not_resources": [],
	"principals": principals, "not_principals": {}, "conditions": conditions,
}

_pods := {"Service": ["pods.eks.amazonaws.com"]}

_allow_all := {
	"address": "aws_iam_policy.all", "attribute": "policy", "kind": "managed", "via": "aws_iam_role_policy_attachment.all",
	"arn": null, "status": "known", "source": "after", "unknown": [], "problems": [],
	"document": {
		"version": "2012-10-17",
		"id": "",
		"statements": [object.union(_st(["*"], null, []), {"resources": ["*"], "principals": null, "not_principals": null})],
	},
}

_binding(session_tags) := {
	"address": "aws_eks_pod_identity_association.karpenter", "cluster": "prod", "namespace": "kube-system",
	"service_account": "karpenter", "session_tags": session_tags,
}

_input(statements, ctx) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"name": "karpenter",
	"karpenter": {"detected": true, "by": ["pod-identity"]},
	"trust": {
		"address": "aws_iam_role.karpenter",
		"attribute": "assume_role_policy",
		"status": "known",
		"document": {"version": "2012-10-17", "statements": statements},
	},
	# Every permission granted: these tests judge the trust's start requests alone.
	"policies": [_allow_all],
	"context": object.union({"region": "eu-west-1", "account": "111122223333", "partition": "aws", "cluster": "prod"}, ctx),
}]}}

_pod(statements, session_tags) := _input(statements, {"pod_identity": [_binding(session_tags)]})

# RULES.md 5.6: with session tags on, EKS calls sts:TagSession too.
test_deny_pod_identity_without_tag_session if {
	findings := rule.deny with input as _pod([_st(["sts:assumerole"], _pods, [])], true)
	count(findings) == 1
	some f in findings
	contains(f.message, "sts:TagSession by pods.eks.amazonaws.com is refused")
	contains(f.message, "the controller exits")
	contains(f.message, "disable_session_tags")
	f.statement.sid == "Trust"
	startswith(f.fix, "Trust `{\"Service\": \"pods.eks.amazonaws.com\"}`")
	not contains(f.fix, "Federated")
}

test_allow_pod_identity_with_tag_session if {
	count(rule.deny) == 0 with input as _pod([_st(["sts:assumerole", "sts:tagsession"], _pods, [])], true)
}

test_allow_session_tags_disabled if {
	count(rule.deny) == 0 with input as _pod([_st(["sts:assumerole"], _pods, [])], false)
}

test_open_session_tags_unknown if {
	inp := _pod([_st(["sts:assumerole"], _pods, [])], null)
	count(rule.deny) == 0 with input as inp
	some o in rule.open with input as inp
	contains(o.check, "sts:TagSession")
	some f in indeterminate.deny with input as inp
	contains(f.message, "KARP003")
	contains(f.message, "disable_session_tags")
}

test_deny_pod_identity_wrong_principal if {
	findings := rule.deny with input as _pod([_st(["sts:assumerole", "sts:tagsession"], {"Service": ["ec2.amazonaws.com"]}, [])], true)
	count(findings) == 2
}

# The confused-deputy conditions EKS documents hold for the association's own cluster...
test_allow_source_conditions_of_the_cluster if {
	conds := [
		_c("StringEquals", "aws:SourceAccount", ["111122223333"]),
		_c("ArnEquals", "aws:SourceArn", ["arn:aws:eks:eu-west-1:111122223333:cluster/prod"]),
		_c("StringEquals", "aws:RequestTag/kubernetes-namespace", ["kube-system"]),
	]
	count(rule.deny) == 0 with input as _pod([_st(["sts:assumerole", "sts:tagsession"], _pods, conds)], true)
}

# ...and refuse another cluster.
test_deny_source_arn_of_another_cluster if {
	conds := [_c("ArnEquals", "aws:SourceArn", ["arn:aws:eks:eu-west-1:111122223333:cluster/staging"])]
	findings := rule.deny with input as _pod([_st(["sts:assumerole", "sts:tagsession"], _pods, conds)], true)
	count(findings) == 2
	some f in findings
	contains(f.message, "aws:SourceArn")
}

test_deny_explicit_deny if {
	deny := object.union(_st(["sts:tagsession"], _pods, []), {"index": 1, "sid": "NoTags", "effect": "Deny"})
	findings := rule.deny with input as _pod([_st(["sts:assumerole", "sts:tagsession"], _pods, []), deny], true)
	count(findings) == 1
	some f in findings
	contains(f.message, "explicit deny")
	f.statement.sid == "NoTags"
}

_oidc := {"Federated": ["arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"]}

_irsa(aud) := [_st(["sts:assumerolewithwebidentity"], _oidc, [
	_c("StringEquals", "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub", ["system:serviceaccount:kube-system:karpenter"]),
	_c("StringEquals", "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud", [aud]),
])]

test_allow_irsa_default_audience if {
	count(rule.deny) == 0 with input as _input(_irsa("sts.amazonaws.com"), {})
}

# The token's audience is sts.amazonaws.com unless the release annotates another.
test_deny_irsa_wrong_audience if {
	findings := rule.deny with input as _input(_irsa("eks.amazonaws.com"), {})
	count(findings) == 1
	some f in findings
	contains(f.message, "sts:AssumeRoleWithWebIdentity for system:serviceaccount:kube-system:karpenter (audience sts.amazonaws.com) is refused")
	contains(f.message, ":aud")
	contains(f.fix, "`Federated` principal must be the cluster's OIDC provider")
	not contains(f.fix, "pods.eks.amazonaws.com")
}

test_allow_irsa_annotated_audience if {
	count(rule.deny) == 0 with input as _input(_irsa("eks.amazonaws.com"), {"audience": "eks.amazonaws.com"})
}

test_open_unknown_trust if {
	inp := {"iam": {"roles": [{
		"address": "aws_iam_role.karpenter", "karpenter": {"detected": true},
		"trust": {"address": "aws_iam_role.karpenter", "status": "unknown", "document": null}, "policies": [_allow_all],
		"context": {"region": "eu-west-1", "account": "111122223333", "pod_identity": [_binding(true)]},
	}]}}
	count(rule.deny) == 0 with input as inp
	count(rule.open) == 1 with input as inp
}

# Launch, start and termination requests of the deployed version (RULES.md 5.3).

_deployed(doc, v, from) := fx.input_deployed([fx.known(fx.policy_address, doc)], fx.deployed(v, from))

test_allow_upstream_v1_requests if {
	count(rule.deny) == 0 with input as fx.upstream_v1_input
	count(rule.open) == 0 with input as fx.upstream_v1_input
}

test_deny_launch_and_termination_name_each_call_and_version if {
	doc := fx.without_sid(fx.without_sid(fx.upstream_v1, "AllowScopedDeletion"), "AllowInstanceProfileReadActions")
	findings := rule.deny with input as _deployed(doc, "1.0", "")
	count(findings) == 1
	some f in findings
	f.address == fx.policy_address
	contains(f.message, "Karpenter 1.0.0 (chart version of helm_release.karpenter)")
	contains(f.message, "no node launches (no EC2NodeClass is in the plan: this holds for any), nodes are not terminated")
	contains(f.message, "ec2:TerminateInstances on resource: arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")
	contains(f.message, concat("", [
		"AccessDenied: User: arn:aws:sts::123456789012:assumed-role/KarpenterController-ex/<session> is not authorized to perform: iam:GetInstanceProfile",
	]))
	not contains(f.message, "ec2:DeleteLaunchTemplate")

	# The fix is the two statements upstream grants them with: GetInstanceProfile on every instance
	# profile, TerminateInstances on the cluster's ownership tags; no simulated id, no trust text.
	contains(f.fix, "\"Sid\": \"AllowKarpenterIAMScopedActions\"")
	contains(f.fix, "\"Resource\": [\n    \"arn:aws:iam::123456789012:instance-profile/*\"\n  ]")
	contains(f.fix, "\"Sid\": \"AllowKarpenterEC2TaggedActions1\"")
	contains(f.fix, "\"arn:aws:ec2:eu-west-1:123456789012:instance/*\"")
	contains(f.fix, "\"aws:ResourceTag/kubernetes.io/cluster/ex\": [\n        \"owned\"")
	not contains(f.fix, "i-0123456789abcdef0")
	not contains(f.fix, "pods.eks.amazonaws.com")
}

test_deny_fleet_tagging_at_launch_is_an_error if {
	# CreateFleet cannot tag the fleet: no node launches (an error, not a KARP004 warning).
	no_creation_tags := fx.without_sid(fx.upstream_v1, "AllowScopedResourceCreationTagging")
	findings := rule.deny with input as _deployed(no_creation_tags, "1.0", "")
	some f in findings
	contains(f.message, "ec2:CreateTags on resource: arn:aws:ec2:eu-west-1:123456789012:fleet/*")
}

test_deny_start_interruption_queue_v1_0 if {
	# settings.interruptionQueue with no SQS grant: v1.0 exits at start on GetQueueUrl.
	doc := fx.without_sid(fx.upstream_v1, "AllowInterruptionQueueActions")
	findings := rule.deny with input as _deployed(doc, "1.0", "")
	some f in findings
	contains(f.message, "the controller exits")
	contains(f.message, "sqs:GetQueueUrl on resource: arn:aws:sqs:eu-west-1:123456789012:Karpenter-ex")
}

test_allow_interruption_queue_degraded_from_v1_4 if {
	doc := fx.without_sid(fx.upstream_v1, "AllowInterruptionQueueActions")
	count(rule.deny) == 0 with input as _deployed(doc, "1.4", "")
	some f in data.karpgate.rules.karpenter_calls.deny with input as _deployed(doc, "1.4", "")
	contains(f.message, "interruption handling is lost")
}

test_deny_zonal_shift_when_enabled if {
	count(rule.deny) == 0 with input as _deployed(fx.upstream_v1, "1.12", "")
	dep := object.union(
		fx.deployed("1.12", ""),
		{"features": object.union(fx.deployed("1.12", "").features, {"zonal_shift": {"state": "on", "source": "helm_release.karpenter settings.enableZonalShift"}})},
	)
	inp := fx.input_deployed([fx.known(fx.policy_address, fx.upstream_v1)], dep)
	some f in rule.deny with input as inp
	contains(f.message, "arc-zonal-shift:GetManagedResource on resource: *")
}

test_unknown_feature_is_a_warning_not_an_error if {
	# No EC2NodeClass known: instance-profile calls depend on spec.role, KARP004 with the condition.
	dep := object.union(
		fx.deployed("1.0", ""),
		{"features": object.union(fx.deployed("1.0", "").features, {"nodeclass_role": {"state": "unknown", "source": "no EC2NodeClass manifest in the plan"}})},
	)
	doc := fx.without_sid(fx.upstream_v1, "AllowInstanceProfileReadActions")
	inp := fx.input_deployed([fx.known(fx.policy_address, doc)], dep)
	count(rule.deny) == 0 with input as inp
	some f in data.karpgate.rules.karpenter_calls.deny with input as inp
	contains(f.message, "only if an EC2NodeClass uses spec.role")
}

# RULES.md 4.7: with the account unknown, EKS's sts:AssumeRole is tried with every candidate
# account as aws:SourceAccount; a trust that admits one of them only is open, naming the account,
# never allowed because the first candidate is.
_account_unknown(conditions) := _input(
	[_st(["sts:assumerole", "sts:tagsession"], _pods, conditions)],
	{"account": "", "accounts": ["111122223333", "999999999999"], "pod_identity": [_binding(true)]},
)

test_open_when_account_candidates_disagree if {
	inp := _account_unknown([_c("StringEquals", "aws:SourceAccount", ["111122223333"])])
	count(rule.deny) == 0 with input as inp
	opens := rule.open with input as inp
	some o in opens
	o.rule == "KARP003"
	contains(o.check, "sts:AssumeRole via EKS Pod Identity")
	some c in o.causes
	c.attribute == "context.account"
	c.what == ["the account is unknown (set karpenter.account)"]
}

test_decided_when_account_candidates_agree if {
	# No condition on the account: every candidate is admitted.
	inp := _account_unknown([])
	count(rule.deny) == 0 with input as inp
	count(rule.open) == 0 with input as inp

	# An account no candidate is: refused for every one, decided.
	other := _account_unknown([_c("StringEquals", "aws:SourceAccount", ["444455556666"])])
	count(rule.deny) == 2 with input as other
}

# RULES.md 6 (KARP003): a refused launch names the EC2NodeClasses whose nodes do not launch: every
# one for a request every launch makes, those using the feature for a feature's request.
_with_classes(doc, classes) := fx.input_deployed([fx.known(fx.policy_address, doc)], object.union(fx.deployed("1.0", ""), {"node_classes": classes}))

_classes := [
	{"name": "default", "address": "kubectl_manifest.default", "features": ["nodeclass_role", "alias_ami", "al2023"]},
	{"name": "gpu", "address": "kubectl_manifest.gpu", "features": ["nodeclass_role", "alias_ami", "al2023", "ebs_kms"]},
]

test_deny_launch_names_every_ec2nodeclass if {
	no_creation_tags := fx.without_sid(fx.upstream_v1, "AllowScopedResourceCreationTagging")
	some f in rule.deny with input as _with_classes(no_creation_tags, _classes)
	contains(f.message, "(no node of EC2NodeClasses default, gpu launches)")
}

test_deny_launch_names_the_ec2nodeclass_that_uses_the_feature if {
	# Instance-profile calls are made for EC2NodeClasses with spec.role only.
	no_profile := fx.without_sid(fx.upstream_v1, "AllowInstanceProfileReadActions")
	classes := [_classes[0], object.union(_classes[1], {"features": ["alias_ami", "al2023", "ebs_kms"]})]
	some f in rule.deny with input as _with_classes(no_profile, classes)
	contains(f.message, "(no node of EC2NodeClass default launches)")
}

# RULES.md 5.6: with Karpenter's service account known (karpenter.service_account or the linked
# release), the token's :sub is that account, not the trust's own values.
test_deny_irsa_other_service_account if {
	findings := rule.deny with input as _input(_irsa("sts.amazonaws.com"), {"service_account": "karpenter/karpenter"})
	count(findings) == 1
	some f in findings
	contains(f.message, "sts:AssumeRoleWithWebIdentity for system:serviceaccount:karpenter:karpenter (audience sts.amazonaws.com) is refused")
}

test_allow_irsa_known_service_account if {
	count(rule.deny) == 0 with input as _input(_irsa("sts.amazonaws.com"), {"service_account": "kube-system/karpenter"})
	count(rule.open) == 0 with input as _input(_irsa("sts.amazonaws.com"), {"service_account": "kube-system/karpenter"})
}
