# Test fixtures shared by the rule tests: real controller policies (raw IAM JSON, rendered for
# partition aws, region eu-west-1, account 123456789012, cluster ex), a test-only normalizer that
# turns them into the docs/input.md shape, and input builders.
package karpgate.lib.fixtures_test

region := "eu-west-1"

account := "123456789012"

cluster := "ex"

role_address := "module.karpenter.aws_iam_role.controller[0]"

policy_address := "module.karpenter.aws_iam_policy.controller[0]"

node_role_arn := "arn:aws:iam::123456789012:role/KarpenterNodeRole-ex"

queue_arn := "arn:aws:sqs:eu-west-1:123456789012:Karpenter-ex"

context := {
	"region": region, "account": account, "partition": "aws", "cluster": cluster,
	"regions": [region], "accounts": [account], "partitions": ["aws"],
	"r2": "ap-southeast-4",
	"sources": {"region": "provider", "account": "data.aws_caller_identity", "partition": "data.aws_partition", "cluster": "pod-identity"},
	"node_role_arns": [node_role_arn],
	"queue_arns": [queue_arn],
}

# input_for builds input with one Karpenter role holding policies (policy entries).
input_for(policies) := {"iam": {"roles": [role(policies)], "karpenter_roles": 1, "node_roles": []}}

input_with_context(policies, ctx) := {"iam": {"roles": [object.union(role(policies), {"context": ctx})], "karpenter_roles": 1, "node_roles": []}}

role(policies) := {
	"address": role_address,
	"module": "module.karpenter",
	"name": "KarpenterController-ex",
	"name_prefix": null,
	"arn": null,
	"action": "create",
	"karpenter": {"detected": true, "by": ["module", "pod-identity"]},
	"policies": policies,
	"context": context,
	"deployment": deployed_v1,
}

# deployed_v1 is the deployment of role(): Karpenter v1.0, the version before the change unknown
# (so both tagging variants of v1 apply), the features of deployed().
deployed_v1 := object.union(
	deployed("1.0", ""),
	{"upgrade_from": {"state": "unknown", "version": "", "minor": "", "source": "no prior helm_release version, no karpenter.upgrade_from"}},
)

# unversioned removes the deployment of a role input: the version is unknown.
unversioned(inp) := {"iam": object.union(inp.iam, {"roles": [object.remove(r, ["deployment"]) | some r in inp.iam.roles]})}

# known is a managed policy entry whose text is known; doc is raw IAM JSON.
known(address, doc) := {
	"address": address,
	"attribute": "policy",
	"kind": "managed",
	"via": concat("", [address, "_attachment"]),
	"arn": null,
	"status": "known",
	"source": "after",
	"unknown": [],
	"problems": [],
	"document": normalize(doc),
}

# partial is a deferred data.aws_iam_policy_document whose known statement blocks are doc's.
partial(address, doc) := object.union(known(address, doc), {
	"attribute": "json",
	"status": "partial",
	"source": concat("", ["statements:", address]),
	"unknown": [concat("", [address, ".json"])],
})

unknown(address) := {
	"address": address,
	"attribute": "policy",
	"kind": "managed",
	"via": concat("", [address, "_attachment"]),
	"arn": null,
	"status": "unknown",
	"source": "none",
	"unknown": [concat("", [address, ".policy"])],
	"problems": [],
	"document": null,
}

external(arn) := {
	"address": "module.karpenter.aws_iam_role_policy_attachment.controller_additional[\"extra\"]",
	"attribute": "policy_arn",
	"kind": "external",
	"via": "module.karpenter.aws_iam_role_policy_attachment.controller_additional[\"extra\"]",
	"arn": arn,
	"status": "external",
	"source": "none",
	"unknown": [],
	"problems": [],
	"document": null,
}

# ---------------------------------------------------------------------------------------------
# A test-only normalizer (internal/facts owns the real one).

normalize(doc) := {
	"version": object.get(doc, "Version", ""),
	"id": "",
	"statements": [_statement(s, i) | some i, s in _list(doc.Statement)],
}

