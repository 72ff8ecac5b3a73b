package karpgate.rules.karpenter_calls

import data.karpgate.lib.karpenter
import data.karpgate.lib.layers
import data.karpgate.lib.requests

# METADATA
# title: Karpenter v1 calls the role cannot make
# description: |
#   karpgate simulates the calls the Karpenter v1 controller makes (launching through CreateFleet
#   and RunInstances, tagging at creation, terminating, Describe calls, the SSM AMI parameter,
#   pricing, eks:DescribeCluster, passing the node role, instance profiles, the interruption queue)
#   against the role's effective policy. Each call AWS would refuse is listed with the error
#   Karpenter would log. Tagging existing instances is KARP001. The call set lives in
#   data.karpgate.karpenter.calls and can be extended through data.karpgate.user.requests.calls.
# related_resources:
#   - https://github.com/aws/karpenter-provider-aws/blob/v1.0.0/website/content/en/v1.0/getting-started/getting-started-with-karpenter/cloudformation.yaml
#   - https://karpenter.sh/v1.0/reference/cloudformation/
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
# custom:
#   id: KARP004
#   severity: warning
#   remediation: |
#     Use the upstream Karpenter v1 controller policy (terraform-aws-eks v21 modules/karpenter,
#     or v20.24+ with enable_v1_permissions = true), or add the statement of that policy that covers
#     each refused call. For example, for instance-profile management:
#
#     statement {
#       sid       = "AllowInstanceProfileReadActions"
#       actions   = ["iam:GetInstanceProfile"]
#       resources = ["arn:${local.partition}:iam::${local.account_id}:instance-profile/*"]
#     }
#
#     {
#       "Sid": "AllowInstanceProfileReadActions",
#       "Effect": "Allow",
#       "Action": "iam:GetInstanceProfile",
#       "Resource": "arn:aws:iam::<account>:instance-profile/*"
#     }
deny contains finding if {
	some role in karpenter.roles
	vs := verdicts[role.address]
	failing := [v | some v in vs; v.decision != "allowed"; not v.open]
	count(failing) > 0

	finding := {
		"rule": rego.metadata.rule().custom.id,
		"address": karpenter.main_policy(role),
		"role": role.address,
		"message": sprintf("%s cannot make %d of the %d calls Karpenter v1 makes; Karpenter would log:\n%s%s", [
			role.address, count(failing), count(vs),
			concat("\n", [_line(role, v) | some v in failing]),
			karpenter.removed_note(role),
		]),
	}
}

# verdicts holds, by role address, the evaluation of every call of K (without T(R)).
verdicts[role.address] := karpenter.evaluate_all(role, array.concat(requests.calls(karpenter.role_context(role)), layers.calls(role))) if {
	some role in karpenter.roles
}

open contains {
	"rule": "KARP004",
	"role": address,
	"check": _summary(opened, count(vs)),
	"causes": _union_causes(opened),
} if {
	some address, vs in verdicts
	opened := [v | some v in vs; v.open]
	count(opened) > 0
}

_summary(opened, total) := sprintf("%d of the %d Karpenter v1 calls, such as %s", [
	count(opened), total,
	concat(", ", [sprintf("%s on %s", [v.request.action, v.request.resource]) | some v in array.slice(opened, 0, 3)]),
])

_union_causes(vs) := [c | some c in {c | some v in vs; some c in v.causes}]

_line(role, v) := sprintf("- %s%s", [karpenter.refused(role, v), _why(v)])

_why(v) := sprintf(" (%s)", [layers.explain(v)]) if {
	layers.explain(v) != ""
} else := sprintf(" (denied by %s)", [concat(", ", [karpenter.statement_label(s) | some s in karpenter.denying(v.result)])]) if {
	v.decision == "denied"
} else := sprintf(" (closest: %s: %s)", [karpenter.statement_label(s), concat("; ", karpenter.key_reasons(s.reasons))]) if {
	s := karpenter.closest(v.result)
} else := " (no statement grants it)"
