package karpgate.rules.config_requests_test

import data.karpgate.rules.config_requests as rule

_statement(actions, resources) := {
	"index": 0, "sid": "Tag", "effect": "Allow", "actions": actions, "not_actions": [],
	"resources": resources, "not_resources": [], "principals": {}, "not_principals": {}, "conditions": [],
}

_input(statements) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"karpenter": {"detected": true, "by": ["name"]},
	"policies": [{
		"address": "aws_iam_policy.karpenter",
		"attribute": "policy",
		"kind": "managed",
		"status": "known",
		"unknown": [],
		"document": {"version": "2012-10-17", "statements": statements},
	}],
	"context": {"region": "us-west-2", "account": "111122223333", "partition": "aws", "cluster": "prod"},
}]}}

_tag := {
	"action": "ec2:CreateTags",
	"resource": "arn:aws:ec2:us-west-2:111122223333:instance/i-0123456789abcdef0",
	"context": {"aws:RequestedRegion": ["us-west-2"]},
}

_config(allow, deny) := {"requests": {"must_allow": allow, "must_deny": deny}}

test_deny_must_allow_refused if {
	findings := rule.deny with input as _input([_statement(["ec2:describeinstances"], ["*"])])
		with data.karpgate.config as _config([_tag], [])
	count(findings) == 1
	some f in findings
	contains(f.message, "ec2:CreateTags")
	f.address == "aws_iam_policy.karpenter"
}

test_allow_must_allow_allowed if {
	count(rule.deny) == 0 with input as _input([_statement(["ec2:createtags"], ["arn:aws:ec2:us-west-2:*:instance/*"])])
		with data.karpgate.config as _config([_tag], [])
}

test_deny_must_deny_allowed if {
	findings := rule.deny with input as _input([_statement(["ec2:*"], ["*"])])
		with data.karpgate.config as _config([], [_tag])
	count(findings) == 1
	some f in findings
	contains(f.message, "\"Tag\"")
}

test_allow_must_deny_refused if {
	count(rule.deny) == 0 with input as _input([_statement(["ec2:describeinstances"], ["*"])])
		with data.karpgate.config as _config([], [_tag])
}

test_allow_no_config if {
	count(rule.deny) == 0 with input as _input([_statement(["ec2:describeinstances"], ["*"])])
}

test_allow_open_verdict_is_left_to_karp020 if {
	inp := {"iam": {"roles": [{
		"address": "aws_iam_role.karpenter",
		"karpenter": {"detected": true},
		"policies": [{
			"address": "aws_iam_policy.k",
			"attribute": "policy",
			"kind": "managed",
			"status": "unknown",
			"unknown": ["aws_iam_policy.k.policy"],
			"document": null,
		}],
		"context": {"region": "us-west-2"},
	}]}}
	count(rule.deny) == 0 with input as inp with data.karpgate.config as _config([_tag], [])
}

# An open verdict is no KARP005 finding but reaches KARP020 through open.
test_open_verdict_is_reported_as_open if {
	inp := {"iam": {"roles": [{
		"address": "aws_iam_role.karpenter",
		"karpenter": {"detected": true},
		"policies": [{
			"address": "aws_iam_policy.k",
			"attribute": "policy",
			"kind": "managed",
			"status": "unknown",
			"unknown": ["aws_iam_policy.k.policy"],
			"document": null,
		}],
		"context": {"region": "us-west-2"},
	}]}}
	opens := rule.open with input as inp with data.karpgate.config as _config([_tag], [])
	some o in opens
	o.rule == "KARP005"
	o.role == "aws_iam_role.karpenter"
	contains(o.check, "must_allow ec2:CreateTags")
	some c in o.causes
	c.address == "aws_iam_policy.k"
}

_cond(op, key, values) := {"operator": op, "base": lower(op), "set": "", "if_exists": false, "key": lower(key), "values": values}

# Keys a config request does not list are absent: a condition on aws:SourceArn is false...
test_unlisted_key_is_absent if {
	s := object.union(_statement(["ec2:createtags"], ["*"]), {"conditions": [_cond("StringEquals", "aws:ResourceTag/team", ["blue"])]})
	findings := rule.deny with input as _input([s]) with data.karpgate.config as _config([_tag], [])
	count(findings) == 1
}

# ...except the keys every request has: aws:SecureTransport is true.
test_constant_keys_apply_to_config_requests if {
	s := object.union(_statement(["ec2:createtags"], ["*"]), {"conditions": [_cond("Bool", "aws:SecureTransport", ["true"])]})
	count(rule.deny) == 0 with input as _input([s]) with data.karpgate.config as _config([_tag], [])
}

# aws:SourceIp is one of the 4.5 keys that stays open unless set.
test_source_ip_stays_open if {
	s := object.union(_statement(["ec2:createtags"], ["*"]), {"conditions": [_cond("IpAddress", "aws:SourceIp", ["10.0.0.0/8"])]})
	count(rule.deny) == 0 with input as _input([s]) with data.karpgate.config as _config([_tag], [])
	count(rule.open) == 1 with input as _input([s]) with data.karpgate.config as _config([_tag], [])
}

# RULES.md 4.7: with the region unknown, a config request is tried in every candidate region
# (ec2:Region is the region's); a verdict that differs between them is open, naming the region,
# never allowed because the first candidate is.
_region_unknown(statements) := {"iam": {"roles": [object.union(_input(statements).iam.roles[0], {"context": {
	"region": "", "regions": ["us-west-2", "eu-west-1"],
	"account": "111122223333", "partition": "aws", "cluster": "prod",
}})]}}

_tag_in_us_west_2 := object.union(_statement(["ec2:createtags"], ["*"]), {"conditions": [{
	"operator": "StringEquals", "base": "stringequals", "set": "", "if_exists": false,
	"key": "ec2:region", "values": ["us-west-2"],
}]})

test_open_when_region_candidates_disagree if {
	inp := _region_unknown([_tag_in_us_west_2])
	count(rule.deny) == 0 with input as inp with data.karpgate.config as _config([_tag], [])
	opens := rule.open with input as inp with data.karpgate.config as _config([_tag], [])
	some o in opens
	o.rule == "KARP005"
	some c in o.causes
	c.attribute == "context.region"
}

test_decided_when_region_candidates_agree if {
	inp := _region_unknown([_statement(["ec2:createtags"], ["*"])])
	count(rule.deny) == 0 with input as inp with data.karpgate.config as _config([_tag], [])
	count(rule.open) == 0 with input as inp with data.karpgate.config as _config([_tag], [])

	# refused in every candidate: decided, KARP005.
	deny := _region_unknown([_statement(["ec2:describeinstances"], ["*"])])
	count(rule.deny) == 1 with input as deny with data.karpgate.config as _config([_tag], [])
}
