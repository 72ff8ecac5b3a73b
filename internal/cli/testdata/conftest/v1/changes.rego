# Change-control checks of the kind teams run with `conftest test plan.json`: the input is the
# plan itself, as `terraform show -json` prints it.
package main

import data.lib.tf

# IAM resources are never deleted by a pipeline run.
deny contains msg if {
	some rc in tf.changes_of_prefix("aws_iam_")
	"delete" in rc.change.actions
	msg := sprintf("%s: IAM resources may not be deleted by a pipeline (%v)", [rc.address, rc.change.actions])
}

# Created or updated roles carry a Team tag.
deny_untagged contains msg if {
	some rc in tf.changes_of_type("aws_iam_role")
	tf.creates_or_updates(rc)
	not rc.change.after.tags.Team
	msg := sprintf("%s has no Team tag", [rc.address])
}

# Queues keep messages for at least an hour.
warn contains msg if {
	some rc in tf.changes_of_type("aws_sqs_queue")
	rc.change.after.message_retention_seconds < 3600
	msg := sprintf("%s keeps messages only %d seconds", [rc.change.after.name, rc.change.after.message_retention_seconds])
}

# Roles managed by the terraform-aws-eks karpenter module get their tags from the module.
exception contains rules if {
	every rc in tf.changes_of_type("aws_iam_role") {
		startswith(rc.address, "module.karpenter.")
	}
	rules := ["untagged"]
}
