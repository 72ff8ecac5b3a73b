package karpgate.rules.invalid_policy

import data.karpgate.lib.karpenter

# METADATA
# title: Policy is not a valid IAM policy document
# description: >-
#   A policy or trust policy that reaches the Karpenter controller role is not a valid IAM policy
#   document: it is not JSON, has no Statement, has a statement without Effect or with neither Action
#   nor NotAction, uses an unknown Version or an unknown element. AWS rejects it at apply
#   (MalformedPolicyDocument), so the controller would run without it.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
# custom:
#   id: KARP022
#   severity: error
#   tags: [iam, correctness]
#   remediation: >-
#     Fix the policy text at the JSON path named in the message. Prefer building policies with
#     data "aws_iam_policy_document" or jsonencode(), which always produce valid JSON.
deny contains finding if {
	some role in karpenter.roles
	some policy in _entries(role)
	policy.status == "invalid"
	some problem in policy.problems

	finding := {
		"address": policy.address,
		"role": role.address,
		"message": _message(policy, problem),
		"statement": {"policy": policy.address, "attribute": policy.attribute, "sid": "", "index": _index(problem.path)},
	}
}

# Every document that reaches the role: its trust, its policies and each layer's (RULES.md 3b).
_entries(role) := array.concat(array.concat([role.trust | role.trust != null], role.policies), _layer_entries(object.get(role, "layers", null)))

_layer_entries(null) := []

_layer_entries(l) := [e |
	some e in array.concat(
		array.concat(
			[l.boundary, object.get(l, ["session", "policy"], null)],
			[p.policy | some p in array.concat(object.get(l, ["organization", "scps"], []), object.get(l, ["organization", "rcps"], []))],
		),
		[r.policy | some r in object.get(l, "resources", [])],
	)
	is_object(e)
] if is_object(l)

# A document config supplies is named by its file: the fix is there, not in the plan.
_message(policy, problem) := sprintf("%s (supplied for %s by %s) at %s: %s (AWS would reject this policy)", [
	substring(policy.source, 7, -1), _supplied_for(policy), "the config", problem.path, problem.message,
]) if {
	startswith(object.get(policy, "source", ""), "config:")
} else := sprintf("%s.%s at %s: %s (AWS rejects this policy at apply)", [policy.address, policy.attribute, problem.path, problem.message])

_supplied_for(policy) := policy.arn if is_string(object.get(policy, "arn", null))

_supplied_for(policy) := policy.address if not is_string(object.get(policy, "arn", null))

_index(path) := to_number(m[1]) if {
	m := regex.find_all_string_submatch_n(`^\$\.Statement\[(\d+)\]`, path, 1)[0]
} else := 0
