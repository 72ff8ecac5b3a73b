package karpgate.rules.wildcard_action

import data.karpgate.lib.karpenter

# METADATA
# title: Wildcard action in an Allow statement
# description: >-
#   A policy of the Karpenter controller role allows every action (`*`), every action of a service
#   (`ec2:*`), a wildcard that is not read-only (`ec2:Create*`, `ec2:*Tags`), or uses NotAction.
#   Karpenter needs a short, fixed list of actions; a wildcard grants today's and tomorrow's
#   actions, escalation paths included.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
#   - ref: https://karpenter.sh/docs/reference/cloudformation/
# custom:
#   id: KARP010
#   severity: error
#   security_severity: "8.5"
#   tags: [security, iam, karpenter, least-privilege]
#   remediation: >-
#     List the exact actions the controller needs, as the upstream Karpenter v1 policy does
#     (for example `ec2:CreateTags` on `arn:aws:ec2:<region>:*:instance/*` with tag conditions).
#     Read-only wildcards such as `ec2:Describe*` are fine; replace `NotAction` with an `Action` list.
deny contains finding if {
	some role in karpenter.roles
	some policy in role.policies
	some statement in object.get(policy, ["document", "statements"], [])
	statement.effect == "Allow"
	some action in _too_broad(statement)

	finding := {
		"address": policy.address,
		"role": role.address,
		"message": sprintf("statement %s of %s allows %s (role %s)", [_name(statement), policy.address, action, role.address]),
		"statement": {"policy": policy.address, "attribute": policy.attribute, "sid": statement.sid, "index": statement.index},
	}
}

_too_broad(statement) := wildcards | not_action if {
	wildcards := {sprintf("%q", [a]) | some a in statement.actions; contains(a, "*"); not _read_only(a)}
	not_action := {sprintf("every action but %v (NotAction)", [statement.not_actions]) | count(statement.not_actions) > 0}
}

# Actions are lower-cased by internal/facts; "*" alone has no service part and is never read-only.
_read_only(action) if {
	[_, verb] := split(action, ":")
	some prefix in {"describe", "get", "list"}
	startswith(verb, prefix)
}

_name(statement) := sprintf("%q", [statement.sid]) if statement.sid != ""

_name(statement) := sprintf("#%d", [statement.index]) if statement.sid == ""
