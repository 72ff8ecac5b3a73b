package karpgate.lib.keys_test

import data.karpgate.lib.iam
import data.karpgate.lib.keys

test_constant_keys_for_ec2 if {
	k := keys.constant("ec2:CreateTags", {"R": "eu-west-1", "A": "111122223333", "ARN": "arn:aws:iam::111122223333:role/k"})
	k["ec2:region"] == ["eu-west-1"]
	k["aws:principalarn"] == ["arn:aws:iam::111122223333:role/k"]
	k["aws:principalaccount"] == ["111122223333"]
	k["aws:securetransport"] == ["true"]
}

test_unknown_parameters_leave_keys_open if {
	k := keys.constant("iam:PassRole", {"R": "eu-west-1", "A": ""})
	not k["ec2:region"]
	not k["aws:principalaccount"]
	not k["aws:principalarn"]
}

# A correct policy that denies plain HTTP and calls through other services decides with the
# constant keys instead of being open.
test_secure_transport_deny_is_decided if {
	statements := iam.effective_statements([{"address": "p", "status": "known", "document": {"version": "2012-10-17", "statements": [
		{"index": 0, "sid": "", "effect": "Allow", "actions": ["ec2:createtags"], "not_actions": [], "resources": ["*"], "not_resources": [], "conditions": []},
		{"index": 1, "sid": "", "effect": "Deny", "actions": ["*"], "not_actions": [], "resources": ["*"], "not_resources": [], "conditions": [
			{"operator": "Bool", "base": "bool", "set": "", "if_exists": false, "key": "aws:securetransport", "values": ["false"]},
			{"operator": "Bool", "base": "bool", "set": "", "if_exists": false, "key": "aws:viaawsservice", "values": ["false"]},
		]},
	]}}])
	request := {"action": "ec2:CreateTags", "resource": "*", "context": keys.constant("ec2:CreateTags", {"R": "eu-west-1", "A": "1"}), "present": keys.present}
	iam.decide(statements, request).decision == "allowed"
	iam.decide(statements, {"action": "ec2:CreateTags", "resource": "*", "context": {}}).decision == "indeterminate"
}
