package karpgate.lib.layers_test

import data.karpgate.lib.deployment
import data.karpgate.lib.fixtures_test as fx
import data.karpgate.lib.karpenter
import data.karpgate.lib.layers
import data.karpgate.lib.requests
import data.karpgate.rules.instance_tagging
import data.karpgate.rules.karpenter_calls
import data.karpgate.rules.refused_start
import data.karpgate.rules.tagging_region

role_arn := "arn:aws:iam::123456789012:role/KarpenterController-ex"

# with_layers is the upstream v1 role (every Karpenter request allowed by its identity policy)
# with the given layers.
with_layers(l) := {"iam": {
	"roles": [object.union(fx.role([fx.known(fx.policy_address, fx.upstream_v1)]), {
		"arn": role_arn,
		"layers": object.union({"boundary": null, "session": null, "organization": null, "resources": []}, l),
	})],
	"karpenter_roles": 1, "node_roles": [],
}}

entry(address, kind, doc) := object.union(fx.known(address, doc), {"kind": kind, "via": ""})

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

allow_all := {"Effect": "Allow", "Action": "*", "Resource": "*"}

tagging_verdict(in_put) := v if {
	some role in karpenter.roles with input as in_put
	v := karpenter.evaluate(role, requests.tagging(karpenter.role_context(role))) with input as in_put
}

# --- permissions boundary -------------------------------------------------------------------

boundary_without_tagging := entry(
	"aws_iam_policy.boundary",
	"boundary",
	doc([{"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:RunInstances"], "Resource": "*"}]),
)

test_boundary_that_does_not_allow_tagging_refuses_it if {
	v := tagging_verdict(with_layers({"boundary": boundary_without_tagging}))
	v.decision == "implicit-deny"
	not v.open
	v.layer == "permissions boundary"
	findings := instance_tagging.deny with input as with_layers({"boundary": boundary_without_tagging})
	some f in findings
	contains(f.message, "because no permissions boundary allows the ec2:CreateTags action")
}

test_boundary_deny_is_explicit if {
	b := entry(
		"aws_iam_policy.boundary",
		"boundary",
		doc([allow_all, {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"Null": {"aws:RequestTag/eks:eks-cluster-name": "false"}}}]),
	)
	findings := instance_tagging.deny with input as with_layers({"boundary": b})
	some f in findings
	contains(f.message, "with an explicit deny in a permissions boundary")
}

test_boundary_allowing_everything_changes_nothing if {
	b := entry("aws_iam_policy.boundary", "boundary", doc([allow_all]))
	count(instance_tagging.deny) == 0 with input as with_layers({"boundary": b})
	count(karpenter_calls.deny) == 0 with input as with_layers({"boundary": b})
	v := tagging_verdict(with_layers({"boundary": b}))
	v.decision == "allowed"
}

