package main

# A conftest rule without METADATA: its rule id is main/deny_public.
deny_public contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_iam_policy"
	contains(rc.change.after.policy, `"ec2:*"`)
	msg := sprintf("%s grants ec2:*", [rc.address])
}

# METADATA
# title: IAM roles need an owner tag
# description: Every IAM role carries an owner tag so that someone answers for it.
# custom:
#   id: ACME-CF-001
#   severity: warning
deny contains {"msg": msg, "address": rc.address} if {
	some rc in input.resource_changes
	rc.type == "aws_iam_role"
	not rc.change.after.tags.owner
	msg := sprintf("%s has no owner tag", [rc.address])
}

# A result that names its own rule id.
violation contains {"msg": msg, "id": "ACME-CF-002", "address": rc.address} if {
	some rc in input.resource_changes
	rc.type == "aws_iam_role_policy_attachment"
	startswith(rc.change.after.policy_arn, "arn:aws:iam::aws:policy/")
	msg := sprintf("%s attaches the AWS managed policy %s", [rc.address, rc.change.after.policy_arn])
}
