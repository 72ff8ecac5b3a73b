package karpgate.rules.tag_bypass

import data.karpgate.lib.fix
import data.karpgate.lib.karpenter
import data.karpgate.lib.requests

# METADATA
# title: Any instance can be tagged with Karpenter's ownership tags
# description: |
#   The role may call ec2:CreateTags on an instance Karpenter does not own (tagged only
#   Name=prod-db) and give it kubernetes.io/cluster/<cluster> and karpenter.sh/nodepool. Every
#   statement scoped by those resource tags (TerminateInstances, DeleteLaunchTemplate, RunInstances on
#   launch templates) can then be bypassed by tagging first. The widely shared fix for the v1
#   tagging error (ec2:CreateTags on arn:aws:ec2:*:*:instance/* with only aws:RequestedRegion) does
#   this; upstream adds aws:ResourceTag conditions.
# related_resources:
#   - https://github.com/aws/karpenter-provider-aws/blob/v1.0.0/website/content/en/v1.0/getting-started/getting-started-with-karpenter/cloudformation.yaml
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
#   - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
# custom:
#   id: KARP014
#   severity: warning
#   remediation: |
#     Add the upstream ownership conditions to the tagging statement (or replace it with the
#     upstream AllowScopedResourceTagging statement, see KARP001):
#
#     condition {
#       test     = "StringEquals"
#       variable = "aws:ResourceTag/kubernetes.io/cluster/<cluster>"
#       values   = ["owned"]
#     }
#     condition {
#       test     = "StringLike"
#       variable = "aws:ResourceTag/karpenter.sh/nodepool"
#       values   = ["*"]
#     }
#
#     "Condition": {
#       "StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/<cluster>": "owned"},
#       "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
#     }
deny contains finding if {
	some role in karpenter.roles
	v := verdicts[role.address]
	v.decision == "allowed"
	some s in karpenter.granting(v.result)

	conditions := karpenter.fix_statement(role, "ownership_conditions", {})
	finding := karpenter.finding(object.union(
		{
			"rule": rego.metadata.rule().custom.id,
			"address": s.policy,
			"role": role.address,
			"statement": karpenter.statement_ref(s),
			"message": sprintf(
				concat("", [
					"%s lets %s tag any instance with Karpenter's ownership tags: ec2:CreateTags on %s, an instance tagged only Name=prod-db, adding %s is allowed, ",
					"so every statement scoped by those resource tags (TerminateInstances, DeleteLaunchTemplate, ...) can be bypassed by tagging first. Upstream ",
					"closes it with the conditions %s.",
				]),
				[
					karpenter.statement_label(s), role.address, v.request.resource,
					concat(", ", v.request.context["aws:tagkeys"]),
					concat(" and ", [sprintf("%s %s = %s", [op, key, conditions[op][key]]) |
						some op, keys in conditions
						some key, _ in keys
					]),
				],
			),
		},
		fix.scope(role, s, conditions),
	))
}

# verdicts holds the foreign-instance tagging request of every Karpenter role, by role address.
verdicts[role.address] := karpenter.evaluate(role, requests.over_reach(karpenter.role_context(role), "tag_foreign_instance")) if {
	some role in karpenter.roles
}

open contains {
	"rule": "KARP014",
	"role": address,
	"check": "ec2:CreateTags with Karpenter's ownership tags on an instance it does not own",
	"causes": v.causes,
} if {
	some address, v in verdicts
	v.open
}
