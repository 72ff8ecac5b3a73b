package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

// TestPrincipalTags: aws:PrincipalTag is the pod identity session tag, else the role's own tag
// (RULES.md 3b.4); unknown role tags leave every principal tag open (nil).
func TestPrincipalTags(t *testing.T) {
	pia := map[string]any{"cluster_name": "green", "namespace": "kube-system", "service_account": "karpenter", "role_arn": roleARN}
	roleVals := func(tags map[string]any) map[string]any {
		return map[string]any{"name": roleName, "arn": roleARN, "assume_role_policy": podTrust, "tags_all": tags}
	}
	opt := facts.Options{Region: "eu-west-1", Account: "111122223333", Partition: "aws"}
	tests := []struct {
		name string
		plan func() *tplan
		want *facts.PrincipalTags
	}{
		{
			name: "pod identity: the session tags win over the role's tags; the pod's name and uid are open",
			plan: func() *tplan {
				return newPlan().noop(roleAddr, roleVals(map[string]any{"team": "platform", "eks-cluster-name": "old"})).
					noop("aws_eks_pod_identity_association.k", pia)
			},
			want: &facts.PrincipalTags{
				Known: map[string]string{
					"team": "platform", "eks-cluster-name": "green", "kubernetes-namespace": "kube-system",
					"kubernetes-service-account": "karpenter", "eks-cluster-arn": "arn:aws:eks:eu-west-1:111122223333:cluster/green",
				},
				Open: []string{"kubernetes-pod-name", "kubernetes-pod-uid"},
			},
		},
		{
			name: "no association: the role's own tags only",
			plan: func() *tplan { return newPlan().noop(roleAddr, roleVals(map[string]any{"team": "platform"})) },
			want: &facts.PrincipalTags{Known: map[string]string{"team": "platform"}, Open: []string{}},
		},
		{
			name: "the role's tags are unknown until apply: every principal tag is open",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn", "tags_all")
			},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := tt.plan().build(t, opt)
			c := role(t, iam, roleAddr).Context
			if c == nil {
				t.Fatal("the role is not a Karpenter role")
			}
			if diff := cmp.Diff(tt.want, c.PrincipalTags); diff != "" {
				t.Errorf("principal tags (-want +got):\n%s", diff)
			}
		})
	}
}
