package karpgate.rules.karpenter_calls

import data.karpgate.lib.deployment
import data.karpgate.lib.fix
import data.karpgate.lib.karpenter

# METADATA
# title: Karpenter calls the role cannot make that degrade it, or that depend on an unknown feature
# description: |
#   karpgate simulates the requests the deployed Karpenter version makes with its features
#   (docs/semantics.md, section 5) against the role's effective policy. This rule lists each refused request whose
#   loss degrades Karpenter (instance profile clean-up, pricing, interruption handling, instance
#   status checks), and each refused request that depends on a feature the plan does not show
#   (evaluated in its common form), with the condition under which it is made. Refused start,
#   launch and termination requests are KARP003, tagging existing instances KARP001. The request
#   set lives in data.karpgate.karpenter.requests and can be extended through
#   data.karpgate.user.requests.calls.
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
#       resources = ["arn:<partition>:iam::<account>:instance-profile/*"]
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
	a := deployment.assessed[role.address]
	failing := [r | some r in deployment.failing(a, a.current); deployment.rule_of(r) == "KARP004"]
	count(failing) > 0

	finding := karpenter.finding(object.union(
		{
			"rule": rego.metadata.rule().custom.id,
			"address": karpenter.main_policy(role),
			"role": role.address,
			"message": sprintf("%s cannot make %d of the %d requests %s makes whose refusal degrades it or depends on an unknown feature; Karpenter would log:\n%s%s", [
				role.address, count(failing), count(a.current), deployment.describe_version(a.version),
				concat("\n", [deployment.call_line(role, r) | some r in failing]),
				karpenter.removed_note(role),
			]),
		},
		fix.calls_or_list(role, a.version, failing),
	))
}

open contains o if {
	some o in deployment.open
	o.rule == "KARP004"
}