test_boundary_scoping_the_region_removes_karp002 if {
	# The common fix without its region condition is not region-scoped (KARP002), unless the
	# boundary scopes the region.
	policy := fx.with_statements(fx.v033, [object.remove(fx.common_fix, ["Condition"])])
	region_only := entry(
		"aws_iam_policy.boundary",
		"boundary",
		doc([{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]),
	)
	unbounded := {"iam": {"roles": [fx.role([fx.known(fx.policy_address, policy)])], "karpenter_roles": 1, "node_roles": []}}
	count(tagging_region.deny) > 0 with input as unbounded
	bounded := {"iam": {
		"roles": [object.union(
			fx.role([fx.known(fx.policy_address, policy)]),
			{"layers": {"boundary": region_only, "session": null, "organization": null, "resources": []}},
		)],
		"karpenter_roles": 1,
		"node_roles": [],
	}}
	count(tagging_region.deny) == 0 with input as bounded
}

test_external_boundary_opens_allowed_verdicts_only if {
	ext := object.union(fx.external("arn:aws:iam::123456789012:policy/OrgBoundary"), {"kind": "boundary"})
	v := tagging_verdict(with_layers({"boundary": ext}))
	v.decision == "indeterminate"
	v.open
	some c in v.causes
	c.arn == "arn:aws:iam::123456789012:policy/OrgBoundary"

	# A refusal of the identity policy stays decided.
	refused := {"iam": {
		"roles": [object.union(
			fx.role([fx.known(fx.policy_address, fx.v033)]),
			{"layers": {"boundary": ext, "session": null, "organization": null, "resources": []}},
		)],
		"karpenter_roles": 1,
		"node_roles": [],
	}}
	w := tagging_verdict(refused)
	w.decision == "implicit-deny"
	not w.open
	w.layer == "identity-based policy"
}

test_several_refusing_layers_are_listed if {
	session_read_only := {
		"association": "aws_eks_pod_identity_association.karpenter",
		"policy": entry("aws_eks_pod_identity_association.karpenter", "session", doc([{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}])),
		"tags": {},
		"tags_disabled": true,
	}
	in_put := with_layers({"boundary": boundary_without_tagging, "session": session_read_only})
	v := tagging_verdict(in_put)
	v.refusing == ["permissions boundary", "session policy"]
	some f in instance_tagging.deny with input as in_put
	contains(f.message, "because no permissions boundary allows the ec2:CreateTags action (also refused by: a session policy)")
}

# --- session policy ---------------------------------------------------------------------------

test_session_policy_allowing_only_reads_refuses_writes if {
	s := {
		"association": "aws_eks_pod_identity_association.karpenter",
		"policy": entry(
			"aws_eks_pod_identity_association.karpenter",
			"session",
			doc([{"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:Get*"], "Resource": "*"}]),
		),
		"tags": {},
		"tags_disabled": false,
	}
	v := tagging_verdict(with_layers({"session": s}))
	v.decision == "implicit-deny"
	v.layer == "session policy"
	some f in refused_start.deny with input as with_layers({"session": s})
	contains(f.message, "because no session policy allows the ec2:RunInstances action")
}

# --- organizations --------------------------------------------------------------------------

scp_deny_region := entry(
	"aws_organizations_policy.deny_outside_us",
	"scp",
	doc([{
		"Effect": "Deny",
		"NotAction": ["iam:*", "sts:*"],
		"Resource": "*",
		"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}},
	}]),
)

org(scps, rcps, path, complete) := {
	"id": "o-a1b2c3d4e5",
	"account": fx.account,
	"management": false,
	"path": path,
	"scps_complete": complete,
	"scps": scps,
	"rcps": rcps,
	"source": "plan",
}

test_scp_denying_the_region_is_an_explicit_deny_in_a_service_control_policy if {
	o := org(
		[{
			"name": "DenyOutsideUS",
			"target": "r-ab12",
			"level": 0,
			"applies": "yes",
			"attachment": "aws_organizations_policy_attachment.root",
			"policy": scp_deny_region,
		}],
		[],
		["r-ab12", fx.account],
		false,
	)
	v := tagging_verdict(with_layers({"organization": o}))
	v.decision == "denied"
	v.layer == "service control policy"
	some f in instance_tagging.deny with input as with_layers({"organization": o})
	contains(f.message, "with an explicit deny in a service control policy")
}

test_scp_requiring_a_cost_tag_refuses_launches if {
	require_tag := entry(
		"aws_organizations_policy.cost_tag",
		"scp",
		doc([{
			"Effect": "Deny",
			"Action": "ec2:RunInstances",
			"Resource": "arn:aws:ec2:*:*:instance/*",
			"Condition": {"Null": {"aws:RequestTag/CostCenter": "true"}},
		}]),
	)
	o := org(
		[{
			"name": "RequireCostCenter",
			"target": fx.account,
			"level": 1,
			"applies": "yes",
			"attachment": "aws_organizations_policy_attachment.acct",
			"policy": require_tag,
		}],
		[],
		["r-ab12", fx.account],
		false,
	)

	# Karpenter v1.3+ validates each EC2NodeClass with a dry-run RunInstances of an instance.
	inp := with_layers({"organization": o})
	v13 := {"iam": object.union(inp.iam, {"roles": [object.union(inp.iam.roles[0], {"deployment": fx.deployed("1.3", "")})]})}
	some f in refused_start.deny with input as v13
	contains(f.message, "ec2:RunInstances on resource: arn:aws:ec2:eu-west-1:123456789012:instance/* with an explicit deny in a service control policy")
}