_statement(s, i) := {
	"index": i,
	"sid": object.get(s, "Sid", ""),
	"effect": s.Effect,
	"actions": [lower(a) | some a in _list(object.get(s, "Action", []))],
	"not_actions": [lower(a) | some a in _list(object.get(s, "NotAction", []))],
	"resources": _list(object.get(s, "Resource", [])),
	"not_resources": _list(object.get(s, "NotResource", [])),
	"principals": _principals(object.get(s, "Principal", null)),
	"not_principals": _principals(object.get(s, "NotPrincipal", null)),
	"conditions": [_condition(op, k, v) |
		some op, keys in object.get(s, "Condition", {})
		some k, v in keys
	],
}

_principals(null) := {}

_principals("*") := {"*": ["*"]}

_principals(p) := {t: _list(ids) | some t, ids in p} if is_object(p)

_condition(op, key, values) := {
	"operator": op,
	"base": base,
	"set": set,
	"if_exists": endswith(lower(rest), "ifexists"),
	"key": lower(key),
	"values": [_string(v) | some v in _list(values)],
} if {
	parts := split(op, ":")
	set := _set(parts)
	rest := parts[count(parts) - 1]
	base := trim_suffix(lower(rest), "ifexists")
}

_set(parts) := lower(parts[0]) if count(parts) == 2

_set(parts) := "" if count(parts) == 1

_list(x) := x if is_array(x)

_list(x) := [x] if not is_array(x)

_string(v) := v if is_string(v)

_string(v) := json.marshal(v) if not is_string(v)

# ---------------------------------------------------------------------------------------------
# Statements.

instance_arns := [
	"arn:aws:ec2:eu-west-1:*:fleet/*",
	"arn:aws:ec2:eu-west-1:*:instance/*",
	"arn:aws:ec2:eu-west-1:*:volume/*",
	"arn:aws:ec2:eu-west-1:*:network-interface/*",
	"arn:aws:ec2:eu-west-1:*:launch-template/*",
	"arn:aws:ec2:eu-west-1:*:spot-instances-request/*",
]

scoped_resource_tagging := {
	"Sid": "AllowScopedResourceTagging",
	"Effect": "Allow",
	"Resource": "arn:aws:ec2:eu-west-1:*:instance/*",
	"Action": "ec2:CreateTags",
	"Condition": {
		"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/ex": "owned"},
		"StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
		"StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": "ex"},
		"ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]},
	},
}

scoped_resource_creation_tagging := {
	"Sid": "AllowScopedResourceCreationTagging",
	"Effect": "Allow",
	"Resource": instance_arns,
	"Action": "ec2:CreateTags",
	"Condition": {
		"StringEquals": {
			"aws:RequestTag/kubernetes.io/cluster/ex": "owned",
			"aws:RequestTag/eks:eks-cluster-name": "ex",
			"ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
		},
		"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
	},
}

node_lifecycle_statements := [
	{
		"Sid": "AllowScopedEC2InstanceAccessActions",
		"Effect": "Allow",
		"Resource": [
			"arn:aws:ec2:eu-west-1::image/*",
			"arn:aws:ec2:eu-west-1::snapshot/*",
			"arn:aws:ec2:eu-west-1:*:security-group/*",
			"arn:aws:ec2:eu-west-1:*:subnet/*",
		],
		"Action": ["ec2:RunInstances", "ec2:CreateFleet"],
	},
	{
		"Sid": "AllowScopedEC2LaunchTemplateAccessActions",
		"Effect": "Allow",
		"Resource": "arn:aws:ec2:eu-west-1:*:launch-template/*",
		"Action": ["ec2:RunInstances", "ec2:CreateFleet"],
		"Condition": {
			"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/ex": "owned"},
			"StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
		},
	},
	{
		"Sid": "AllowScopedEC2InstanceActionsWithTags",
		"Effect": "Allow",
		"Resource": instance_arns,
		"Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
		"Condition": {
			"StringEquals": {
				"aws:RequestTag/kubernetes.io/cluster/ex": "owned",
				"aws:RequestTag/eks:eks-cluster-name": "ex",
			},
			"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
		},
	},
	scoped_resource_creation_tagging,
	scoped_resource_tagging,
	{
		"Sid": "AllowScopedDeletion",
		"Effect": "Allow",
		"Resource": ["arn:aws:ec2:eu-west-1:*:instance/*", "arn:aws:ec2:eu-west-1:*:launch-template/*"],
		"Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
		"Condition": {
			"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/ex": "owned"},
			"StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
		},
	},
]

