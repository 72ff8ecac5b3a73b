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
		"message": sprintf("%s.%s at %s: %s (AWS rejects this policy at apply)", [policy.address, policy.attribute, problem.path, problem.message]),
		"statement": {"policy": policy.address, "attribute": policy.attribute, "sid": "", "index": _index(problem.path)},
	}
}

_entries(role) := array.concat([role.trust | role.trust != null], role.policies)

_index(path) := to_number(m[1]) if {
	m := regex.find_all_string_submatch_n(`^\$\.Statement\[(\d+)\]`, path, 1)[0]
} else := 0
