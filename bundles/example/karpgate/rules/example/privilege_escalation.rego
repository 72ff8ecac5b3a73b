package karpgate.rules.example.privilege_escalation

# METADATA
# title: Karpenter role can grant itself more IAM permissions
# description: >-
#   An Allow statement of a Karpenter role grants an IAM action that lets the role widen its own
#   permissions or mint credentials (for example iam:AttachRolePolicy or iam:PutRolePolicy), either
#   by name or through a wildcard such as `iam:*` or `*`. Karpenter needs none of them. The list of
#   actions is data.karpgate.user.acme.escalation_actions; roles listed by address in
#   data.karpgate.user.acme.exempt_roles are skipped.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html
#     description: Adding and removing IAM identity permissions
#   - ref: https://karpenter.sh/docs/reference/cloudformation/
#     description: The permissions the Karpenter controller needs
# custom:
#   id: ACME001
#   severity: error
#   security_severity: "8.8"
#   tags: [security, iam, karpenter, privilege-escalation]
#   remediation: >-
#     Remove the action (or the wildcard that covers it) from the statement. Karpenter's own IAM
#     actions are the instance-profile ones (iam:CreateInstanceProfile, iam:TagInstanceProfile,
#     iam:AddRoleToInstanceProfile, ...) and iam:PassRole on the node role; list them by name.
deny contains finding if {
	some role in input.iam.roles
	role.karpenter.detected
	not role.address in object.get(data.karpgate.user, ["acme", "exempt_roles"], [])
	some policy in role.policies
	some statement in object.get(policy, ["document", "statements"], [])
	statement.effect == "Allow"
	granted := _granted(statement)
	count(granted) > 0
	patterns := {sprintf("%q", [p]) | some p in statement.actions; some a in granted; glob.match(p, [], a)}

	finding := {
		"address": policy.address,
		"role": role.address,
		"message": sprintf(
			"statement %s of %s lets Karpenter role %s call %s (granted by %s)",
			[_statement_name(statement), policy.address, role.address, concat(", ", sort(granted)), concat(", ", sort(patterns))],
		),
		"statement": {
			"policy": policy.address,
			"attribute": object.get(policy, "attribute", ""),
			"sid": object.get(statement, "sid", ""),
			"index": object.get(statement, "index", 0),
		},
		"fix": sprintf("remove %s from the statement's Action list and list the IAM actions Karpenter needs by name", [concat(", ", sort(patterns))]),
	}
}

# _granted is the set of escalation actions (data.karpgate.user.acme.escalation_actions, lower
# case) that one of the statement's Action patterns (lower-cased by karpgate) matches.
_granted(statement) := {action |
	some action in data.karpgate.user.acme.escalation_actions
	some pattern in statement.actions
	glob.match(pattern, [], action)
}

_statement_name(statement) := sprintf("%q", [statement.sid]) if statement.sid != ""

_statement_name(statement) := sprintf("#%d", [object.get(statement, "index", 0)]) if object.get(statement, "sid", "") == ""