regional_read := {
	"Sid": "AllowRegionalReadActions",
	"Effect": "Allow",
	"Resource": "*",
	"Action": [
		"ec2:DescribeAvailabilityZones",
		"ec2:DescribeImages",
		"ec2:DescribeInstances",
		"ec2:DescribeInstanceTypeOfferings",
		"ec2:DescribeInstanceTypes",
		"ec2:DescribeLaunchTemplates",
		"ec2:DescribeSecurityGroups",
		"ec2:DescribeSpotPriceHistory",
		"ec2:DescribeSubnets",
	],
	"Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
}

ssm_read := {
	"Sid": "AllowSSMReadActions",
	"Effect": "Allow",
	"Resource": "arn:aws:ssm:eu-west-1::parameter/aws/service/*",
	"Action": "ssm:GetParameter",
}

pricing_read := {
	"Sid": "AllowPricingReadActions",
	"Effect": "Allow",
	"Resource": "*",
	"Action": "pricing:GetProducts",
}

interruption_queue := {
	"Sid": "AllowInterruptionQueueActions",
	"Effect": "Allow",
	"Resource": queue_arn,
	"Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
}

pass_instance_role := {
	"Sid": "AllowPassingInstanceRole",
	"Effect": "Allow",
	"Resource": node_role_arn,
	"Action": "iam:PassRole",
	"Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
}

instance_profile_statements := [
	{
		"Sid": "AllowScopedInstanceProfileCreationActions",
		"Effect": "Allow",
		"Resource": "arn:aws:iam::123456789012:instance-profile/*",
		"Action": ["iam:CreateInstanceProfile"],
		"Condition": {
			"StringEquals": {
				"aws:RequestTag/kubernetes.io/cluster/ex": "owned",
				"aws:RequestTag/eks:eks-cluster-name": "ex",
				"aws:RequestTag/topology.kubernetes.io/region": "eu-west-1",
			},
			"StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
		},
	},
	{
		"Sid": "AllowScopedInstanceProfileTagActions",
		"Effect": "Allow",
		"Resource": "arn:aws:iam::123456789012:instance-profile/*",
		"Action": ["iam:TagInstanceProfile"],
		"Condition": {
			"StringEquals": {
				"aws:ResourceTag/kubernetes.io/cluster/ex": "owned",
				"aws:ResourceTag/topology.kubernetes.io/region": "eu-west-1",
				"aws:RequestTag/kubernetes.io/cluster/ex": "owned",
				"aws:RequestTag/eks:eks-cluster-name": "ex",
				"aws:RequestTag/topology.kubernetes.io/region": "eu-west-1",
			},
			"StringLike": {
				"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
				"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
			},
		},
	},
	{
		"Sid": "AllowScopedInstanceProfileActions",
		"Effect": "Allow",
		"Resource": "arn:aws:iam::123456789012:instance-profile/*",
		"Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
		"Condition": {
			"StringEquals": {
				"aws:ResourceTag/kubernetes.io/cluster/ex": "owned",
				"aws:ResourceTag/topology.kubernetes.io/region": "eu-west-1",
			},
			"StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
		},
	},
	{
		"Sid": "AllowInstanceProfileReadActions",
		"Effect": "Allow",
		"Resource": "arn:aws:iam::123456789012:instance-profile/*",
		"Action": "iam:GetInstanceProfile",
	},
]

