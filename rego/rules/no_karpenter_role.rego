package karpgate.rules.no_karpenter_role

import data.karpgate.lib.karpenter

# METADATA
# scope: document
# title: No Karpenter controller role found
# description: >-
#   The plan has IAM roles, but karpgate recognized none of them as the Karpenter controller role, so
#   no Karpenter rule was checked. A role is recognized by the user's config (karpenter.roles), by an
#   EKS pod identity association for a karpenter service account, by an IRSA trust policy for a
#   karpenter service account, by the terraform-aws-eks karpenter module's role addresses, or by a
#   name containing "karpenter". A plan with no IAM role at all (another workspace or directory)
#   gets this note too: it holds nothing karpgate checks, and must not look like a pass.
# related_resources:
#   - ref: https://github.com/karpgate/karpgate/blob/main/docs/writing-rules.md
# custom:
#   id: KARP021
#   severity: note
#   tags: [karpenter, coverage]
#   remediation: >-
#     If this plan manages the Karpenter controller role, name it in .karpgate.yaml:
#     `karpenter: {roles: ["module.karpenter.aws_iam_role.controller[0]"]}` (address globs) or
#     `karpenter: {roles: ["name:KarpenterController-*"]}` (name globs).
deny contains finding if {
	count(input.iam.roles) > 0
	not _any_karpenter

	finding := {
		"address": "",
		"message": sprintf(
			"the plan has %d IAM role(s) (%s) but none is a Karpenter controller role; no Karpenter rule was checked",
			[count(input.iam.roles), concat(", ", _first_roles)],
		),
	}
}

deny contains finding if {
	count(input.iam.roles) == 0

	finding := {
		"address": "",
		"message": concat("", [
			"the plan has no IAM role, so karpgate checked nothing: no Karpenter controller role, no policy reaching one (is this the workspace or directory ",
			"that manages Karpenter?)",
		]),
	}
}

_any_karpenter if {
	some role in karpenter.roles
}

_first_roles := [role.address |
	some i, role in input.iam.roles
	i < 5
]
