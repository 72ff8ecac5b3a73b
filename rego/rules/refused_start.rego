package karpgate.rules.refused_start

import data.karpgate.lib.deployment
import data.karpgate.lib.karpenter

# METADATA
# title: Karpenter cannot start, launch nodes or terminate them
# description: |
#   karpgate simulates the requests the deployed Karpenter version makes with its features
#   (RULES.md 5.3) against the role's effective policy. A refused request whose impact is start
#   (the controller exits or panics), launch (no node, or no node of an EC2NodeClass, launches) or
#   termination, made by that version with features the plan shows on, is an error. The message
#   names each call as Karpenter logs it, what fails and the deciding statement, and the version
#   judged with its source. A refusal that depends on an unknown feature is KARP004.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
# custom:
#   id: KARP003
#   severity: error
#   remediation: |
#     Use the upstream controller policy of the deployed Karpenter version (terraform-aws-eks v21
#     modules/karpenter, or v20.24+ with enable_v1_permissions = true), or add the statement of
#     that policy that covers each failing call; for a Helm-driven request, the Helm value that
#     turns the feature off (settings.enableZonalShift: false, no settings.interruptionQueue).
deny contains finding if {
	some role in karpenter.roles
	a := deployment.assessed[role.address]
	failing := [r | some r in deployment.failing(a, a.current); deployment.rule_of(r) == "KARP003"]
	count(failing) > 0

	finding := {
		"rule": rego.metadata.rule().custom.id,
		"address": karpenter.main_policy(role),
		"role": role.address,
		"message": sprintf("%s cannot make %d requests %s makes (%s); Karpenter would log:\n%s", [
			role.address, count(failing), deployment.describe_version(a.version),
			concat(", ", sort({deployment.impact_words(r.impact) | some r in failing})),
			concat("\n", [deployment.call_line(role, r) | some r in failing]),
		]),
	}
}

# open lists the roles whose start, launch and termination verdicts are open (KARP020).
open contains o if {
	some o in deployment.open
	o.rule == "KARP003"
}