describe_cluster := {
	"Sid": "AllowAPIServerEndpointDiscovery",
	"Effect": "Allow",
	"Resource": "arn:aws:eks:eu-west-1:123456789012:cluster/ex",
	"Action": "eks:DescribeCluster",
}

# The upstream Karpenter v1.0 controller policy (karpenter-iam.md section 1.2), one document.
upstream_v1 := {"Version": "2012-10-17", "Statement": array.concat(
	node_lifecycle_statements,
	array.concat(
		[regional_read, ssm_read, pricing_read, interruption_queue, pass_instance_role],
		array.concat(instance_profile_statements, [describe_cluster]),
	),
)}

# The 2026 upstream layout: six managed policies (karpenter-iam.md section 1.5).
upstream_split := [
	known("aws_iam_policy.node_lifecycle", {"Version": "2012-10-17", "Statement": node_lifecycle_statements}),
	known("aws_iam_policy.iam_integration", {"Version": "2012-10-17", "Statement": array.concat(
		[object.union(pass_instance_role, {"Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}}})],
		array.slice(instance_profile_statements, 0, 3),
	)}),
	known("aws_iam_policy.eks_integration", {"Version": "2012-10-17", "Statement": [describe_cluster]}),
	known("aws_iam_policy.interruption", {"Version": "2012-10-17", "Statement": [interruption_queue]}),
	known("aws_iam_policy.resource_discovery", {"Version": "2012-10-17", "Statement": [
		object.union(regional_read, {"Action": [
			"ec2:DescribeCapacityReservations",
			"ec2:DescribeImages",
			"ec2:DescribeInstances",
			"ec2:DescribeInstanceStatus",
			"ec2:DescribeInstanceTypeOfferings",
			"ec2:DescribeInstanceTypes",
			"ec2:DescribeLaunchTemplates",
			"ec2:DescribePlacementGroups",
			"ec2:DescribeSecurityGroups",
			"ec2:DescribeSpotPriceHistory",
			"ec2:DescribeSubnets",
		]}),
		ssm_read,
		pricing_read,
		{"Sid": "AllowUnscopedInstanceProfileListAction", "Effect": "Allow", "Resource": "*", "Action": "iam:ListInstanceProfiles"},
		instance_profile_statements[3],
	]}),
	known("aws_iam_policy.zonal_shift", {"Version": "2012-10-17", "Statement": [{
		"Sid": "AllowZonalShiftStatusReadOnly",
		"Effect": "Allow",
		"Resource": "*",
		"Action": "arc-zonal-shift:GetManagedResource",
		"Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": "arn:aws:eks:eu-west-1:123456789012:cluster/ex"}},
	}]}),
]

# The v0.33-v0.37 policy (terraform-aws-eks v20.0-v20.23, and v20.24-v20.37 without
# enable_v1_permissions): region *, TagKeys [karpenter.sh/nodeclaim, Name], no eks:eks-cluster-name.
v033_tagging := {
	"Sid": "AllowScopedResourceTagging",
	"Effect": "Allow",
	"Resource": "arn:aws:ec2:*:*:instance/*",
	"Action": "ec2:CreateTags",
	"Condition": {
		"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/ex": "owned"},
		"StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
		"ForAllValues:StringEquals": {"aws:TagKeys": ["karpenter.sh/nodeclaim", "Name"]},
	},
}

v033_creation_tagging := {
	"Sid": "AllowScopedResourceCreationTagging",
	"Effect": "Allow",
	"Resource": [
		"arn:aws:ec2:*:*:fleet/*",
		"arn:aws:ec2:*:*:instance/*",
		"arn:aws:ec2:*:*:volume/*",
		"arn:aws:ec2:*:*:network-interface/*",
		"arn:aws:ec2:*:*:launch-template/*",
		"arn:aws:ec2:*:*:spot-instances-request/*",
	],
	"Action": "ec2:CreateTags",
	"Condition": {
		"StringEquals": {
			"aws:RequestTag/kubernetes.io/cluster/ex": "owned",
			"ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
		},
		"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
	},
}

