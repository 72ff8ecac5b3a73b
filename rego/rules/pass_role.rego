package karpgate.rules.pass_role

import data.karpgate.lib.fix
import data.karpgate.lib.karpenter
import data.karpgate.lib.requests

# METADATA
# title: The controller can pass any role
# description: |
#   iam:PassRole on an arbitrary role of the account (OrganizationAccountAccessRole, passed to
#   ec2.amazonaws.com) is allowed. Karpenter only needs to pass its node role; with any role it can
#   launch an instance under an administrator role's instance profile: privilege escalation.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
#   - https://github.com/aws/karpenter-provider-aws/blob/v1.0.0/website/content/en/v1.0/getting-started/getting-started-with-karpenter/cloudformation.yaml
# custom:
#   id: KARP012
#   severity: error
#   remediation: |
#     Allow iam:PassRole on the node role only, to EC2 only:
#
#     statement {
#       sid       = "AllowPassingInstanceRole"
#       actions   = ["iam:PassRole"]
#       resources = [aws_iam_role.node.arn]
#       condition {
#         test     = "StringEquals"
#         variable = "iam:PassedToService"
#         values   = ["ec2.amazonaws.com"]
#       }
#     }
#
#     {
#       "Sid": "AllowPassingInstanceRole",
#       "Effect": "Allow",
#       "Action": "iam:PassRole",
#       "Resource": "arn:aws:iam::<account>:role/<node role name: the role the EC2NodeClass names>",
#       "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
#     }
deny contains finding if {
	some role in karpenter.roles
	v := verdicts[role.address]
	v.decision == "allowed"
	some s in karpenter.granting(v.result)

	finding := karpenter.finding(object.union(
		{
			"rule": rego.metadata.rule().custom.id,
			"address": s.policy,
			"role": role.address,
			"statement": karpenter.statement_ref(s),
			"message": sprintf(
				concat("", [
					"%s lets %s pass any role: iam:PassRole on %s to ec2.amazonaws.com is allowed, so the controller can start an instance with that role's ",
					"permissions (privilege escalation). Limit Resource to the node role (%s) and iam:PassedToService to ec2.amazonaws.com.",
				]),
				[karpenter.statement_label(s), role.address, v.request.resource, _node_roles(role)],
			),
		},
		fix.over_reach(role, s, _fix(role)),
	))
}

verdicts[role.address] := karpenter.evaluate(role, requests.over_reach(karpenter.role_context(role), "pass_foreign_role")) if {
	some role in karpenter.roles
}

open contains {
	"rule": "KARP012",
	"role": address,
	"check": "iam:PassRole on a role that is not the node role",
	"causes": v.causes,
} if {
	some address, v in verdicts
	v.open
}

# The node roles the plan has, their ARNs with the known parameters and placeholders filled; none
# when the node role is unknown (its list then holds candidates, not node roles).
_node_role_arns(role) := [] if {
	object.get(karpenter.role_context(role), "node_role_unknown", false) == true
} else := [requests.fill(a, karpenter.display_params(role)) | some a in object.get(karpenter.role_context(role), "node_role_arns", [])]

_node_roles(role) := concat(", ", _node_role_arns(role)) if {
	count(_node_role_arns(role)) > 0
} else := "the role trusted by ec2.amazonaws.com that Karpenter's EC2NodeClass names"

_fix(role) := object.union(karpenter.fix_statement(role, "pass_role", {"EACH": ""}), {"Resource": _fix_resources(role)})

_fix_resources(role) := _node_role_arns(role) if {
	count(_node_role_arns(role)) > 0
} else := [sprintf("arn:%s:iam::%s:role/<node role name: the role the EC2NodeClass names>", [p.P, p.A])] if {
	p := karpenter.display_params(role)
}
