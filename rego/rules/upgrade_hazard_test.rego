package karpgate.rules.upgrade_hazard_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.upgrade_hazard as rule

test_deny_v033_policy_on_v0_37_names_v1_0 if {
	inp := fx.input_deployed([fx.known(fx.policy_address, fx.v033)], fx.deployed("0.37", ""))
	findings := rule.deny with input as inp
	count(findings) == 1
	some f in findings
	f.rule == "KARP006"
	contains(f.message, "works with Karpenter 0.37.0 (chart version of helm_release.karpenter), but upgrading to v1.0 breaks tagging")
	contains(f.message, "ec2:CreateTags on resource: arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")
}

test_allow_upstream_v1_has_no_hazard if {
	count(rule.deny) == 0 with input as fx.upstream_v1_input
}

test_allow_unknown_version_has_no_hazard if {
	count(rule.deny) == 0 with input as fx.input_for([fx.known(fx.policy_address, fx.v033)])
}

test_allow_no_hazard_when_the_version_already_breaks if {
	# KARP001 fires for the upgrade itself: no KARP006 on top.
	inp := fx.input_deployed([fx.known(fx.policy_address, fx.v033)], fx.deployed("1.0", "0.37"))
	count(rule.deny) == 0 with input as inp
	count(data.karpgate.rules.instance_tagging.deny) > 0 with input as inp
}
