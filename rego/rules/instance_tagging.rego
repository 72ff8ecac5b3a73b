package karpgate.rules.instance_tagging

import data.karpgate.lib.deployment
import data.karpgate.lib.fix
import data.karpgate.lib.karpenter
import data.karpgate.lib.layers

# METADATA
# title: Karpenter cannot tag the instances it launches
# description: |
#   Karpenter tags every instance it launched with Name and karpenter.sh/nodeclaim right after
#   launch (ec2:CreateTags on the existing instance), dropping keys the instance already has; from
#   v1.0 it also adds eks:eks-cluster-name to instances launched before v1.0. karpgate simulates
#   the tagging requests of the deployed version (docs/semantics.md, section 5): instances launched by v0.x (before
#   v1.0), instances v1 launched, and instances launched before an upgrade to v1 (two requests);
#   when AWS refuses one, Karpenter logs "tagging nodeclaim, tagging instance,
#   UnauthorizedOperation ... ec2:CreateTags" and the node never gets its name.
#   Policies written for Karpenter v0.33-v0.37 (terraform-aws-eks v20 without
#   enable_v1_permissions) limit aws:TagKeys to [karpenter.sh/nodeclaim, Name] and are the usual
#   cause; tagging allowed only at creation (ec2:CreateAction) is another.
# related_resources:
#   - https://karpenter.sh/v1.0/upgrading/v1-migration/
#   - https://github.com/aws/karpenter-provider-aws/blob/v1.0.0/website/content/en/v1.0/getting-started/getting-started-with-karpenter/cloudformation.yaml
#   - https://github.com/terraform-aws-modules/terraform-aws-eks/pull/3126
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
# custom:
#   id: KARP001
#   severity: error
#   remediation: |
#     Add the upstream Karpenter v1 AllowScopedResourceTagging statement (region, partition and
#     cluster filled in; the finding's fix carries it for the role). With terraform-aws-eks v20.24+
#     set enable_v1_permissions = true, or upgrade to v21.
#
#     statement {
#       sid       = "AllowScopedResourceTagging"
#       effect    = "Allow"
#       actions   = ["ec2:CreateTags"]
#       resources = ["arn:<partition>:ec2:<region>:*:instance/*"]
#       condition {
#         test     = "StringEquals"
#         variable = "aws:ResourceTag/kubernetes.io/cluster/<cluster>"
#         values   = ["owned"]
#       }
#       condition {
#         test     = "StringLike"
#         variable = "aws:ResourceTag/karpenter.sh/nodepool"
#         values   = ["*"]
#       }
#       condition {
#         test     = "StringEqualsIfExists"
#         variable = "aws:RequestTag/eks:eks-cluster-name"
#         values   = [var.cluster_name]
#       }
#       condition {
#         test     = "ForAllValues:StringEquals"
#         variable = "aws:TagKeys"
#         values   = ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
#       }
#     }
#
#     {
#       "Sid": "AllowScopedResourceTagging",
#       "Effect": "Allow",
#       "Action": "ec2:CreateTags",
#       "Resource": "arn:aws:ec2:<region>:*:instance/*",
#       "Condition": {
#         "StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/<cluster>": "owned"},
#         "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
#         "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": "<cluster>"},
#         "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]}
#       }
#     }
deny contains finding if {
	some role in karpenter.roles
	a := deployment.assessed[role.address]
	failing := [r | some r in deployment.failing(a, a.current); deployment.rule_of(r) == "KARP001"]
	some variant in {r.t.variant | some r in failing}

	# One finding per variant: its first refused request (T_pre has two, both needed).
	row := [r | some r in failing; r.t.variant == variant][0]
	v := deployment.refused_eval(row)

	closest := _blamed(v)
	finding := karpenter.finding(object.union(
		{
			"rule": rego.metadata.rule().custom.id,
			"address": _layer_or(v, _address(role, closest)),
			"role": role.address,
			"message": _message(role, a, row, v),
			"statement": _ref(closest),
		},
		_fix(role, v),
	))
}

# open lists the roles whose tagging verdicts the plan cannot settle (reported by KARP020).
open contains o if {
	some o in deployment.open
	o.rule == "KARP001"
}

_fix(role, v) := fix.add(role, v, karpenter.fix_statement(role, "tagging", {})) if {
	layers.explain(v) == ""
} else := {"fix": layers.fix_text(v)}

# The statement to blame: the applicable Deny when there is one, else the Allow that came
# closest (lib/karpenter closest), else none.
_blamed(v) := karpenter.denying(v.result)[0] if {
	v.decision == "denied"
} else := karpenter.closest(v.result) if {
	v.decision != "denied"
} else := null

# A refusal by another layer (boundary, session policy, SCP, ...) is fixed in that layer's policy.
_layer_or(v, _) := v.layer_address if object.get(v, "layer_address", "") != ""

_layer_or(v, address) := address if object.get(v, "layer_address", "") == ""

_address(role, null) := karpenter.main_policy(role)

_address(_, s) := s.policy if s != null

_ref(null) := null

_ref(s) := karpenter.statement_ref(s) if s != null

_message(role, a, row, v) := concat("", [
	concat(" ", array.concat(
		[sprintf("%s cannot tag %s, which %s does right after launch (%s); AWS would answer %s.", [
			role.address,
			row.t.describe,
			deployment.describe_version(a.version),
			_variant(row.t.variant),
			karpenter.refused(role, v),
		])],
		_details(v),
	)),
	karpenter.removed_note(role),
])

_variant("T_v0") := "tagging of instances launched by Karpenter before v1.0"

_variant("T_v1") := "tagging of instances launched by Karpenter v1"

_variant("T_pre") := "tagging of instances launched before v1.0, after an upgrade to v1"
_details(v) := [layers.explain(v)] if layers.explain(v) != ""

_details(v) := [sprintf("Denied by %s.", [concat(", ", [karpenter.statement_label(s) | some s in karpenter.denying(v.result)])])] if {
	layers.explain(v) == ""
	v.decision == "denied"
}

_details(v) := array.concat(
	[sprintf("The closest statement, %s, does not apply: %s.", [karpenter.statement_label(closest), concat("; ", closest.reasons)])],
	_others(v, closest),
) if {
	layers.explain(v) == ""
	v.decision != "denied"
	closest := karpenter.closest(v.result)
}

_details(v) := ["No statement grants ec2:CreateTags on instances."] if {
	layers.explain(v) == ""
	v.decision != "denied"
	not karpenter.closest(v.result)
}

_others(v, closest) := [sprintf("Other statements that grant ec2:CreateTags on instances: %s.", [concat("; ", [line |
	some s in others
	line := sprintf("%s: %s", [karpenter.statement_label(s), concat("; ", karpenter.key_reasons(s.reasons))])
])])] if {
	others := [s | some s in karpenter.candidates(v.result); s != closest]
	count(others) > 0
} else := []
