# RULES.md 4.7 for the resources the plan names only in part: a queue or EBS key whose region is
# unknown keeps {R} in its ARN (internal/facts), filled with each candidate; the verdict is open
# when candidates disagree, never allowed because the first candidate is.
package karpgate.lib.candidates_test

import data.karpgate.lib.deployment
import data.karpgate.lib.fixtures_test as fx

_queue_in(region) := sprintf("arn:aws:sqs:%s:123456789012:Karpenter-ex", [region])

_input(statements) := {"iam": {
	"roles": [object.union(fx.role([fx.known("aws_iam_policy.p", {"Version": "2012-10-17", "Statement": statements})]), {"context": object.union(fx.context, {
		"region": "", "regions": ["eu-west-1", "us-east-1"],
		"queue_arns": ["arn:aws:sqs:{R}:123456789012:Karpenter-ex"],
	})})],
	"karpenter_roles": 1, "node_roles": [],
}}

_but_sqs := {"Effect": "Allow", "NotAction": "sqs:*", "Resource": "*"}

_verdict(statements) := v if {
	v := deployment.assessed[fx.role_address].verdicts["sqs-getqueueurl"] with input as _input(statements)
}

test_queue_named_with_unknown_region_is_open_when_candidates_disagree if {
	v := _verdict([_but_sqs, {"Effect": "Allow", "Action": "sqs:*", "Resource": _queue_in("eu-west-1")}])
	v.state == "open"
	some e in v.evals
	some c in e.causes
	c.attribute == "context.region"
}

test_queue_named_with_unknown_region_is_decided_when_candidates_agree if {
	_verdict([_but_sqs, {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:123456789012:Karpenter-ex"}]).state == "allowed"
	_verdict([_but_sqs]).state == "refused"
}
