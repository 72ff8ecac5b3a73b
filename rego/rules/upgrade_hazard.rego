package karpgate.rules.upgrade_hazard

import data.karpgate.lib.deployment
import data.karpgate.lib.karpenter

# METADATA
# title: Upgrading Karpenter will break it
# description: |
#   The deployed Karpenter version is known and works with the role's policy (no KARP001 or
#   KARP003), but a newer minor version in karpgate's data refuses a request that is not merely
#   degraded: upgrading breaks tagging, start-up, launches or termination. Crossing v1.0 judges the
#   tagging of instances launched before the upgrade. The message names the first breaking version
#   and its calls.
# related_resources:
#   - https://karpenter.sh/v1.0/upgrading/v1-migration/
# custom:
#   id: KARP006
#   severity: warning
#   remediation: |
#     Before upgrading, add the statements the newer version needs (the upstream controller policy
#     of that version), e.g. with terraform-aws-eks v20.24+ set enable_v1_permissions = true
#     before moving to Karpenter v1.
deny contains finding if {
	some role in karpenter.roles
	a := deployment.assessed[role.address]
	a.version.state == "known"
	count(deployment.breaking(role, a, a.version.minor)) == 0
	newer := [m |
		some m in deployment.versions
		deployment.num(m) > deployment.num(a.version.minor)
		count(deployment.breaking(role, a, m)) > 0
	]
	count(newer) > 0
	first := newer[0]
	rows := deployment.breaking(role, a, first)

	finding := {
		"rule": rego.metadata.rule().custom.id,
		"address": karpenter.main_policy(role),
		"role": role.address,
		"message": sprintf("%s works with %s, but upgrading to v%s breaks %s; Karpenter v%s would log:\n%s", [
			role.address, deployment.describe_version(a.version), first,
			concat(" and ", sort({r.impact | some r in rows})),
			first,
			concat("\n", [deployment.call_line(role, r) | some r in rows]),
		]),
	}
}
