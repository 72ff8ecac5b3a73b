package karpgate.rules.tagging_region

import data.karpgate.lib.fix
import data.karpgate.lib.karpenter
import data.karpgate.lib.requests

# METADATA
# title: Instance tagging is not region-scoped
# description: |
#   The role may tag existing instances in its cluster's region (T(R) is allowed) and also in a
#   region named nowhere in its policies or config (T(R2) is allowed too): the tagging grant has
#   neither a concrete region segment in its ARN nor an aws:RequestedRegion condition (nor a Deny
#   outside the region). Upstream Karpenter scopes tagging through the ARN's region segment.
# related_resources:
#   - https://github.com/aws/karpenter-provider-aws/blob/v1.0.0/website/content/en/v1.0/getting-started/getting-started-with-karpenter/cloudformation.yaml
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html
# custom:
#   id: KARP002
#   severity: error
#   remediation: |
#     Put the cluster's region in the instance ARN of the tagging statement, as upstream does
#     (the finding's fix carries the statement for the role):
#
#     statement {
#       sid       = "AllowScopedResourceTagging"
#       actions   = ["ec2:CreateTags"]
#       resources = ["arn:<partition>:ec2:<region>:*:instance/*"]
#       # ... the upstream conditions (see KARP001)
#     }
#
#     "Resource": "arn:aws:ec2:<region>:*:instance/*"
#
#     Alternatively add "Condition": {"StringEquals": {"aws:RequestedRegion": "<region>"}} to it.
deny contains finding if {
	some role in karpenter.roles
	v := verdicts[role.address]
	v.here.decision == "allowed"
	v.there.decision == "allowed"
	some s in karpenter.granting(v.there.result)

	finding := karpenter.finding(object.union(
		{
			"rule": rego.metadata.rule().custom.id,
			"address": s.policy,
			"role": role.address,
			"statement": karpenter.statement_ref(s),
			"message": sprintf(
				concat("", [
					"%s lets %s tag instances in every region: ec2:CreateTags on %s (region %s, named nowhere in its policies) is allowed, not only in %s. Scope it ",
					"to %s through the ARN's region segment (arn:%s:ec2:%s:*:instance/*), as upstream does, or with an aws:RequestedRegion condition.",
				]),
				[
					karpenter.statement_label(s), role.address, v.there.request.resource,
					v.there.check.requests[0].context["aws:requestedregion"][0],
					_region(v), _region(v), _partition(v), _region(v),
				],
			),
		},
		fix.over_reach(role, s, karpenter.fix_statement(role, "tagging", {})),
	))
}

# verdicts holds T(R) and T(R2) of every Karpenter role, by role address.
verdicts[role.address] := {
	"here": karpenter.evaluate(role, requests.tagging(ctx)),
	"there": karpenter.evaluate(role, requests.tagging_other_region(ctx)),
} if {
	some role in karpenter.roles
	ctx := karpenter.role_context(role)
}

# open: the rule could fire but the plan cannot tell (reported by KARP020).
open contains {
	"rule": "KARP002",
	"role": address,
	"check": "ec2:CreateTags on an existing instance in a region the role has no business in",
	"causes": v.there.causes,
} if {
	some address, v in verdicts
	_maybe(v.here)
	_maybe(v.there)
	not _fires(v)
}

_maybe(e) if e.decision == "allowed"

_maybe(e) if e.open

_fires(v) if {
	v.here.decision == "allowed"
	v.there.decision == "allowed"
}

_region(v) := v.here.request.context["aws:requestedregion"][0]

_partition(v) := split(v.here.request.resource, ":")[1]
