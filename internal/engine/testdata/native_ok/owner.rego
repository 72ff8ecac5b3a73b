package karpgate.rules.acme_owner

# METADATA
# title: Karpenter role without an owner
# description: A Karpenter role must name its owner in data.karpgate.user.owners.
# related_resources:
#   - ref: https://example.com/acme/iam-standards
# custom:
#   id: ACME100
#   severity: warning
#   remediation: Add the role's address to data.karpgate.user.owners.
#   tags: [acme]
deny contains finding if {
	some role in input.iam.roles
	role.karpenter.detected
	not data.karpgate.user.owners[role.address]
	finding := {"address": role.address, "role": role.address, "message": sprintf("%s has no owner", [role.address])}
}
