package karpgate.rules.acme_loop

# METADATA
# title: A rule that never finishes
# description: Ten billion iterations; the evaluation time limit stops it.
# custom:
#   id: ACME102
#   severity: error
#   remediation: Do not write rules like this.
deny contains finding if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i * j == -1
	finding := {"message": "unreachable"}
}
