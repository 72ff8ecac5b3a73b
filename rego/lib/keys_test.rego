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

# RULES.md 4.5: the network keys are open unless karpenter.network sets them; set, a network
# perimeter on them is decided.
test_network_keys_come_from_config if {
	k := keys.constant("sqs:ReceiveMessage", {"R": "eu-west-1", "A": "1", "NET": {"source_ip": "203.0.113.7", "source_vpc": "vpc-0abc1234"}})
	k["aws:sourceip"] == ["203.0.113.7"]
	k["aws:sourcevpc"] == ["vpc-0abc1234"]
	not k["aws:sourcevpce"]
	not k["aws:vpcsourceip"]
	open := keys.constant("sqs:ReceiveMessage", {"R": "eu-west-1", "A": "1", "NET": null})
	not open["aws:sourceip"]
	not open["aws:sourcevpc"]
}

test_network_perimeter_is_decided_with_config_network if {
	statements := iam.effective_statements([{"address": "p", "status": "known", "document": {"version": "2012-10-17", "statements": [
		{"index": 0, "sid": "", "effect": "Allow", "actions": ["sqs:*"], "not_actions": [], "resources": ["*"], "not_resources": [], "conditions": []},
		{"index": 1, "sid": "Perimeter", "effect": "Deny", "actions": ["sqs:*"], "not_actions": [], "resources": ["*"], "not_resources": [], "conditions": [
			{"operator": "StringNotEquals", "base": "stringnotequals", "set": "", "if_exists": false, "key": "aws:sourcevpc", "values": ["vpc-0abc1234"]},
		]},
	]}}])
	iam.decide(statements, _sqs_request({"source_vpc": "vpc-0abc1234"})).decision == "allowed"
	iam.decide(statements, _sqs_request({"source_vpc": "vpc-0fff9999"})).decision == "denied"
	iam.decide(statements, _sqs_request(null)).decision == "indeterminate"
}

_sqs_request(network) := {
	"action": "sqs:ReceiveMessage", "resource": "*", "present": keys.present,
	"context": keys.constant("sqs:ReceiveMessage", {"R": "eu-west-1", "A": "1", "NET": network}),
}
