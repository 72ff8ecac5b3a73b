package karpgate.rules.invalid_policy_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.invalid_policy as rule

_role(policy, detected) := {
	"address": "module.karpenter.aws_iam_role.controller[0]",
	"karpenter": {"detected": detected},
	"trust": null,
	"policies": [policy],
}

_invalid := {
	"address": "module.karpenter.aws_iam_policy.controller[0]",
	"attribute": "policy",
	"status": "invalid",
	"problems": [{"path": "$.Statement[2].Effect", "message": "statement has no Effect"}],
}

test_deny_invalid_policy if {
	findings := rule.deny with input as {"iam": {"roles": [_role(_invalid, true)]}}
	count(findings) == 1
	some f in findings
	contains(f.message, "$.Statement[2].Effect")
	f.statement.index == 2
}

test_deny_invalid_trust if {
	role := object.union(_role({"address": "x", "attribute": "policy", "status": "known", "problems": []}, true), {"trust": {
		"address": "module.karpenter.aws_iam_role.controller[0]",
		"attribute": "assume_role_policy",
		"status": "invalid",
		"problems": [{"path": "$", "message": "not valid JSON"}],
	}})
	findings := rule.deny with input as {"iam": {"roles": [role]}}
	count(findings) == 1
	some f in findings
	f.statement.index == 0
	contains(f.message, "assume_role_policy")
}

test_allow_valid_policy if {
	count(rule.deny) == 0 with input as {"iam": {"roles": [_role(object.union(_invalid, {"status": "known", "problems": []}), true)]}}
}

test_allow_not_karpenter if {
	count(rule.deny) == 0 with input as {"iam": {"roles": [_role(_invalid, false)]}}
}

test_deny_supplied_document_names_its_file if {
	bad := object.union(fx.known(fx.policy_address, {"Version": "2012-10-17", "Statement": []}), {
		"address": fx.role_address, "attribute": "permissions_boundary", "kind": "boundary",
		"arn": "arn:aws:iam::123456789012:policy/OrgBoundary", "source": "config:iam/boundary.json",
		"status": "invalid", "problems": [{"path": "$.Statement[0].Effect", "message": "statement has no Effect"}],
	})
	in_put := {"iam": {
		"roles": [object.union(
			fx.role([fx.known(fx.policy_address, fx.upstream_v1)]),
			{"layers": {"boundary": bad, "session": null, "organization": null, "resources": []}},
		)],
		"karpenter_roles": 1,
		"node_roles": [],
	}}
	findings := rule.deny with input as in_put
	count(findings) == 1
	some f in findings
	f.message == concat("", [
		"iam/boundary.json (supplied for arn:aws:iam::123456789012:policy/OrgBoundary by the config) at $.Statement[0].Effect: statement has no Effect ",
		"(AWS would reject this policy)",
	])
}

_sized(address, kind, size) := {"address": address, "attribute": "policy", "kind": kind, "status": "known", "problems": [], "size": size}

_with(policies, trust) := {"iam": {"roles": [{
	"address": "aws_iam_role.karpenter",
	"karpenter": {"detected": true},
	"trust": trust,
	"policies": policies,
}]}}

test_deny_managed_policy_over_6144 if {
	findings := rule.deny with input as _with([_sized("aws_iam_policy.big", "managed", 6145)], null)
	count(findings) == 1
	some f in findings
	f.address == "aws_iam_policy.big"
	contains(f.message, "6145 characters")
	contains(f.message, "6144")
}

test_allow_managed_policy_at_6144 if {
	count(rule.deny) == 0 with input as _with([_sized("aws_iam_policy.big", "managed", 6144)], null)
}

test_deny_inline_policies_over_10240_together if {
	policies := [_sized("aws_iam_role_policy.a", "role_policy", 6000), _sized("aws_iam_role_policy.b", "role_policy", 4241)]
	findings := rule.deny with input as _with(policies, null)
	count(findings) == 1
	some f in findings
	contains(f.message, "10241 characters")
}

test_allow_inline_policies_at_10240 if {
	policies := [_sized("aws_iam_role_policy.a", "role_policy", 6000), _sized("aws_iam_role_policy.b", "inline", 4240)]
	count(rule.deny) == 0 with input as _with(policies, null)
}

test_deny_trust_over_4096 if {
	trust := object.union(_sized("aws_iam_role.karpenter", "trust", 4097), {"attribute": "assume_role_policy"})
	findings := rule.deny with input as _with([], trust)
	count(findings) == 1
}

test_deny_more_than_20_managed_policies if {
	policies := [_sized(sprintf("aws_iam_policy.p%d", [i]), "managed", 100) | some i in numbers.range(1, 21)]
	findings := rule.deny with input as _with(policies, null)
	count(findings) == 1
	some f in findings
	contains(f.message, "21 managed policies")
}

test_allow_20_managed_policies if {
	policies := [_sized(sprintf("aws_iam_policy.p%d", [i]), "managed", 100) | some i in numbers.range(1, 20)]
	count(rule.deny) == 0 with input as _with(policies, null)
}
