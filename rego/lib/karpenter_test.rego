package karpgate.lib.karpenter_test

import data.karpgate.lib.karpenter

_role(address, detected) := {"address": address, "karpenter": {"detected": detected, "by": []}, "policies": []}

test_roles_are_the_detected_roles_by_address if {
	roles := karpenter.roles with input as {"iam": {"roles": [
		_role("aws_iam_role.app", false),
		_role("module.karpenter.aws_iam_role.controller[0]", true),
		_role("aws_iam_role.node", false),
		{"address": "aws_iam_role.no_detection"},
	]}}
	roles == {"module.karpenter.aws_iam_role.controller[0]": _role("module.karpenter.aws_iam_role.controller[0]", true)}
}

test_roles_empty_without_karpenter_roles if {
	count(karpenter.roles) == 0 with input as {"iam": {"roles": [_role("aws_iam_role.app", false)]}}
}
