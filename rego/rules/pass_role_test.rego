package karpgate.rules.pass_role_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.rules.pass_role as rule

_one_policy(doc) := fx.input_for([fx.known(fx.policy_address, doc)])

test_allow_upstream_v1 if {
	count(rule.deny) == 0 with input as fx.upstream_input
}

test_allow_upstream_split if {
	count(rule.deny) == 0 with input as fx.input_for(fx.upstream_split)
}

test_deny_pass_role_on_star if {
	statement := {"Sid": "PassAnything", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
	findings := rule.deny with input as _one_policy(fx.with_statements(fx.without_sid(fx.upstream_v1, "AllowPassingInstanceRole"), [statement]))
	count(findings) == 1
	some f in findings
	f.rule == "KARP012"
	f.statement.sid == "PassAnything"
	contains(f.message, "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole")
	contains(f.message, fx.node_role_arn)
	contains(f.fix, fx.node_role_arn)
	contains(f.fix, `"iam:PassedToService"`)
}

test_deny_pass_role_on_star_even_to_ec2_only if {
	statement := {
		"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/*",
		"Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
	}
	count(rule.deny) == 1 with input as _one_policy({"Version": "2012-10-17", "Statement": [statement]})
}

test_allow_pass_role_to_another_service_only if {
	statement := {
		"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
		"Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
	}
	count(rule.deny) == 0 with input as _one_policy({"Version": "2012-10-17", "Statement": [statement]})
}

test_deny_iam_wildcard_action if {
	statement := {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
	count(rule.deny) == 1 with input as _one_policy({"Version": "2012-10-17", "Statement": [statement]})
}

test_allow_without_node_roles_fix_has_placeholder if {
	statement := {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
	ctx := object.union(fx.context, {"node_role_arns": []})
	findings := rule.deny with input as fx.input_with_context([fx.known(fx.policy_address, {"Version": "2012-10-17", "Statement": [statement]})], ctx)
	some f in findings
	contains(f.fix, "arn:aws:iam::123456789012:role/<node role name: the role the EC2NodeClass names>")
}

test_open_unknown_policy if {
	doc_in := fx.input_for([fx.unknown(fx.policy_address)])
	count(rule.deny) == 0 with input as doc_in
	count(rule.open) == 1 with input as doc_in
}

# RULES.md 5.5: with no node role in the plan, the fix names a placeholder role, never a candidate.
test_deny_pass_role_on_star_node_role_unknown if {
	statement := {"Sid": "PassAny", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
	ctx := object.union(fx.context, {"node_role_unknown": true, "node_role_arns": ["arn:aws:iam::{A}:role/karpgate-unnamed-node-role"]})
	findings := rule.deny with input as fx.input_with_context(
		[fx.known(fx.policy_address, fx.with_statements(fx.without_sid(fx.upstream_v1, "AllowPassingInstanceRole"), [statement]))],
		ctx,
	)
	some f in findings
	contains(f.fix, "arn:aws:iam::123456789012:role/<node role name: the role the EC2NodeClass names>")
	not contains(f.fix, "karpgate-unnamed-node-role")
}
