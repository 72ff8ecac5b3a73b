package karpgate.rules.unscoped_resource

import data.karpgate.lib.fix
import data.karpgate.lib.karpenter
import data.karpgate.lib.requests

# METADATA
# title: Write access on every resource
# description: |
#   An Allow statement has Resource "*" (or an ARN whose resource part is "*", or NotResource),
#   grants an action that is not read-only (its name does not start with Describe, Get or List),
#   and has no condition on aws:ResourceTag/*, aws:RequestTag/*, ec2:ResourceTag/* or
#   iam:PassedToService, so it reaches every resource of the account, not only Karpenter's. Also
#   fires when the role may terminate an instance Karpenter does not own (tagged only Name=prod-db),
#   whatever statement allows it.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
#   - https://github.com/aws/karpenter-provider-aws/blob/v1.0.0/website/content/en/v1.0/getting-started/getting-started-with-karpenter/cloudformation.yaml
# custom:
#   id: KARP011
#   severity: error
#   remediation: |
#     Scope write actions the way the upstream Karpenter v1 policy does: region-scoped ARNs per
#     resource type, and tag conditions on what Karpenter creates or owns. For deletion:
#
#     statement {
#       sid       = "AllowScopedDeletion"
#       actions   = ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]
#       resources = [
#         "arn:<partition>:ec2:<region>:*:instance/*",
#         "arn:<partition>:ec2:<region>:*:launch-template/*",
#       ]
#       condition {
#         test     = "StringEquals"
#         variable = "aws:ResourceTag/kubernetes.io/cluster/<cluster>"
#         values   = ["owned"]
#       }
#       condition {
#         test     = "StringLike"
#         variable = "aws:ResourceTag/karpenter.sh/nodepool"
#         values   = ["*"]
#       }
#     }
#
#     {
#       "Sid": "AllowScopedDeletion",
#       "Effect": "Allow",
#       "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
#       "Resource": ["arn:aws:ec2:<region>:*:instance/*", "arn:aws:ec2:<region>:*:launch-template/*"],
#       "Condition": {
#         "StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/<cluster>": "owned"},
#         "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
#       }
#     }
#
#     Read-only calls (ec2:Describe*, pricing:GetProducts, iam:ListInstanceProfiles) may stay on "*".
deny contains karpenter.finding(object.union(
	object.union(finding, {"rule": rego.metadata.rule().custom.id}),
	fix.switch_only(karpenter.roles[finding.role], finding.address),
)) if {
	some finding in _findings
}

# The statement part.
_findings contains finding if {
	some role in karpenter.roles
	some s in karpenter.statements(role)
	_unscoped(s)

	finding := {
		"address": s.policy,
		"role": role.address,
		"statement": karpenter.statement_ref(s),
		"message": sprintf(
			concat("", [
				"%s allows %s on %s with no condition on aws:ResourceTag/*, aws:RequestTag/*, ec2:ResourceTag/* or iam:PassedToService: %s can use them on ",
				"every resource of the account, not only Karpenter's.%s",
			]),
			[karpenter.statement_label(s), concat(", ", _write_actions(s)), _resource_text(s), role.address, _terminate_note(role, s)],
		),
	}
}

# The request part, for statements the statement part does not already report.
_findings contains finding if {
	some role in karpenter.roles
	v := terminations[role.address]
	v.decision == "allowed"
	some s in karpenter.granting(v.result)
	not _flagged[[role.address, karpenter.statement_ref(s)]]

	finding := {
		"address": s.policy,
		"role": role.address,
		"statement": karpenter.statement_ref(s),
		"message": sprintf(
			concat("", [
				"%s lets %s terminate instances Karpenter does not own: ec2:TerminateInstances on %s, an instance tagged only Name=prod-db, is allowed. Require ",
				"the cluster's ownership tags (aws:ResourceTag/kubernetes.io/cluster/<cluster> = owned, aws:ResourceTag/karpenter.sh/nodepool present), as ",
				"upstream AllowScopedDeletion does.",
			]),
			[karpenter.statement_label(s), role.address, v.request.resource],
		),
	}
}

# terminations holds the foreign-instance TerminateInstances request of every Karpenter role.
terminations[role.address] := karpenter.evaluate(role, requests.over_reach(karpenter.role_context(role), "terminate_foreign_instance")) if {
	some role in karpenter.roles
}

open contains {
	"rule": "KARP011",
	"role": address,
	"check": "ec2:TerminateInstances on an instance Karpenter does not own",
	"causes": v.causes,
} if {
	some address, v in terminations
	v.open
}

_flagged contains [role.address, karpenter.statement_ref(s)] if {
	some role in karpenter.roles
	some s in karpenter.statements(role)
	_unscoped(s)
}

_unscoped(s) if {
	lower(s.effect) == "allow"
	_any_resource(s)
	count(_write_actions(s)) > 0
	not _scoped_by_condition(s)
}

_any_resource(s) if count(object.get(s, "not_resources", [])) > 0

_any_resource(s) if {
	some r in object.get(s, "resources", [])
	_whole_resource_part(r)
}

_whole_resource_part("*")

_whole_resource_part(r) if {
	parts := split(r, ":")
	count(parts) >= 6
	concat(":", array.slice(parts, 5, count(parts))) == "*"
}

# Actions that are not read-only; NotAction grants everything else, which is never read-only.
_write_actions(s) := array.concat(
	[a |
		some a in object.get(s, "actions", [])
		not _read_only(a)
	],
	[sprintf("every action except %s (NotAction)", [concat(", ", s.not_actions)]) | count(object.get(s, "not_actions", [])) > 0],
)

_read_only(action) if {
	[_, verb] := split(lower(action), ":")
	some prefix in ["describe", "get", "list"]
	startswith(verb, prefix)
}

_scoped_by_condition(s) if {
	some c in object.get(s, "conditions", [])
	_scoping_key(lower(c.key))
}

_scoping_key(key) if {
	some prefix in ["aws:resourcetag/", "aws:requesttag/", "ec2:resourcetag/"]
	startswith(key, prefix)
}

_scoping_key("iam:passedtoservice")

_resource_text(s) := sprintf("every resource but %s (NotResource)", [concat(", ", s.not_resources)]) if {
	count(object.get(s, "not_resources", [])) > 0
} else := concat(", ", [sprintf("%q", [r]) | some r in s.resources; _whole_resource_part(r)])

_terminate_note(role, s) := sprintf(" It allows terminating %s, an instance tagged only Name=prod-db.", [v.request.resource]) if {
	v := terminations[role.address]
	v.decision == "allowed"
	some g in karpenter.granting(v.result)
	karpenter.statement_ref(g) == karpenter.statement_ref(s)
} else := ""
