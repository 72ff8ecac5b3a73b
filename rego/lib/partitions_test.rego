# RULES.md 4.5 and 5.3 per partition: IAM requests are signed in the partition's IAM region,
# pricing goes to the endpoint region of the cluster's region, launches pass the node role to the
# partition's EC2 principal; so AWS's documented region guard gives no false refusal.
package karpgate.lib.partitions_test

import data.karpgate.lib.deployment
import data.karpgate.lib.fixtures_test as fx
import data.karpgate.lib.requests

_ctx(partition, region) := object.union(fx.context, {
	"region": region, "partition": partition, "regions": [region], "partitions": [partition],
	"node_role_arns": [sprintf("arn:%s:iam::123456789012:role/KarpenterNodeRole-ex", [partition])],
	"queue_arns": [sprintf("arn:%s:sqs:%s:123456789012:Karpenter-ex", [partition, region])],
})

# The requests of every versioned template, expanded for a context, by template id.
_expanded(ctx) := {id: r |
	some id, checks in requests.bulk_checks(requests.call_templates_versioned, ctx)
	some c in checks
	some r in c.requests
}

_iam_regions(partition, region) := {r.context["aws:requestedregion"][0] |
	some r in _expanded(_ctx(partition, region))
	startswith(r.action, "iam:")
}

test_iam_is_signed_in_the_partitions_iam_region if {
	_iam_regions("aws", "eu-west-1") == {"us-east-1"}
	_iam_regions("aws-cn", "cn-northwest-1") == {"cn-north-1"}
	_iam_regions("aws-us-gov", "us-gov-east-1") == {"us-gov-west-1"}
}

_pricing_region(partition, region) := r.context["aws:requestedregion"][0] if {
	some r in _expanded(_ctx(partition, region))
	r.action == "pricing:GetProducts"
}

test_pricing_goes_to_the_endpoint_of_the_cluster_region if {
	_pricing_region("aws", "ap-southeast-2") == "ap-south-1"
	_pricing_region("aws", "ap-northeast-1") == "ap-south-1"
	_pricing_region("aws", "eu-west-3") == "eu-central-1"
	_pricing_region("aws", "eu-north-1") == "eu-central-1"
	_pricing_region("aws-cn", "cn-north-1") == "cn-northwest-1"
	_pricing_region("aws-cn", "cn-northwest-1") == "cn-northwest-1"
	_pricing_region("aws", "us-west-2") == "us-east-1"
	_pricing_region("aws", "sa-east-1") == "us-east-1"
	_pricing_region("aws", "me-central-1") == "us-east-1"
	_pricing_region("aws-us-gov", "us-gov-west-1") == "us-east-1"
}

test_launch_passes_the_node_role_to_the_partitions_ec2_principal if {
	_expanded(_ctx("aws-cn", "cn-north-1"))["iam-passrole-node-role"].context["iam:passedtoservice"] == ["ec2.amazonaws.com.cn"]
	_expanded(_ctx("aws", "eu-west-1"))["iam-passrole-node-role"].context["iam:passedtoservice"] == ["ec2.amazonaws.com"]
	_expanded(_ctx("aws-us-gov", "us-gov-west-1"))["iam-passrole-node-role"].context["iam:passedtoservice"] == ["ec2.amazonaws.com"]

	# AddRoleToInstanceProfile passes it to ec2.amazonaws.com in every partition.
	_expanded(_ctx("aws-cn", "cn-north-1"))["iam-passrole-instance-profile"].context["iam:passedtoservice"] == ["ec2.amazonaws.com"]
}

# A role allowed everything, under a guard that denies every request outside regions except the
# actions of exempt: the refused requests of Karpenter v1.12 (every feature on).
_allow_all := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

_guard(regions, exempt) := {"Version": "2012-10-17", "Statement": [{
	"Sid": "DenyOutsideRegion", "Effect": "Deny", "NotAction": exempt, "Resource": "*",
	"Condition": {"StringNotEquals": {"aws:RequestedRegion": regions}},
}]}

# Undefined unless the role was assessed with its IAM and pricing requests, so that an empty set
# means "nothing refused".
_refused(partition, region, regions, exempt) := {id | some id, v in a.verdicts; v.state != "allowed"} if {
	a := deployment.assessed[fx.role_address] with input as _guarded_input(partition, region, regions, exempt)
	"pricing-getproducts" in object.keys(a.verdicts)
	"iam-passrole-node-role" in object.keys(a.verdicts)
}

_guarded_input(partition, region, regions, exempt) := {"iam": {
	"roles": [object.union(
		fx.role([fx.known("aws_iam_policy.all", _allow_all), fx.known("aws_iam_policy.guard", _guard(regions, exempt))]),
		{"context": _ctx(partition, region), "deployment": fx.deployed("1.12", "")},
	)],
	"karpenter_roles": 1, "node_roles": [],
}}

_global := ["iam:*", "organizations:*", "route53:*", "sts:*", "support:*"]

test_documented_region_guard_exempting_iam_refuses_nothing if {
	# eu-* and cn-* clusters: their pricing endpoint is in their own area.
	_refused("aws", "eu-central-1", ["eu-central-1"], _global) == set()
	_refused("aws-cn", "cn-northwest-1", ["cn-northwest-1"], _global) == set()
	_refused("aws", "us-east-1", ["us-east-1"], _global) == set()
}

test_region_guard_without_iam_exemption_refuses_iam_outside_its_signing_region if {
	ids := _refused("aws-cn", "cn-northwest-1", ["cn-northwest-1"], ["organizations:*"])
	"iam-passrole-node-role" in ids
	every id in ids {
		startswith(id, "iam-")
	}
}

test_region_guard_allowing_iams_signing_region_refuses_nothing if {
	_refused("aws-cn", "cn-northwest-1", ["cn-northwest-1", "cn-north-1"], ["organizations:*"]) == set()
	_refused("aws-us-gov", "us-gov-west-1", ["us-gov-west-1"], ["organizations:*", "pricing:*"]) == set()
}

test_region_guard_refuses_pricing_outside_its_endpoint_region if {
	_refused("aws", "eu-west-1", ["eu-west-1"], _global) == {"pricing-getproducts"}
	_refused("aws", "eu-west-1", ["eu-west-1", "eu-central-1"], _global) == set()
}
