package karpgate.rules.config_requests_test

import data.karpgate.rules.config_requests as rule

_statement(actions, resources) := {
	"index": 0, "sid": "Tag", "effect": "Allow", "actions": actions, "not_actions": [],
	"resources": resources, "not_resources": [], "principals": {}, "not_principals": {}, "conditions": [],
}

_input(statements) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"karpenter": {"detected": true, "by": ["name"]},
	"policies": [{"address": "aws_iam_policy.karpenter", "attribute": "policy", "kind": "managed", "status": "known", "unknown": [], "document": {"version": "2012-10-17", "statements": statements}}],
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
		"policies": [{"address": "aws_iam_policy.k", "attribute": "policy", "kind": "managed", "status": "unknown", "unknown": ["aws_iam_policy.k.policy"], "document": null}],
		"context": {"region": "us-west-2"},
	}]}}
	count(rule.deny) == 0 with input as inp with data.karpgate.config as _config([_tag], [])
}
