# The same change-control checks in Rego v0 syntax (conftest test --rego-version v0).
package main

import data.lib.tf

deny[msg] {
	rc := tf.changes_of_prefix("aws_iam_")[_]
	rc.change.actions[_] == "delete"
	msg := sprintf("%s: IAM resources may not be deleted by a pipeline (%v)", [rc.address, rc.change.actions])
}

deny_untagged[msg] {
	rc := tf.changes_of_type("aws_iam_role")[_]
	tf.creates_or_updates(rc)
	not rc.change.after.tags.Team
	msg := sprintf("%s has no Team tag", [rc.address])
}

warn[msg] {
	rc := tf.changes_of_type("aws_sqs_queue")[_]
	rc.change.after.message_retention_seconds < 3600
	msg := sprintf("%s keeps messages only %d seconds", [rc.change.after.name, rc.change.after.message_retention_seconds])
}

exception[rules] {
	outside := [rc | rc := tf.changes_of_type("aws_iam_role")[_]; not startswith(rc.address, "module.karpenter.")]
	count(outside) == 0
	rules := ["untagged"]
}
