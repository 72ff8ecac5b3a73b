package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/karpgate/karpgate/internal/facts"
)

func TestBuildContextParameters(t *testing.T) {
	// A policy that names region eu-central-1 twice and us-west-2 once, account 444455556666 and
	// partition aws-cn, and the cluster Blue in a condition key.
	policyText := jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "Tag", "Effect": "Allow", "Action": "ec2:CreateTags",
			"Resource":  []any{"arn:aws-cn:ec2:eu-central-1:444455556666:instance/*", "arn:aws-cn:ec2:eu-central-1:*:volume/*", "arn:aws-cn:ec2:us-west-2:*:instance/*"},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/kubernetes.io/cluster/Blue": "owned"}}},
		map[string]any{"Sid": "Managed", "Effect": "Allow", "Action": "iam:GetPolicy", "Resource": "arn:aws:iam::aws:policy/*"},
	}})
	withPolicy := func(p *tplan) *tplan {
		return p.create("aws_iam_role_policy.rp", map[string]any{"role": roleName, "policy": policyText})
	}
	bare := func() *tplan {
		return newPlan().noop(roleAddr, map[string]any{"name": roleName, "arn": roleARN, "assume_role_policy": podTrust})
	}
	pia := map[string]any{"cluster_name": "green", "service_account": "karpenter", "role_arn": roleARN}
	tests := []struct {
		name string
		plan func() *tplan
		opt  facts.Options
		want facts.Context
	}{
		{
			name: "nothing known: every parameter unknown, candidates named nowhere, no default",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn")
			},
			want: facts.Context{Region: "", Account: "", Partition: "", Cluster: "",
				Regions: []string{"ap-southeast-4"}, Accounts: []string{"999999999999"}, Partitions: []string{"aws"}, Clusters: []string{"karpgate-unnamed-cluster"},
				Sources: map[string]string{"region": "unknown", "account": "unknown", "partition": "unknown", "cluster": "unknown"}},
		},
		{
			name: "the role's own ARN names its account and partition",
			plan: bare,
			want: facts.Context{Region: "", Account: "111122223333", Partition: "aws", Cluster: "",
				Regions: []string{"ap-southeast-4"}, Accounts: []string{"111122223333"}, Partitions: []string{"aws"}, Clusters: []string{"karpgate-unnamed-cluster"},
				Sources: map[string]string{"region": "unknown", "account": "role-arn", "partition": "role-arn", "cluster": "unknown"}},
		},
		{
			name: "names in the role's own policies are candidates, never values (RULES.md 5.2, 4.7)",
			plan: func() *tplan {
				return withPolicy(newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn"))
			},
			want: facts.Context{Region: "", Account: "", Partition: "", Cluster: "",
				Regions: []string{"eu-central-1", "us-west-2", "ap-southeast-4"}, Accounts: []string{"444455556666", "999999999999"},
				Partitions: []string{"aws", "aws-cn", "aws-us-gov"}, Clusters: []string{"Blue", "karpgate-unnamed-cluster"},
				Sources: map[string]string{"region": "unknown", "account": "unknown", "partition": "unknown", "cluster": "unknown"}},
		},
		{
			name: "the plan: the role's ARN before data.aws_caller_identity, the association's provider region and cluster",
			plan: func() *tplan {
				return withPolicy(bare()).provider("eu-west-1").
					state("data.aws_region.current", map[string]any{"name": "ap-south-1"}).
					state("data.aws_caller_identity.current", map[string]any{"account_id": "999988887777"}).
					state("data.aws_partition.current", map[string]any{"partition": "aws-us-gov"}).
					noop("aws_eks_pod_identity_association.k", pia)
			},
			want: facts.Context{Region: "eu-west-1", Account: "111122223333", Partition: "aws", Cluster: "green",
				Regions: []string{"eu-west-1"}, Accounts: []string{"111122223333"}, Partitions: []string{"aws"}, Clusters: []string{"green"},
				Sources: map[string]string{"region": "provider", "account": "role-arn", "partition": "role-arn", "cluster": "pod-identity"}},
		},
		{
			name: "data sources when nothing stronger says: data.aws_region (provider 6 writes region), data.aws_partition",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn").
					state("data.aws_region.current", map[string]any{"region": "ap-south-1"}).
					state("data.aws_caller_identity.current", map[string]any{"account_id": "111122223333"}).
					state("data.aws_partition.current", map[string]any{"partition": "aws"})
			},
			want: facts.Context{Region: "ap-south-1", Account: "111122223333", Partition: "aws", Cluster: "",
				Regions: []string{"ap-south-1"}, Accounts: []string{"111122223333"}, Partitions: []string{"aws"}, Clusters: []string{"karpgate-unnamed-cluster"},
				Sources: map[string]string{"region": "data.aws_region", "account": "data.aws_caller_identity", "partition": "data.aws_partition", "cluster": "unknown"}},
		},
		{
			name: "the partition of the region when nothing else names it",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn").
					state("data.aws_region.current", map[string]any{"name": "cn-northwest-1"})
			},
			want: facts.Context{Region: "cn-northwest-1", Account: "", Partition: "aws-cn", Cluster: "",
				Regions: []string{"cn-northwest-1"}, Accounts: []string{"999999999999"}, Partitions: []string{"aws-cn"}, Clusters: []string{"karpgate-unnamed-cluster"},
				Sources: map[string]string{"region": "data.aws_region", "account": "unknown", "partition": "region", "cluster": "unknown"}},
		},
		{
			name: "two associations naming different clusters: equal rank disagrees, the cluster is unknown",
			plan: func() *tplan {
				return bare().provider("eu-west-1").noop("aws_eks_pod_identity_association.k", pia).
					noop("aws_eks_pod_identity_association.l", map[string]any{"cluster_name": "blue", "service_account": "karpenter", "role_arn": roleARN})
			},
			want: facts.Context{Region: "eu-west-1", Account: "111122223333", Partition: "aws", Cluster: "",
				Regions: []string{"eu-west-1"}, Accounts: []string{"111122223333"}, Partitions: []string{"aws"}, Clusters: []string{"blue", "green", "karpgate-unnamed-cluster"},
				Sources: map[string]string{"region": "provider", "account": "role-arn", "partition": "role-arn", "cluster": "unknown: pod-identity disagree"}},
		},
		{
			name: "the config wins over everything",
			plan: func() *tplan {
				return withPolicy(bare()).provider("eu-west-1").
					state("data.aws_caller_identity.current", map[string]any{"account_id": "111122223333"}).
					noop("aws_eks_pod_identity_association.k", pia)
			},
			opt: facts.Options{Region: "sa-east-1", Account: "999988887777", Partition: "aws-iso", Cluster: "red"},
			want: facts.Context{Region: "sa-east-1", Account: "999988887777", Partition: "aws-iso", Cluster: "red",
				Regions: []string{"sa-east-1"}, Accounts: []string{"999988887777"}, Partitions: []string{"aws-iso"}, Clusters: []string{"red"},
				Sources: map[string]string{"region": "config", "account": "config", "partition": "config", "cluster": "config"}},
		},
		{
			name: "a karpenter.roles entry's own values win over the global ones",
			plan: func() *tplan {
				return bare().provider("eu-west-1")
			},
			opt: facts.Options{Region: "sa-east-1", Cluster: "red", Roles: []string{roleAddr},
				PerRole: []facts.RoleOptions{{Selector: "name:" + roleName, Region: "us-west-2", Cluster: "prod"}}},
			want: facts.Context{Region: "us-west-2", Account: "111122223333", Partition: "aws", Cluster: "prod",
				Regions: []string{"us-west-2"}, Accounts: []string{"111122223333"}, Partitions: []string{"aws"}, Clusters: []string{"prod"},
				Sources: map[string]string{"region": "config", "account": "role-arn", "partition": "role-arn", "cluster": "config"}},
		},
	}
	ignore := cmpopts.IgnoreFields(facts.Context{}, "R2", "NodeRoleARNs", "NodeRoleUnknown", "QueueARNs", "PodIdentity", "EBSKMSKeyARNs", "PrincipalTags")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := tt.plan().build(t, tt.opt)
			got := role(t, iam, roleAddr).Context
			if got == nil {
				t.Fatal("no context: the role is not detected as a Karpenter role")
			}
			if diff := cmp.Diff(tt.want, *got, ignore); diff != "" {
				t.Errorf("context (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildContextPrefersTheRolesModule(t *testing.T) {
	iam := newPlan().
		create("module.a.aws_iam_role.x", map[string]any{"name": "x", "assume_role_policy": podTrust}, "arn").
		create("module.b.aws_iam_role.y", map[string]any{"name": "y", "assume_role_policy": podTrust}, "arn").
		state("module.a.data.aws_caller_identity.c", map[string]any{"account_id": "111111111111"}).
		state("data.aws_caller_identity.c", map[string]any{"account_id": "222222222222"}).
		state("module.z.data.aws_caller_identity.c", map[string]any{"account_id": "333333333333"}).
		build(t, facts.Options{Roles: []string{"*"}})
	if got := role(t, iam, "module.a.aws_iam_role.x").Context.Account; got != "111111111111" {
		t.Errorf("module.a role account = %s, want its own module's 111111111111", got)
	}
	if got := role(t, iam, "module.b.aws_iam_role.y").Context.Account; got != "222222222222" {
		t.Errorf("module.b role account = %s, want the root module's 222222222222", got)
	}
}

func TestBuildContextR2IsNamedNowhere(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		opt    facts.Options
		want   string
	}{
		{"no policy: the first region of the list", "", facts.Options{}, "ap-southeast-4"},
		{"a region named in a resource ARN is skipped",
			allow("A", "ec2:CreateTags", "arn:aws:ec2:ap-southeast-4:*:instance/*"), facts.Options{}, "me-central-1"},
		{"regions named in resources and condition values and the config are all skipped",
			jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:ap-southeast-4:*:instance/*",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": []any{"me-central-1", "il-central-1"}}}}}}),
			facts.Options{Region: "ca-west-1"}, "ap-south-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := withRole()
			if tt.policy != "" {
				p.create("aws_iam_role_policy.rp", map[string]any{"role": roleName, "policy": tt.policy})
			}
			if got := role(t, p.build(t, tt.opt), roleAddr).Context.R2; got != tt.want {
				t.Errorf("R2 = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBuildContextPassRoleTargetsAndQueues(t *testing.T) {
	const nodeARN = "arn:aws:iam::111122223333:role/KarpenterNode-prod"
	const queue = "arn:aws:sqs:eu-west-1:111122223333:Karpenter-prod"
	text := jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "PassRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": nodeARN},
		map[string]any{"Sid": "Queue", "Effect": "Allow", "Action": []any{"sqs:ReceiveMessage", "sqs:DeleteMessage"}, "Resource": []any{queue, queue, "arn:aws:sqs:*:*:*"}},
	}})
	iam := withRole().
		noop("aws_iam_role.node", map[string]any{"name": "KarpenterNode-prod", "arn": nodeARN, "assume_role_policy": ec2Trust}).
		noop("aws_iam_role.other_node", map[string]any{"name": "OtherNode", "arn": "arn:aws:iam::111122223333:role/OtherNode", "assume_role_policy": ec2Trust}).
		create("aws_iam_role_policy.rp", map[string]any{"role": roleName, "policy": text}).
		build(t, facts.Options{})
	c := role(t, iam, roleAddr).Context
	if diff := cmp.Diff([]string{nodeARN}, c.NodeRoleARNs); diff != "" {
		t.Errorf("node_role_arns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{queue}, c.QueueARNs); diff != "" {
		t.Errorf("queue_arns (-want +got):\n%s", diff)
	}
}

func TestBuildLeavesContextOutForOtherRoles(t *testing.T) {
	iam := newPlan().
		noop("aws_iam_role.lambda", map[string]any{"name": "lambda", "arn": "arn:aws:iam::111122223333:role/lambda", "assume_role_policy": podTrust}).
		build(t, facts.Options{Roles: []string{"aws_iam_role.other"}})
	if c := role(t, iam, "aws_iam_role.lambda").Context; c != nil {
		t.Errorf("a role that is not Karpenter's got request parameters: %+v", c)
	}
}

// TestBuildContextPodIdentity: each live association bound to the role, with its session tags on
// unless disable_session_tags is true, unknown when it is unknown until apply.
func TestBuildContextPodIdentity(t *testing.T) {
	const roleAddr, roleARN = "aws_iam_role.k", "arn:aws:iam::111122223333:role/karpenter"
	iam := newPlan().
		noop(roleAddr, map[string]any{"name": "karpenter", "arn": roleARN, "assume_role_policy": podTrust}).
		noop("aws_eks_pod_identity_association.a", map[string]any{"cluster_name": "green", "namespace": "kube-system", "service_account": "karpenter", "role_arn": roleARN}).
		noop("aws_eks_pod_identity_association.b", map[string]any{"cluster_name": "blue", "namespace": "karpenter", "service_account": "karpenter", "role_arn": roleARN, "disable_session_tags": true}).
		create("aws_eks_pod_identity_association.c", map[string]any{"cluster_name": "red", "namespace": "karpenter", "service_account": "karpenter", "role_arn": roleARN}, "disable_session_tags").
		noop("aws_eks_pod_identity_association.other", map[string]any{"cluster_name": "green", "namespace": "x", "service_account": "karpenter", "role_arn": "arn:aws:iam::111122223333:role/other"}).
		build(t, facts.Options{})
	got := role(t, iam, roleAddr).Context.PodIdentity
	on, off := true, false
	want := []facts.PodIdentityBinding{
		{Address: "aws_eks_pod_identity_association.a", Cluster: "green", Namespace: "kube-system", ServiceAccount: "karpenter", SessionTags: &on},
		{Address: "aws_eks_pod_identity_association.b", Cluster: "blue", Namespace: "karpenter", ServiceAccount: "karpenter", SessionTags: &off},
		{Address: "aws_eks_pod_identity_association.c", Cluster: "red", Namespace: "karpenter", ServiceAccount: "karpenter"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pod identity (-want +got):\n%s", diff)
	}
}
