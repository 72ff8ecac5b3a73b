package karpgate.rules.invalid_policy

import data.karpgate.lib.karpenter
import data.karpgate.lib.quota as lib_quota

# METADATA
# scope: document
# title: IAM rejects a policy of the Karpenter role at apply
# description: >-
#   A policy or trust policy that reaches the Karpenter controller role is something IAM rejects
#   at apply (MalformedPolicyDocument or LimitExceeded), so the apply stops or leaves the old policy
#   in place: it is not JSON; has no Statement; a statement without Effect, with neither or both of
#   Action and NotAction, without Resource or with both Resource and NotResource (identity-based
#   policies); a Principal in an identity-based policy, no Principal or a Resource in a trust
#   policy; an unknown Version, element or condition operator; duplicate Sids; an action without a
#   service prefix; a resource neither "*" nor an ARN; a managed policy over 6,144 characters, the
#   inline policies of the role together over 10,240, a trust policy over 4,096; more than 20
#   managed policies attached to the role. Sizes count the characters of the policy text without
#   white space, as IAM does.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# custom:
#   id: KARP022
#   severity: error
#   tags: [iam, correctness]
#   remediation: >-
#     Fix the policy text at the JSON path named in the message. Prefer building policies with
#     data "aws_iam_policy_document" or jsonencode(), which always produce valid JSON. Split a
#     policy over a size limit into several managed policies, and keep at most 20 (10 unless the
#     account's quota was raised) attached to the role.
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

# Size limits IAM enforces whatever the account's quotas.
deny contains finding if {
	some role in karpenter.roles
	some policy in _entries(role)
	limit := _size_limit[policy.kind]
	size := object.get(policy, "size", null)
	is_number(size)
	size > limit

	finding := {
		"address": policy.address,
		"role": role.address,
		"message": sprintf("%s.%s is %d characters without white space, over IAM's limit of %d for %s (AWS rejects it at apply with LimitExceeded)", [
			policy.address, policy.attribute, size, limit, _size_what[policy.kind],
		]),
	}
}

deny contains finding if {
	some role in karpenter.roles
	total := lib_quota.inline_size(role)
	total > 10240

	finding := {
		"address": role.address,
		"role": role.address,
		"message": sprintf(
			concat("", [
				"the inline policies of %s are %d characters without white space together (%s), over IAM's limit of 10,240 for a role (AWS rejects the last one ",
				"at apply)",
			]),
			[
				role.address, total, concat(", ", lib_quota.inline_names(role)),
			],
		),
	}
}

deny contains finding if {
	some role in karpenter.roles
	n := count(lib_quota.managed(role))
	n > 20

	finding := {
		"address": role.address,
		"role": role.address,
		"message": sprintf(
			"%s has %d managed policies attached, over IAM's hard limit of 20 per role (AWS rejects the attachments beyond it at apply)",
			[role.address, n],
		),
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

_size_limit := {"managed": 6144, "boundary": 6144, "trust": 4096}

_size_what := {"managed": "a managed policy", "boundary": "a managed policy (the permissions boundary)", "trust": "a trust policy"}

_index(path) := to_number(m[1]) if {
	m := regex.find_all_string_submatch_n(`^\$\.Statement\[(\d+)\]`, path, 1)[0]
} else := 0