v033 := {"Version": "2012-10-17", "Statement": [
	{
		"Sid": "AllowScopedEC2InstanceActions",
		"Effect": "Allow",
		"Resource": [
			"arn:aws:ec2:*::image/*",
			"arn:aws:ec2:*::snapshot/*",
			"arn:aws:ec2:*:*:spot-instances-request/*",
			"arn:aws:ec2:*:*:security-group/*",
			"arn:aws:ec2:*:*:subnet/*",
			"arn:aws:ec2:*:*:launch-template/*",
		],
		"Action": ["ec2:RunInstances", "ec2:CreateFleet"],
	},
	{
		"Sid": "AllowScopedEC2InstanceActionsWithTags",
		"Effect": "Allow",
		"Resource": [
			"arn:aws:ec2:*:*:fleet/*",
			"arn:aws:ec2:*:*:instance/*",
			"arn:aws:ec2:*:*:volume/*",
			"arn:aws:ec2:*:*:network-interface/*",
			"arn:aws:ec2:*:*:launch-template/*",
			"arn:aws:ec2:*:*:spot-instances-request/*",
		],
		"Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
		"Condition": {
			"StringEquals": {"aws:RequestTag/kubernetes.io/cluster/ex": "owned"},
			"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
		},
	},
	v033_creation_tagging,
	v033_tagging,
	{
		"Sid": "AllowScopedDeletion",
		"Effect": "Allow",
		"Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:launch-template/*"],
		"Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
		"Condition": {
			"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/ex": "owned"},
			"StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
		},
	},
	regional_read,
	ssm_read,
	pricing_read,
	object.union(interruption_queue, {"Action": ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]}),
	object.union(pass_instance_role, {"Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}),
	{
		"Sid": "AllowScopedInstanceProfileCreationActions",
		"Effect": "Allow",
		"Resource": "*",
		"Action": "iam:CreateInstanceProfile",
		"Condition": {
			"StringEquals": {
				"aws:RequestTag/kubernetes.io/cluster/ex": "owned",
				"aws:RequestTag/topology.kubernetes.io/region": "eu-west-1",
			},
			"StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
		},
	},
	{
		"Sid": "AllowScopedInstanceProfileTagActions",
		"Effect": "Allow",
		"Resource": "*",
		"Action": "iam:TagInstanceProfile",
		"Condition": {
			"StringEquals": {
				"aws:ResourceTag/kubernetes.io/cluster/ex": "owned",
				"aws:ResourceTag/topology.kubernetes.io/region": "eu-west-1",
				"aws:RequestTag/kubernetes.io/cluster/ex": "owned",
			},
			"StringLike": {
				"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
				"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
			},
		},
	},
	{
		"Sid": "AllowScopedInstanceProfileActions",
		"Effect": "Allow",
		"Resource": "*",
		"Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
		"Condition": {
			"StringEquals": {
				"aws:ResourceTag/kubernetes.io/cluster/ex": "owned",
				"aws:ResourceTag/topology.kubernetes.io/region": "eu-west-1",
			},
			"StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
		},
	},
	{"Sid": "AllowInstanceProfileReadActions", "Effect": "Allow", "Resource": "*", "Action": "iam:GetInstanceProfile"},
	describe_cluster,
]}

