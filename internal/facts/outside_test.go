package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

func TestBuildRolesOutsideThePlan(t *testing.T) {
	const (
		outsideARN  = "arn:aws:iam::444455556666:role/teams/KarpenterController-imported"
		outsideName = "KarpenterController-imported"
	)
	tag := allow("Tag", "ec2:CreateTags", "arn:aws:ec2:eu-west-1:*:instance/*")
	p := withRole().
		create("aws_iam_role_policy.fix", map[string]any{"name": "fix", "role": outsideName, "policy": tag}).
		create("aws_iam_role_policy_attachment.ext", map[string]any{"role": outsideName, "policy_arn": otherARN}, "id")
	remainder := entry{Address: outsideARN, Kind: "outside", Status: "outside", Source: "none",
		Unknown: []string{"its other policies, permissions boundary and tags are outside the plan"}}
	attached := []entry{
		{Address: "aws_iam_role_policy.fix", Attribute: "policy", Kind: "role_policy", Status: "known", Source: "after", Sids: []string{"Tag"}},
		{Address: "aws_iam_role_policy_attachment.ext", Attribute: "policy_arn", Kind: "external", Via: "aws_iam_role_policy_attachment.ext",
			ARN: otherARN, Status: "external", Source: "none", Unknown: []string{otherARN}},
	}
	t.Run("an exact ARN names a role outside the plan, judged from the plan's attachments plus an open remainder", func(t *testing.T) {
		iam := p.build(t, facts.Options{Roles: []string{outsideARN}})
		r := role(t, iam, outsideARN)
		if diff := cmp.Diff(append([]entry{remainder}, attached...), entries(r)); diff != "" {
			t.Errorf("policies (-want +got):\n%s", diff)
		}
		if !r.Karpenter.Detected || r.Action != "outside" || r.Trust != nil || *r.Name != outsideName {
			t.Errorf("role = detected %v, action %q, trust %v, name %q", r.Karpenter.Detected, r.Action, r.Trust, *r.Name)
		}
		if r.Context == nil || r.Context.Account != "444455556666" || r.Context.Sources["account"] != "role-arn" {
			t.Errorf("the account comes from the role's ARN: %+v", r.Context)
		}
		if role(t, iam, roleAddr).Karpenter.Detected {
			t.Errorf("config lists only the outside role")
		}
		if iam.KarpenterRoles != 1 {
			t.Errorf("karpenter_roles = %d, want 1", iam.KarpenterRoles)
		}
	})
	t.Run("complete: true leaves no open remainder", func(t *testing.T) {
		iam := p.build(t, facts.Options{Roles: []string{outsideARN}, Complete: map[string]bool{outsideARN: true}})
		if diff := cmp.Diff(attached, entries(role(t, iam, outsideARN))); diff != "" {
			t.Errorf("policies (-want +got):\n%s", diff)
		}
	})
	t.Run("an exact name works like an ARN", func(t *testing.T) {
		iam := p.build(t, facts.Options{Roles: []string{"name:" + outsideName}})
		r := role(t, iam, "name:"+outsideName)
		if r.ARN != nil || len(r.Policies) != 3 {
			t.Errorf("arn %v, %d policies; want nil and 3", r.ARN, len(r.Policies))
		}
	})
	t.Run("a selector that names a role of the plan adds no outside role", func(t *testing.T) {
		for _, sel := range []string{roleARN, "name:" + roleName} {
			iam := p.build(t, facts.Options{Roles: []string{sel}})
			if len(iam.Roles) != 1 || !iam.Roles[0].Karpenter.Detected || iam.Roles[0].Address != roleAddr {
				t.Errorf("%s: roles %d, first %s detected %v", sel, len(iam.Roles), iam.Roles[0].Address, iam.Roles[0].Karpenter.Detected)
			}
		}
	})
	t.Run("a glob never names a role outside the plan", func(t *testing.T) {
		iam := p.build(t, facts.Options{Roles: []string{"name:Karpenter*-imported", "arn:aws:iam::*:role/x"}})
		if len(iam.Roles) != 1 {
			t.Errorf("got %d roles, want the plan's one", len(iam.Roles))
		}
	})
}
