package acme.failing_test

import data.karpgate.lib.iam

test_passes if {
	iam.allows([{"effect": "Allow", "actions": ["ec2:*"], "resources": ["*"]}], {"action": "ec2:RunInstances", "resource": "*"})
}

test_fails if {
	iam.allows([{"effect": "Deny", "actions": ["ec2:*"], "resources": ["*"]}], {"action": "ec2:RunInstances", "resource": "*"})
}