# terraform-aws-eks v19 modules/karpenter (data.aws_iam_policy_document.irsa): CreateTags and
# friends on "*" without a condition.
v19 := {"Version": "2012-10-17", "Statement": [
	{
		"Effect": "Allow",
		"Resource": "*",
		"Action": [
			"ec2:CreateLaunchTemplate",
			"ec2:CreateFleet",
			"ec2:CreateTags",
			"ec2:DescribeLaunchTemplates",
			"ec2:DescribeImages",
			"ec2:DescribeInstances",
			"ec2:DescribeSecurityGroups",
			"ec2:DescribeSubnets",
			"ec2:DescribeInstanceTypes",
			"ec2:DescribeInstanceTypeOfferings",
			"ec2:DescribeAvailabilityZones",
			"ec2:DescribeSpotPriceHistory",
			"pricing:GetProducts",
		],
	},
	{
		"Effect": "Allow",
		"Resource": "*",
		"Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
		"Condition": {"StringEquals": {"ec2:ResourceTag/karpenter.sh/discovery": "ex"}},
	},
	{
		"Effect": "Allow",
		"Resource": "arn:aws:ec2:*:123456789012:launch-template/*",
		"Action": "ec2:RunInstances",
		"Condition": {"StringEquals": {"ec2:ResourceTag/karpenter.sh/discovery": "ex"}},
	},
	{
		"Effect": "Allow",
		"Resource": [
			"arn:aws:ec2:*::image/*",
			"arn:aws:ec2:*::snapshot/*",
			"arn:aws:ec2:*:123456789012:instance/*",
			"arn:aws:ec2:*:123456789012:spot-instances-request/*",
			"arn:aws:ec2:*:123456789012:security-group/*",
			"arn:aws:ec2:*:123456789012:volume/*",
			"arn:aws:ec2:*:123456789012:network-interface/*",
			"arn:aws:ec2:*:123456789012:subnet/*",
		],
		"Action": "ec2:RunInstances",
	},
	{"Effect": "Allow", "Resource": "arn:aws:ssm:*:*:parameter/aws/service/*", "Action": "ssm:GetParameter"},
	{"Effect": "Allow", "Resource": "arn:aws:eks:*:123456789012:cluster/ex", "Action": "eks:DescribeCluster"},
	{"Effect": "Allow", "Resource": node_role_arn, "Action": "iam:PassRole"},
	{"Effect": "Allow", "Resource": queue_arn, "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]},
]}

# The widely shared fix for the v1 CreateTags error: every region's instances, region by condition.
common_fix := {
	"Sid": "AllowKarpenterV1Tagging",
	"Effect": "Allow",
	"Resource": "arn:aws:ec2:*:*:instance/*",
	"Action": "ec2:CreateTags",
	"Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
}

# with_statements returns doc with statements appended.
with_statements(doc, statements) := object.union(doc, {"Statement": array.concat(doc.Statement, statements)})

# without_sid returns doc without the statements called sid.
without_sid(doc, sid) := object.union(doc, {"Statement": [s | some s in doc.Statement; object.get(s, "Sid", "") != sid]})

# upstream_input is the upstream v1.0 policy as one known managed policy.
upstream_input := input_for([known(policy_address, upstream_v1)])

# deployed is a role's deployment (docs/input.md "deployment"): Karpenter minor version v (e.g.
# "1.0") upgraded from "from" ("" when the release is created in the plan), with an EC2NodeClass
# using spec.role and an AL2023 alias, spot NodePools and an interruption queue; every setting
# at the chart default.
deployed(v, from) := {
	"version": {"state": "known", "version": concat("", [v, ".0"]), "minor": v, "source": "chart version of helm_release.karpenter"},
	"upgrade_from": _from(from),
	"release": "helm_release.karpenter",
	"features": object.union(
		{name: {"state": "default", "source": "chart default"} | some name, _ in data.karpgate.karpenter.requests.features},
		{name: {"state": "on", "source": "test"} | some name in ["spot", "nodeclass_role", "alias_ami", "al2023", "interruption_queue"]},
	),
}

_from("") := {"state": "none", "version": "", "minor": "", "source": "helm_release.karpenter is created in this plan"}

_from(from) := {"state": "known", "version": concat("", [from, ".0"]), "minor": from, "source": "prior version of helm_release.karpenter"} if from != ""

# input_deployed is input_for with the role's deployment set.
input_deployed(policies, dep) := {"iam": {"roles": [object.union(role(policies), {"deployment": dep})], "karpenter_roles": 1, "node_roles": []}}

# upstream_v1_input is upstream_input for a Karpenter v1.0 release created in the plan.
upstream_v1_input := input_deployed([known(policy_address, upstream_v1)], deployed("1.0", ""))