test_scp_on_an_ou_of_an_unknown_path_is_open if {
	o := org(
		[{
			"name": "DenyOutsideUS",
			"target": "ou-ab12-11111111",
			"level": -1,
			"applies": "unknown",
			"attachment": "aws_organizations_policy_attachment.ou",
			"policy": scp_deny_region,
		}],
		[],
		null,
		false,
	)
	v := tagging_verdict(with_layers({"organization": o}))
	v.decision == "indeterminate"
	v.open
}

test_scp_in_the_management_account_does_not_apply if {
	o := object.union(
		org(
			[{
				"name": "DenyOutsideUS",
				"target": "r-ab12",
				"level": 0,
				"applies": "yes",
				"attachment": "a",
				"policy": scp_deny_region,
			}],
			[], ["r-ab12", fx.account], false,
		),
		{"management": true},
	)
	tagging_verdict(with_layers({"organization": o})).decision == "allowed"
}

test_complete_scp_list_needs_an_allow_at_every_level if {
	allow_ec2 := entry("aws_organizations_policy.allow_ec2", "scp", doc([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]))
	only_root := org(
		[{"name": "AllowEC2", "target": "r-ab12", "level": 0, "applies": "yes", "attachment": "a", "policy": allow_ec2}],
		[],
		["r-ab12", fx.account],
		true,
	)
	v := tagging_verdict(with_layers({"organization": only_root}))
	v.decision == "denied"
	v.layer == "service control policy"
	both := org(
		[
			{"name": "AllowEC2", "target": "r-ab12", "level": 0, "applies": "yes", "attachment": "a", "policy": allow_ec2},
			{"name": "AllowEC2", "target": fx.account, "level": 1, "applies": "yes", "attachment": "b", "policy": allow_ec2},
		],
		[], ["r-ab12", fx.account], true,
	)
	tagging_verdict(with_layers({"organization": both})).decision == "allowed"
}

perimeter := entry(
	"aws_organizations_policy.perimeter",
	"rcp",
	doc([{
		"Effect": "Deny",
		"Principal": "*",
		"Action": ["sqs:*"],
		"Resource": "*",
		"Condition": {"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-0abc1234"}, "BoolIfExists": {"aws:ViaAWSService": "false"}},
	}]),
)

test_rcp_applies_to_sqs_requests_only if {
	o := org(
		[],
		[{
			"name": "Perimeter",
			"target": "r-ab12",
			"level": 0,
			"applies": "yes",
			"attachment": "a",
			"policy": entry("aws_organizations_policy.deny_sqs", "rcp", doc([{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}])),
		}],
		["r-ab12", fx.account],
		false,
	)
	some f in karpenter_calls.deny with input as with_layers({"organization": o})
	contains(f.message, "sqs:ReceiveMessage on resource: arn:aws:sqs:eu-west-1:123456789012:Karpenter-ex with an explicit deny in a resource control policy")
	not contains(f.message, "ec2:")
}

test_rcp_network_perimeter_on_an_unmodelled_key_is_open if {
	o := org([], [{"name": "Perimeter", "target": "r-ab12", "level": 0, "applies": "yes", "attachment": "a", "policy": perimeter}], ["r-ab12", fx.account], false)
	some v in deployment.assessed[fx.role_address].verdicts["sqs-receivemessage"].evals with input as with_layers({"organization": o})
	v.request.action == "sqs:ReceiveMessage"
	v.decision == "indeterminate"
}

# --- resource-based policies -----------------------------------------------------------------

queue(policy) := {
	"kind": "queue",
	"arn": fx.queue_arn,
	"resource": "aws_sqs_queue.karpenter",
	"policy": entry("aws_sqs_queue_policy.karpenter", "resource", policy),
}

