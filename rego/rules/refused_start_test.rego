package karpgate.rules.refused_start_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.refused_start as rule

_deployed(doc, v, from) := fx.input_deployed([fx.known(fx.policy_address, doc)], fx.deployed(v, from))

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_v1_input
	count(rule.open) == 0 with input as fx.upstream_v1_input
}

test_deny_launch_and_termination_name_each_call_and_version if {
	doc := fx.without_sid(fx.without_sid(fx.upstream_v1, "AllowScopedDeletion"), "AllowInstanceProfileReadActions")
	findings := rule.deny with input as _deployed(doc, "1.0", "")
	count(findings) == 1
	some f in findings
	f.rule == "KARP003"
	f.address == fx.policy_address
	contains(f.message, "Karpenter 1.0.0 (chart version of helm_release.karpenter)")
	contains(f.message, "no node launches, nodes are not terminated")
	contains(f.message, "ec2:TerminateInstances on resource: arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")
	contains(f.message, "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/KarpenterController-ex/<session> is not authorized to perform: iam:GetInstanceProfile")
	not contains(f.message, "ec2:DeleteLaunchTemplate")
}

test_deny_fleet_tagging_at_launch_is_an_error if {
	# CreateFleet cannot tag the fleet: no node launches (an error, not a KARP004 warning).
	no_creation_tags := fx.without_sid(fx.upstream_v1, "AllowScopedResourceCreationTagging")
	findings := rule.deny with input as _deployed(no_creation_tags, "1.0", "")
	some f in findings
	contains(f.message, "ec2:CreateTags on resource: arn:aws:ec2:eu-west-1:123456789012:fleet/*")
}

test_deny_start_interruption_queue_v1_0 if {
	# settings.interruptionQueue with no SQS grant: v1.0 exits at start on GetQueueUrl.
	doc := fx.without_sid(fx.upstream_v1, "AllowInterruptionQueueActions")
	findings := rule.deny with input as _deployed(doc, "1.0", "")
	some f in findings
	contains(f.message, "the controller exits")
	contains(f.message, "sqs:GetQueueUrl on resource: arn:aws:sqs:eu-west-1:123456789012:Karpenter-ex")
}

test_allow_interruption_queue_degraded_from_v1_4 if {
	doc := fx.without_sid(fx.upstream_v1, "AllowInterruptionQueueActions")
	count(rule.deny) == 0 with input as _deployed(doc, "1.4", "")
	some f in data.karpgate.rules.karpenter_calls.deny with input as _deployed(doc, "1.4", "")
	contains(f.message, "interruption handling is lost")
}

test_deny_zonal_shift_when_enabled if {
	dep := object.union(fx.deployed("1.12", ""), {"features": object.union(fx.deployed("1.12", "").features, {"zonal_shift": {"state": "on", "source": "helm_release.karpenter settings.enableZonalShift"}})})
	inp := fx.input_deployed([fx.known(fx.policy_address, fx.upstream_v1)], dep)
	some f in rule.deny with input as inp
	contains(f.message, "arc-zonal-shift:GetManagedResource on resource: *")
	count(rule.deny) == 0 with input as _deployed(fx.upstream_v1, "1.12", "")
}

test_unknown_feature_is_a_warning_not_an_error if {
	# No EC2NodeClass known: instance-profile calls depend on spec.role, KARP004 with the condition.
	dep := object.union(fx.deployed("1.0", ""), {"features": object.union(fx.deployed("1.0", "").features, {"nodeclass_role": {"state": "unknown", "source": "no EC2NodeClass manifest in the plan"}})})
	doc := fx.without_sid(fx.upstream_v1, "AllowInstanceProfileReadActions")
	inp := fx.input_deployed([fx.known(fx.policy_address, doc)], dep)
	count(rule.deny) == 0 with input as inp
	some f in data.karpgate.rules.karpenter_calls.deny with input as inp
	contains(f.message, "only if an EC2NodeClass uses spec.role")
}
