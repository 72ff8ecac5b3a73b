package karpgate.rules.default_quota

import data.karpgate.lib.karpenter
import data.karpgate.lib.quota

# METADATA
# scope: document
# title: A default IAM quota the account may have raised is exceeded
# description: >-
#   The Karpenter controller role goes over a default IAM quota that an account can raise through
#   Service Quotas: more than 10 managed policies attached to a role (easy to reach with the split
#   upstream policies, a boundary and organization policies), or a trust policy over 2,048
#   characters without white space. Unless the account's quota was raised, the apply stops with
#   LimitExceeded.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# custom:
#   id: KARP023
#   severity: warning
#   tags: [iam, quota]
#   remediation: >-
#     Merge managed policies (or move statements into fewer policies) to stay within 10, shorten the
#     trust policy, or confirm that the account's quota was raised and record an exception.
deny contains finding if {
	some role in karpenter.roles
	n := count(quota.managed(role))
	n > 10
	n <= 20

	finding := {
		"address": role.address,
		"role": role.address,
		"message": sprintf(
			"%s has %d managed policies attached, over the default quota of 10 per role (the apply is refused unless the account's quota was raised)",
			[role.address, n],
		),
	}
}

deny contains finding if {
	some role in karpenter.roles
	size := object.get(role, ["trust", "size"], null)
	is_number(size)
	size > 2048
	size <= 4096

	finding := {
		"address": role.address,
		"role": role.address,
		"message": sprintf(
			"the trust policy of %s is %d characters without white space, over the default quota of 2,048 (the apply is refused unless the account's quota was raised)",
			[role.address, size],
		),
	}
}
