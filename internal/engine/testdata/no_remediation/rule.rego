package karpgate.rules.acme_incomplete

# METADATA
# title: A rule without remediation
# description: karpgate refuses to start with it.
# custom:
#   id: ACME101
#   severity: error
deny contains finding if {
	some role in input.iam.roles
	finding := {"address": role.address, "message": "x"}
}
