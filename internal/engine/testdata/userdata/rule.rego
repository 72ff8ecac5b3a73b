package karpgate.rules.acme_greeting

# METADATA
# title: Reads user data
# description: Reports data.karpgate.user.greeting for every role.
# custom:
#   id: ACME103
#   severity: note
#   remediation: Nothing to fix.
deny contains finding if {
	some role in input.iam.roles
	finding := {"address": role.address, "message": data.karpgate.user.greeting}
}
