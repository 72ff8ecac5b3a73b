package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

const (
	fixARN   = "arn:aws:iam::111122223333:policy/KarpenterTaggingFix"
	otherARN = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
)

// removedRow is the comparable projection of a facts.Removed.
type removedRow struct{ Address, Attribute, ARN, Name, By string }

func removedRows(r *facts.Role) []removedRow {
	var out []removedRow
	for _, x := range r.Removed {
		row := removedRow{Address: x.Address, Attribute: x.Attribute, By: x.By}
		if x.ARN != nil {
			row.ARN = *x.ARN
		}
		if x.Name != nil {
			row.Name = *x.Name
		}
		out = append(out, row)
	}
	return out
}

func TestBuildTerraformAttachmentSemantics(t *testing.T) {
	tag := allow("Tag", "ec2:CreateTags", "arn:aws:ec2:eu-west-1:*:instance/*")
	read := allow("Read", "ec2:DescribeInstances", "*")
	// existing: the unchanged role, with what AWS reports attached to it.
	existing := func(managed []any, inline []any) *tplan {
		vals := map[string]any{"name": roleName, "arn": roleARN, "assume_role_policy": podTrust, "managed_policy_arns": managed, "inline_policy": inline}
		return newPlan().provider("eu-west-1").noop(roleAddr, vals)
	}
	fixPolicy := func(p *tplan) *tplan {
		return p.noop("aws_iam_policy.fix", map[string]any{"arn": fixARN, "policy": tag})
	}
	fixEntry := func(via string) entry {
		return entry{Address: "aws_iam_policy.fix", Attribute: "policy", Kind: "managed", Via: via, ARN: fixARN, Status: "known", Source: "after", Sids: []string{"Tag"}}
	}
	external := func(addr, attr, arn string) entry {
		return entry{Address: addr, Attribute: attr, Kind: "external", Via: addr, ARN: arn, Status: "external", Source: "none", Unknown: []string{arn}}
	}
	tests := []struct {
		name        string
		plan        func() *tplan
		want        []entry
		wantRemoved []removedRow
	}{
		{
			name: "managed_policy_arns in the configuration is exactly what the role has: an attachment of another policy is removed",
			plan: func() *tplan {
				p := fixPolicy(newPlan().provider("eu-west-1")).
					create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust, "managed_policy_arns": []any{otherARN}}, "arn").
					create("aws_iam_role_policy_attachment.fix", map[string]any{"role": roleName, "policy_arn": fixARN}, "id")
				return p.ref(roleAddr, "managed_policy_arns")
			},
			want:        []entry{external(roleAddr, "managed_policy_arns", otherARN)},
			wantRemoved: []removedRow{{Address: "aws_iam_role_policy_attachment.fix", Attribute: "policy_arn", ARN: fixARN, By: roleAddr}},
		},
		{
			name: "managed_policy_arns naming a policy of the plan carries its text",
			plan: func() *tplan {
				p := fixPolicy(newPlan().provider("eu-west-1")).
					create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust, "managed_policy_arns": []any{fixARN}}, "arn")
				return p.ref(roleAddr, "managed_policy_arns")
			},
			want: []entry{fixEntry(roleAddr)},
		},
		{
			name: "an existing role keeps what AWS reports attached (attachments made outside Terraform)",
			plan: func() *tplan { return existing([]any{otherARN}, []any{}) },
			want: []entry{external(roleAddr, "managed_policy_arns", otherARN)},
		},
		{
			name: "a prior attachment this plan deletes is gone; one it attaches again counts once",
			plan: func() *tplan {
				p := fixPolicy(existing([]any{otherARN, fixARN}, []any{})).
					state("aws_iam_role_policy_attachment.old", map[string]any{"role": roleName, "policy_arn": otherARN}).
					change("aws_iam_role_policy_attachment.old", []string{"delete"}, map[string]any{"role": roleName, "policy_arn": otherARN}, nil).
					noop("aws_iam_role_policy_attachment.fix", map[string]any{"role": roleName, "policy_arn": fixARN})
				return p
			},
			want: []entry{fixEntry("aws_iam_role_policy_attachment.fix")},
		},
		{
			name: "a forgotten attachment (removed block, destroy = false) stays attached",
			plan: func() *tplan {
				return fixPolicy(withRole()).
					state("aws_iam_role_policy_attachment.fix", map[string]any{"role": roleName, "policy_arn": fixARN}).
					change("aws_iam_role_policy_attachment.fix", []string{"forget"}, map[string]any{"role": roleName, "policy_arn": fixARN}, nil)
			},
			want: []entry{fixEntry("aws_iam_role_policy_attachment.fix")},
		},
		{
			name: "aws_iam_role_policy_attachments_exclusive keeps only its policy_arns",
			plan: func() *tplan {
				return fixPolicy(existing([]any{otherARN}, []any{})).
					create("aws_iam_role_policy_attachment.fix", map[string]any{"role": roleName, "policy_arn": fixARN}, "id").
					create("aws_iam_role_policy_attachments_exclusive.only", map[string]any{"role_name": roleName, "policy_arns": []any{otherARN}})
			},
			want:        []entry{external("aws_iam_role_policy_attachments_exclusive.only", "policy_arns", otherARN)},
			wantRemoved: []removedRow{{Address: "aws_iam_role_policy_attachment.fix", Attribute: "policy_arn", ARN: fixARN, By: "aws_iam_role_policy_attachments_exclusive.only"}},
		},
		{
			name: "deleting an exclusive resource detaches nothing",
			plan: func() *tplan {
				return fixPolicy(withRole()).
					create("aws_iam_role_policy_attachment.fix", map[string]any{"role": roleName, "policy_arn": fixARN}, "id").
					state("aws_iam_role_policy_attachments_exclusive.only", map[string]any{"role_name": roleName, "policy_arns": []any{otherARN}}).
					change("aws_iam_role_policy_attachments_exclusive.only", []string{"delete"}, map[string]any{"role_name": roleName, "policy_arns": []any{otherARN}}, nil)
			},
			want: []entry{fixEntry("aws_iam_role_policy_attachment.fix")},
		},
		{
			name: "an aws_iam_policy_attachment of the same policy that does not list the role removes it",
			plan: func() *tplan {
				return fixPolicy(withRole()).
					noop("aws_iam_role.other", map[string]any{"name": "other", "arn": "arn:aws:iam::111122223333:role/other", "assume_role_policy": lambdaTrust}).
					create("aws_iam_role_policy_attachment.fix", map[string]any{"role": roleName, "policy_arn": fixARN}, "id").
					create("aws_iam_policy_attachment.shared", map[string]any{"name": "shared", "roles": []any{"other"}, "policy_arn": fixARN}, "id")
			},
			wantRemoved: []removedRow{{Address: "aws_iam_role_policy_attachment.fix", Attribute: "policy_arn", ARN: fixARN, By: "aws_iam_policy_attachment.shared"}},
		},
		{
			name: "an aws_iam_policy_attachment that lists the role keeps it",
			plan: func() *tplan {
				return fixPolicy(withRole()).
					create("aws_iam_policy_attachment.shared", map[string]any{"name": "shared", "roles": []any{roleName}, "policy_arn": fixARN}, "id")
			},
			want: []entry{fixEntry("aws_iam_policy_attachment.shared")},
		},
		{
			name: "configured inline_policy blocks are exclusive: an aws_iam_role_policy is removed",
			plan: func() *tplan {
				return newPlan().provider("eu-west-1").
					create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust,
						"inline_policy": []any{map[string]any{"name": "read", "policy": read}}}, "arn").
					create("aws_iam_role_policy.fix", map[string]any{"name": "fix", "role": roleName, "policy": tag})
			},
			want:        []entry{{Address: roleAddr, Attribute: "inline_policy[0].policy", Kind: "inline", Status: "known", Source: "after", Sids: []string{"Read"}}},
			wantRemoved: []removedRow{{Address: "aws_iam_role_policy.fix", Attribute: "policy", Name: "fix", By: roleAddr}},
		},
		{
			name: "an existing role's inline policies count once by name, minus those this plan deletes",
			plan: func() *tplan {
				return existing([]any{}, []any{
					map[string]any{"name": "fix", "policy": tag},
					map[string]any{"name": "old", "policy": read},
					map[string]any{"name": "console", "policy": read},
				}).
					noop("aws_iam_role_policy.fix", map[string]any{"name": "fix", "role": roleName, "policy": tag}).
					state("aws_iam_role_policy.old", map[string]any{"name": "old", "role": roleName, "policy": read}).
					change("aws_iam_role_policy.old", []string{"delete"}, map[string]any{"name": "old", "role": roleName, "policy": read}, nil)
			},
			want: []entry{
				{Address: roleAddr, Attribute: "inline_policy[2].policy", Kind: "inline", Status: "known", Source: "after", Sids: []string{"Read"}},
				{Address: "aws_iam_role_policy.fix", Attribute: "policy", Kind: "role_policy", Status: "known", Source: "after", Sids: []string{"Tag"}},
			},
		},
		{
			name: "aws_iam_role_policies_exclusive keeps only its policy_names",
			plan: func() *tplan {
				return existing([]any{}, []any{map[string]any{"name": "console", "policy": read}}).
					create("aws_iam_role_policy.fix", map[string]any{"name": "fix", "role": roleName, "policy": tag}).
					create("aws_iam_role_policies_exclusive.only", map[string]any{"role_name": roleName, "policy_names": []any{"console"}})
			},
			want:        []entry{{Address: roleAddr, Attribute: "inline_policy[0].policy", Kind: "inline", Status: "known", Source: "after", Sids: []string{"Read"}}},
			wantRemoved: []removedRow{{Address: "aws_iam_role_policy.fix", Attribute: "policy", Name: "fix", By: "aws_iam_role_policies_exclusive.only"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := tt.plan().build(t, facts.Options{})
			r := role(t, iam, roleAddr)
			if diff := cmp.Diff(tt.want, entries(r)); diff != "" {
				t.Errorf("policies (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRemoved, removedRows(r)); diff != "" {
				t.Errorf("removed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildEachKeyResolvesToTheSameInstanceAndNeverToADeletedOne(t *testing.T) {
	const (
		polA = "arn:aws:iam::111122223333:policy/a"
		polB = "arn:aws:iam::111122223333:policy/b"
	)
	p := newPlan().provider("eu-west-1").
		noop(`aws_iam_role.r["a"]`, map[string]any{"name": "karpenter-a", "arn": "arn:aws:iam::111122223333:role/karpenter-a", "assume_role_policy": podTrust}).
		noop(`aws_iam_role.r["b"]`, map[string]any{"name": "karpenter-b", "arn": "arn:aws:iam::111122223333:role/karpenter-b", "assume_role_policy": podTrust}).
		noop(`aws_iam_policy.p["a"]`, map[string]any{"arn": polA, "policy": allow("A", "ec2:CreateTags", "*")}).
		state(`aws_iam_policy.p["b"]`, map[string]any{"arn": polB, "policy": allow("B", "ec2:CreateTags", "*")}).
		change(`aws_iam_policy.p["b"]`, []string{"delete"}, map[string]any{"arn": polB}, nil).
		create(`aws_iam_role_policy_attachment.a["a"]`, map[string]any{}, "role", "policy_arn", "id").
		create(`aws_iam_role_policy_attachment.a["b"]`, map[string]any{}, "role", "policy_arn", "id").
		ref(`aws_iam_role_policy_attachment.a["a"]`, "role", "aws_iam_role.r").
		ref(`aws_iam_role_policy_attachment.a["a"]`, "policy_arn", "aws_iam_policy.p")
	iam := p.build(t, facts.Options{})
	got := map[string][]string{}
	for _, r := range iam.Roles {
		for _, e := range r.Policies {
			got[r.Address] = append(got[r.Address], e.Address+" via "+e.Via)
		}
	}
	want := map[string][]string{
		`aws_iam_role.r["a"]`: {`aws_iam_policy.p["a"] via aws_iam_role_policy_attachment.a["a"]`},
		// The ["b"] attachment resolves its role to r["b"] and its policy to the deleted p["b"]:
		// no policy, so an unknown one.
		`aws_iam_role.r["b"]`: {`aws_iam_role_policy_attachment.a["b"] via aws_iam_role_policy_attachment.a["b"]`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policies by role (-want +got):\n%s", diff)
	}
}