test_queue_policy_denying_the_role if {
	q := queue(doc([{"Effect": "Deny", "Principal": {"AWS": role_arn}, "Action": "sqs:*", "Resource": fx.queue_arn}]))
	some f in karpenter_calls.deny with input as with_layers({"resources": [q]})
	contains(f.message, "sqs:DeleteMessage on resource: arn:aws:sqs:eu-west-1:123456789012:Karpenter-ex with an explicit deny in a resource-based policy")
}

test_queue_policy_for_another_principal_changes_nothing if {
	q := queue(doc([{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:role/other"}, "Action": "sqs:*", "Resource": fx.queue_arn}]))
	count(karpenter_calls.deny) == 0 with input as with_layers({"resources": [q]})
}

key_arn := "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

key(policy) := {"kind": "key", "arn": key_arn, "resource": "aws_kms_key.queue", "policy": entry("aws_kms_key.queue", "resource", policy)}

test_key_policy_without_the_role_refuses_decrypt if {
	k := key(doc([{"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/Admin"}, "Action": "kms:*", "Resource": "*"}]))
	some f in karpenter_calls.deny with input as with_layers({"resources": [k]})
	contains(f.message, concat("", [
		"kms:Decrypt on resource: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab because no resource-based policy allows the ",
		"kms:Decrypt action",
	]))
}

test_key_policy_delegating_to_the_account_needs_an_identity_allow if {
	k := key(doc([{
		"Sid": "Enable IAM User Permissions",
		"Effect": "Allow",
		"Principal": {"AWS": "arn:aws:iam::123456789012:root"},
		"Action": "kms:*",
		"Resource": "*",
	}]))

	# The upstream policy grants no kms:Decrypt: the identity policy refuses.
	some f in karpenter_calls.deny with input as with_layers({"resources": [k]})
	contains(f.message, concat("", [
		"kms:Decrypt on resource: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the ",
		"kms:Decrypt action",
	]))

	# The key policy naming the role allows it without an identity policy.
	direct := key(doc([{"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "kms:Decrypt", "Resource": "*"}]))
	count(karpenter_calls.deny) == 0 with input as with_layers({"resources": [direct]})
}

# The queue key's kms:Decrypt carries the keys of every Karpenter request (RULES.md 4.5): a key
# policy that allows the account's principals through aws:PrincipalAccount decides it, and one that
# requires TLS does not leave it open.
test_queue_key_request_carries_the_principal_keys if {
	k := key(doc([
		{
			"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
			"Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
		},
		{
			"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
			"Condition": {"Bool": {"aws:SecureTransport": "false"}},
		},
	]))
	v := deployment.assessed[fx.role_address].verdicts["kms-decrypt-queue-key"] with input as with_layers({"resources": [k]})
	v.state == "allowed"
	other := key(doc([{
		"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
		"Condition": {"StringEquals": {"aws:PrincipalAccount": "999999999999"}},
	}]))
	w := deployment.assessed[fx.role_address].verdicts["kms-decrypt-queue-key"] with input as with_layers({"resources": [other]})
	w.state == "refused"
}

test_no_layers_keeps_the_identity_verdict if {
	v := tagging_verdict(fx.upstream_input)
	v.layer == "identity-based policy"
	v.refusing == []
	not layers.compiled[fx.role_address] with input as fx.upstream_input
}

test_finding_points_at_the_deciding_layer if {
	some f in instance_tagging.deny with input as with_layers({"boundary": boundary_without_tagging})
	f.address == "aws_iam_policy.boundary"
}

test_created_role_arn_is_made_from_name_and_account if {
	# The fixture role has no ARN; its name and account make the one the queue policy names.
	q := queue(doc([{
		"Effect": "Deny",
		"Principal": {"AWS": "arn:aws:iam::123456789012:role/KarpenterController-ex"},
		"Action": "sqs:*",
		"Resource": fx.queue_arn,
	}]))
	in_put := {"iam": {
		"roles": [object.union(
			fx.role([fx.known(fx.policy_address, fx.upstream_v1)]),
			{"layers": {"boundary": null, "session": null, "organization": null, "resources": [q]}},
		)],
		"karpenter_roles": 1,
		"node_roles": [],
	}}
	some f in karpenter_calls.deny with input as in_put
	contains(f.message, "with an explicit deny in a resource-based policy")
}

# RULES.md 4.7: the queue key's kms:Decrypt is made once per candidate of an unknown region; a
# key policy that allows it through SQS in one candidate region only leaves it open, naming the
# region, never allowed because the first candidate is.
_region_unknown(k) := {"iam": {
	"roles": [object.union(fx.role([fx.known(fx.policy_address, doc([allow_all]))]), {
		"arn": role_arn,
		"context": object.union(fx.context, {"region": "", "regions": ["eu-west-1", "us-east-1"]}),
		"layers": {"boundary": null, "session": null, "organization": null, "resources": [k]},
	})],
	"karpenter_roles": 1, "node_roles": [],
}}

_via_sqs_in(region) := key(doc([{
	"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "kms:Decrypt", "Resource": "*",
	"Condition": {"StringEquals": {"kms:ViaService": sprintf("sqs.%s.amazonaws.com", [region])}},
}]))

test_queue_key_request_follows_every_region_candidate if {
	[c] := layers.calls(_region_unknown(_via_sqs_in("eu-west-1")).iam.roles[0])
	{r.context["aws:requestedregion"][0] | some r in c.requests} == {"eu-west-1", "us-east-1"}
	count(c.params) == count(c.requests)

	v := deployment.assessed[fx.role_address].verdicts["kms-decrypt-queue-key"] with input as _region_unknown(_via_sqs_in("eu-west-1"))
	v.state == "open"
	some e in v.evals
	some cause in e.causes
	cause.attribute == "context.region"
}

test_queue_key_request_decided_when_every_candidate_agrees if {
	both := key(doc([{
		"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "kms:Decrypt", "Resource": "*",
		"Condition": {"StringLike": {"kms:ViaService": "sqs.*.amazonaws.com"}},
	}]))
	v := deployment.assessed[fx.role_address].verdicts["kms-decrypt-queue-key"] with input as _region_unknown(both)
	v.state == "allowed"
}

# RULES.md 4.7: a role created in the plan whose account is unknown is, for a resource policy,
# the role of each candidate account; a queue policy that admits it in one candidate only leaves
# the verdict open, naming the account, instead of refusing it for an ARN without an account.
_account_unknown_queue(q) := {"iam": {
	"roles": [object.union(fx.role([fx.known(fx.policy_address, doc([{"Effect": "Allow", "NotAction": "sqs:*", "Resource": "*"}]))]), {
		"context": object.union(fx.context, {"account": "", "accounts": ["123456789012", "999999999999"]}),
		"layers": {"boundary": null, "session": null, "organization": null, "resources": [q]},
	})],
	"karpenter_roles": 1, "node_roles": [],
}}

test_queue_policy_naming_the_role_follows_the_account_candidates if {
	q := queue(doc([{"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "sqs:*", "Resource": fx.queue_arn}]))
	v := deployment.assessed[fx.role_address].verdicts["sqs-receivemessage"] with input as _account_unknown_queue(q)
	v.state == "open"
	some e in v.evals
	some c in e.causes
	c.attribute == "context.account"
}

test_layers_principal_per_candidate_account if {
	p := {"arn": null, "account": "", "name": "KarpenterController-ex", "partition": "aws"}
	r := {"resource": "*", "context": {"aws:principalaccount": ["999999999999"]}}
	layers._request_principal(p, r).arn == "arn:aws:iam::999999999999:role/KarpenterController-ex"
	cn := object.union(r, {"resource": "arn:aws-cn:sqs:cn-north-1:1:q"})
	layers._request_principal(object.union(p, {"partition": ""}), cn).arn == "arn:aws-cn:iam::999999999999:role/KarpenterController-ex"
	known := object.union(p, {"account": "123456789012", "arn": role_arn})
	layers._request_principal(known, r) == known
}
