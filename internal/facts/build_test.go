package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

const (
	roleAddr = "aws_iam_role.karpenter"
	roleName = "KarpenterController-prod"
	roleARN  = "arn:aws:iam::111122223333:role/KarpenterController-prod"
	polARN   = "arn:aws:iam::111122223333:policy/KarpenterControllerPolicy-prod"
)

// withRole starts a plan holding the unchanged controller role (name and ARN known).
func withRole() *tplan {
	return newPlan().provider("eu-west-1").noop(roleAddr, map[string]any{
		"name": roleName, "arn": roleARN, "assume_role_policy": podTrust})
}

func TestBuildFollowsEveryCarrierOfAPolicy(t *testing.T) {
	tag := allow("Tag", "ec2:CreateTags", "arn:aws:ec2:eu-west-1:*:instance/*")
	tests := []struct {
		name string
		plan func() *tplan
		role string
		want []entry
	}{
		{
			name: "aws_iam_role inline_policy blocks are read one by one and an empty block is no policy",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust,
					"inline_policy": []any{
						map[string]any{"name": "tagging", "policy": tag},
						map[string]any{"name": "", "policy": ""},
						map[string]any{"name": "read", "policy": allow("Read", "ec2:DescribeInstances", "*")},
					}}, "arn").afterUnknown(map[string]any{"arn": true, "id": true,
					"inline_policy": []any{map[string]any{}, map[string]any{}, map[string]any{}}})
			},
			want: []entry{
				{Address: roleAddr, Attribute: "inline_policy[0].policy", Kind: "inline", Status: "known", Source: "after", Sids: []string{"Tag"}},
				{Address: roleAddr, Attribute: "inline_policy[2].policy", Kind: "inline", Status: "known", Source: "after", Sids: []string{"Read"}},
			},
		},
		{
			name: "an inline_policy unknown until apply is unknown when the configuration writes inline_policy blocks",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn", "inline_policy").
					block(roleAddr, "inline_policy")
			},
			want: []entry{{Address: roleAddr, Attribute: "inline_policy", Kind: "inline", Status: "unknown", Source: "none",
				Unknown: []string{roleAddr + ".inline_policy"}}},
		},
		{
			name: "an inline_policy the provider computes without configuration is no policy",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn", "inline_policy").
					ref(roleAddr, "name")
			},
			want: nil,
		},
		{
			name: "an inline_policy whose policy is not a string is invalid",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust,
					"inline_policy": []any{map[string]any{"name": "x", "policy": 7.0}}})
			},
			want: []entry{{Address: roleAddr, Attribute: "inline_policy[0].policy", Kind: "inline", Status: "invalid", Source: "after"}},
		},
		{
			name: "aws_iam_role_policy reaches the role by name",
			plan: func() *tplan {
				return withRole().create("aws_iam_role_policy.rp", map[string]any{"role": roleName, "policy": tag})
			},
			want: []entry{{Address: "aws_iam_role_policy.rp", Attribute: "policy", Kind: "role_policy", Status: "known", Source: "after", Sids: []string{"Tag"}}},
		},
		{
			name: "aws_iam_role_policy reaches the role by ARN",
			plan: func() *tplan {
				return withRole().create("aws_iam_role_policy.rp", map[string]any{"role": roleARN, "policy": tag})
			},
			want: []entry{{Address: "aws_iam_role_policy.rp", Attribute: "policy", Kind: "role_policy", Status: "known", Source: "after", Sids: []string{"Tag"}}},
		},
		{
			name: "aws_iam_role_policy naming another role does not reach this one",
			plan: func() *tplan {
				return withRole().create("aws_iam_role_policy.rp", map[string]any{"role": "someone-else", "policy": tag})
			},
			want: nil,
		},
		{
			name: "a deleted aws_iam_role_policy does not count",
			plan: func() *tplan {
				return withRole().state("aws_iam_role_policy.rp", map[string]any{"role": roleName, "policy": tag}).
					change("aws_iam_role_policy.rp", []string{"delete"}, map[string]any{"role": roleName, "policy": tag}, nil)
			},
			want: nil,
		},
		{
			name: "aws_iam_role_policy_attachment of a managed aws_iam_policy in the plan",
			plan: func() *tplan {
				return withRole().
					noop("aws_iam_policy.p", map[string]any{"arn": polARN, "policy": tag}).
					create("aws_iam_role_policy_attachment.a", map[string]any{"role": roleName, "policy_arn": polARN}, "id")
			},
			want: []entry{{Address: "aws_iam_policy.p", Attribute: "policy", Kind: "managed", Via: "aws_iam_role_policy_attachment.a",
				ARN: polARN, Status: "known", Source: "after", Sids: []string{"Tag"}}},
		},
		{
			name: "aws_iam_policy_attachment reaches every role of its roles list",
			plan: func() *tplan {
				return withRole().
					noop("aws_iam_role.other", map[string]any{"name": "other", "arn": "arn:aws:iam::111122223333:role/other", "assume_role_policy": lambdaTrust}).
					noop("aws_iam_policy.p", map[string]any{"arn": polARN, "policy": tag}).
					create("aws_iam_policy_attachment.pa", map[string]any{"name": "pa", "roles": []any{"other", roleName}, "policy_arn": polARN}, "id").
					afterUnknown(map[string]any{"id": true, "roles": []any{false, false}, "users": []any{}, "groups": []any{}})
			},
			want: []entry{{Address: "aws_iam_policy.p", Attribute: "policy", Kind: "managed", Via: "aws_iam_policy_attachment.pa",
				ARN: polARN, Status: "known", Source: "after", Sids: []string{"Tag"}}},
		},
		{
			name: "aws_iam_role_policy_attachments_exclusive attaches managed and external policies",
			plan: func() *tplan {
				return withRole().
					noop("aws_iam_policy.p", map[string]any{"arn": polARN, "policy": tag}).
					create("aws_iam_role_policy_attachments_exclusive.x", map[string]any{"role_name": roleName,
						"policy_arns": []any{polARN, "arn:aws:iam::aws:policy/ReadOnlyAccess"}}).
					afterUnknown(map[string]any{"policy_arns": []any{false, false}})
			},
			want: []entry{
				{Address: "aws_iam_policy.p", Attribute: "policy", Kind: "managed", Via: "aws_iam_role_policy_attachments_exclusive.x",
					ARN: polARN, Status: "known", Source: "after", Sids: []string{"Tag"}},
				{Address: "aws_iam_role_policy_attachments_exclusive.x", Attribute: "policy_arns", Kind: "external", Via: "aws_iam_role_policy_attachments_exclusive.x",
					ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", Status: "external", Source: "none", Unknown: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			},
		},
		{
			name: "a policy ARN outside the plan is external",
			plan: func() *tplan {
				return withRole().noop("aws_iam_role_policy_attachment.ext", map[string]any{"role": roleName, "policy_arn": polARN})
			},
			want: []entry{{Address: "aws_iam_role_policy_attachment.ext", Attribute: "policy_arn", Kind: "external", Via: "aws_iam_role_policy_attachment.ext",
				ARN: polARN, Status: "external", Source: "none", Unknown: []string{polARN}}},
		},
		{
			name: "a policy ARN of a deleted aws_iam_policy is external",
			plan: func() *tplan {
				return withRole().
					state("aws_iam_policy.p", map[string]any{"arn": polARN, "policy": tag}).
					change("aws_iam_policy.p", []string{"delete"}, map[string]any{"arn": polARN, "policy": tag}, nil).
					noop("aws_iam_role_policy_attachment.a", map[string]any{"role": roleName, "policy_arn": polARN})
			},
			want: []entry{{Address: "aws_iam_role_policy_attachment.a", Attribute: "policy_arn", Kind: "external", Via: "aws_iam_role_policy_attachment.a",
				ARN: polARN, Status: "external", Source: "none", Unknown: []string{polARN}}},
		},
		{
			name: "an unknown policy ARN is linked through configuration references",
			plan: func() *tplan {
				return withRole().
					create("aws_iam_policy.p", map[string]any{"policy": tag}, "arn").
					create("aws_iam_role_policy_attachment.a", map[string]any{"role": roleName}, "policy_arn", "id").
					ref("aws_iam_role_policy_attachment.a", "policy_arn", "aws_iam_policy.p.arn", "aws_iam_policy.p")
			},
			want: []entry{{Address: "aws_iam_policy.p", Attribute: "policy", Kind: "managed", Via: "aws_iam_role_policy_attachment.a",
				Status: "known", Source: "after", Sids: []string{"Tag"}}},
		},
		{
			name: "an unknown policy ARN without references is an unknown policy",
			plan: func() *tplan {
				return withRole().
					create("aws_iam_role_policy_attachment.a", map[string]any{"role": roleName}, "policy_arn", "id").
					ref("aws_iam_role_policy_attachment.a", "policy_arn", "var.arn")
			},
			want: []entry{{Address: "aws_iam_role_policy_attachment.a", Attribute: "policy_arn", Kind: "external", Via: "aws_iam_role_policy_attachment.a",
				Status: "unknown", Source: "none", Unknown: []string{"aws_iam_role_policy_attachment.a.policy_arn"}}},
		},
		{
			name: "an unknown role name is linked through configuration references",
			plan: func() *tplan {
				return newPlan().
					create(roleAddr, map[string]any{"name_prefix": "KarpenterController-", "assume_role_policy": podTrust}, "name", "arn").
					create("aws_iam_role_policy.rp", map[string]any{"policy": tag}, "role", "id").
					ref("aws_iam_role_policy.rp", "role", "aws_iam_role.karpenter.name", "aws_iam_role.karpenter")
			},
			want: []entry{{Address: "aws_iam_role_policy.rp", Attribute: "policy", Kind: "role_policy", Status: "known", Source: "after", Sids: []string{"Tag"}}},
		},
		{
			name: "the same policy attached twice through one attachment counts once, through two attachments twice",
			plan: func() *tplan {
				return withRole().
					noop("aws_iam_policy.p", map[string]any{"arn": polARN, "policy": tag}).
					noop("aws_iam_role_policy_attachment.a", map[string]any{"role": roleName, "policy_arn": polARN}).
					noop("aws_iam_role_policy_attachment.b", map[string]any{"role": roleName, "policy_arn": polARN})
			},
			want: []entry{
				{Address: "aws_iam_policy.p", Attribute: "policy", Kind: "managed", Via: "aws_iam_role_policy_attachment.a", ARN: polARN, Status: "known", Source: "after", Sids: []string{"Tag"}},
				{Address: "aws_iam_policy.p", Attribute: "policy", Kind: "managed", Via: "aws_iam_role_policy_attachment.b", ARN: polARN, Status: "known", Source: "after", Sids: []string{"Tag"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := tt.plan().build(t, facts.Options{})
			r := role(t, iam, roleAddr)
			if diff := cmp.Diff(tt.want, entries(r)); diff != "" {
				t.Errorf("policies of %s (-want +got):\n%s", roleAddr, diff)
			}
		})
	}
}

func TestBuildAttachmentReachesOnlyItsRoles(t *testing.T) {
	iam := withRole().
		noop("aws_iam_role.other", map[string]any{"name": "other", "arn": "arn:aws:iam::111122223333:role/other", "assume_role_policy": lambdaTrust}).
		noop("aws_iam_role.third", map[string]any{"name": "third", "arn": "arn:aws:iam::111122223333:role/third", "assume_role_policy": lambdaTrust}).
		noop("aws_iam_policy.p", map[string]any{"arn": polARN, "policy": allow("X", "s3:GetObject", "*")}).
		noop("aws_iam_policy_attachment.pa", map[string]any{"name": "pa", "roles": []any{"other", roleName}, "policy_arn": polARN}).
		build(t, facts.Options{})
	got := map[string]int{}
	for _, r := range iam.Roles {
		got[r.Address] = len(r.Policies)
	}
	want := map[string]int{roleAddr: 1, "aws_iam_role.other": 1, "aws_iam_role.third": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policies per role (-want +got):\n%s", diff)
	}
}

func TestBuildPolicyTextPrecedence(t *testing.T) {
	const pol = "aws_iam_policy.p"
	const data = "data.aws_iam_policy_document.d"
	newText := allow("New", "ec2:CreateTags", "*")
	oldText := allow("Old", "ec2:CreateTags", "*")
	attached := func(p *tplan) *tplan {
		return p.create("aws_iam_role_policy_attachment.a", map[string]any{"role": roleName}, "policy_arn", "id").
			ref("aws_iam_role_policy_attachment.a", "policy_arn", pol+".arn", pol)
	}
	stmt := func(sid, action, resource string) map[string]any {
		return map[string]any{"sid": sid, "effect": nil, "actions": []any{action}, "resources": []any{resource},
			"not_actions": nil, "not_resources": nil, "principals": []any{}, "not_principals": []any{}, "condition": []any{}}
	}
	tests := []struct {
		name string
		plan func() *tplan
		want entry
	}{
		{
			name: "after wins over planned values and prior state",
			plan: func() *tplan {
				p := withRole().state(pol, map[string]any{"policy": oldText}).
					change(pol, []string{"update"}, map[string]any{"policy": oldText}, map[string]any{"policy": newText})
				p.planned[""][len(p.planned[""])-1]["values"] = map[string]any{"policy": allow("Planned", "s3:GetObject", "*")}
				return attached(p)
			},
			want: entry{Status: "known", Source: "after", Sids: []string{"New"}},
		},
		{
			name: "planned values when the resource has no change entry",
			plan: func() *tplan {
				p := withRole()
				p.planned[""] = append(p.planned[""], map[string]any{"address": pol, "mode": "managed", "type": "aws_iam_policy", "name": "p",
					"values": map[string]any{"policy": newText}})
				return attached(p)
			},
			want: entry{Status: "known", Source: "planned_values", Sids: []string{"New"}},
		},
		{
			name: "prior state of a resource the plan does not change",
			plan: func() *tplan {
				return attached(withRole().state(pol, map[string]any{"policy": oldText}))
			},
			want: entry{Status: "known", Source: "prior_state", Sids: []string{"Old"}},
		},
		{
			name: "an update whose text is unknown does not fall back to the old text",
			plan: func() *tplan {
				p := withRole().state(pol, map[string]any{"policy": oldText}).
					change(pol, []string{"update"}, map[string]any{"policy": oldText}, map[string]any{"policy": newText}, "policy")
				return attached(p)
			},
			want: entry{Status: "unknown", Source: "none", Unknown: []string{pol + ".policy"}},
		},
		{
			name: "the json of a data.aws_iam_policy_document read while planning (prior_state)",
			plan: func() *tplan {
				p := withRole().create(pol, map[string]any{"policy": "x"}, "policy", "arn").
					ref(pol, "policy", data+".json", data).
					state(data, map[string]any{"json": newText})
				return attached(p)
			},
			want: entry{Status: "known", Source: "data:" + data, Sids: []string{"New"}},
		},
		{
			name: "the known statements of a deferred data source make a partial policy",
			plan: func() *tplan {
				p := withRole().create(pol, map[string]any{"policy": "x"}, "policy", "arn").
					ref(pol, "policy", data+".json", data).
					change(data, []string{"read"}, nil, map[string]any{"statement": []any{
						stmt("Known", "ec2:CreateTags", "arn:aws:ec2:eu-west-1:*:instance/*"),
						stmt("Later", "sqs:ReceiveMessage", ""),
					}}).
					afterUnknown(map[string]any{"json": true, "id": true, "statement": []any{
						map[string]any{"actions": []any{false}, "resources": []any{false}},
						map[string]any{"actions": []any{false}, "resources": true},
					}})
				return attached(p)
			},
			want: entry{Status: "partial", Source: "statements:" + data, Sids: []string{"Known"},
				Unknown: []string{pol + ".policy", data + ".json", data + ".statement[1]"}},
		},
		{
			name: "a deferred data source follows source_policy_documents and override_policy_documents",
			plan: func() *tplan {
				p := withRole().create(pol, map[string]any{"policy": "x"}, "policy", "arn").
					ref(pol, "policy", data+".json", data).
					state("data.aws_iam_policy_document.base", map[string]any{"json": jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{
						map[string]any{"Sid": "Base", "Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
						map[string]any{"Sid": "Own", "Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"},
					}})}).
					change(data, []string{"read"}, nil, map[string]any{
						"statement":                 []any{stmt("Own", "ec2:CreateTags", "arn:aws:ec2:eu-west-1:*:instance/*")},
						"override_policy_documents": []any{allow("Own", "ec2:CreateFleet", "*")},
					}).
					afterUnknown(map[string]any{"json": true, "source_policy_documents": true,
						"statement": []any{map[string]any{}}, "override_policy_documents": []any{false}}).
					ref(data, "source_policy_documents", "data.aws_iam_policy_document.base.json", "data.aws_iam_policy_document.base")
				return attached(p)
			},
			// Base from the source document; Own written three times, the override wins.
			want: entry{Status: "partial", Source: "statements:" + data, Sids: []string{"Base", "Own"},
				Unknown: []string{pol + ".policy", data + ".json"}},
		},
		{
			name: "a deferred data source with unknown statements is an unknown policy",
			plan: func() *tplan {
				p := withRole().create(pol, map[string]any{"policy": "x"}, "policy", "arn").
					ref(pol, "policy", data+".json", data).
					change(data, []string{"read"}, nil, map[string]any{}).
					afterUnknown(map[string]any{"json": true, "statement": true})
				return attached(p)
			},
			want: entry{Status: "unknown", Source: "data:" + data, Unknown: []string{pol + ".policy", data + ".json", data + ".statement"}},
		},
		{
			name: "an unknown text without a policy document reference is unknown",
			plan: func() *tplan {
				p := withRole().create(pol, map[string]any{"policy": "x"}, "policy", "arn").ref(pol, "policy", "var.policy")
				return attached(p)
			},
			want: entry{Status: "unknown", Source: "none", Unknown: []string{pol + ".policy"}},
		},
		{
			name: "a text that is not a valid policy is invalid",
			plan: func() *tplan {
				return attached(withRole().create(pol, map[string]any{"policy": `{"Statement":[{"Action":"s3:*"}]}`}, "arn"))
			},
			want: entry{Status: "invalid", Source: "after"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := tt.plan().build(t, facts.Options{})
			r := role(t, iam, roleAddr)
			if len(r.Policies) != 1 {
				t.Fatalf("want one policy, got %+v", entries(r))
			}
			got := project(r.Policies[0])
			want := tt.want
			want.Address, want.Attribute, want.Kind, want.Via = pol, "policy", "managed", "aws_iam_role_policy_attachment.a"
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("policy entry (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildOverrideStatementReplacesBySid(t *testing.T) {
	// The override document's "Own" statement (ec2:CreateFleet) replaces the own block's "Own".
	const data = "data.aws_iam_policy_document.d"
	iam := withRole().
		create("aws_iam_role_policy.rp", map[string]any{"role": roleName}, "policy").
		ref("aws_iam_role_policy.rp", "policy", data+".json", data).
		change(data, []string{"read"}, nil, map[string]any{
			"statement":                 []any{map[string]any{"sid": "Own", "actions": []any{"ec2:CreateTags"}, "resources": []any{"*"}}},
			"override_policy_documents": []any{allow("Own", "ec2:CreateFleet", "*")},
		}).
		afterUnknown(map[string]any{"json": true}).
		build(t, facts.Options{})
	r := role(t, iam, roleAddr)
	if len(r.Policies) != 1 || r.Policies[0].Document == nil {
		t.Fatalf("policies: %+v", entries(r))
	}
	sts := r.Policies[0].Document.Statements
	if len(sts) != 1 || sts[0].Sid != "Own" || !cmp.Equal(sts[0].Actions, []string{"ec2:createfleet"}) || sts[0].Effect != "Allow" {
		t.Errorf("statements = %+v, want the override's Own (ec2:createfleet, Allow)", sts)
	}
}

func TestBuildTrustPolicy(t *testing.T) {
	iam := withRole().
		create("aws_iam_role.unknown_trust", map[string]any{"name": "x"}, "assume_role_policy", "arn").
		build(t, facts.Options{})
	got := project(role(t, iam, roleAddr).Trust)
	want := entry{Address: roleAddr, Attribute: "assume_role_policy", Kind: "trust", Status: "known", Source: "after", Sids: []string{""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trust (-want +got):\n%s", diff)
	}
	got = project(role(t, iam, "aws_iam_role.unknown_trust").Trust)
	want = entry{Address: "aws_iam_role.unknown_trust", Attribute: "assume_role_policy", Kind: "trust", Status: "unknown", Source: "none",
		Unknown: []string{"aws_iam_role.unknown_trust.assume_role_policy"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unknown trust (-want +got):\n%s", diff)
	}
}

func TestBuildRolesAndNodeRoles(t *testing.T) {
	iam := withRole().
		noop("aws_iam_role.node", map[string]any{"name": "KarpenterNode-prod", "arn": "arn:aws:iam::111122223333:role/KarpenterNode-prod", "assume_role_policy": ec2Trust}).
		state("aws_iam_role.gone", map[string]any{"name": "gone", "assume_role_policy": lambdaTrust}).
		change("aws_iam_role.gone", []string{"delete"}, map[string]any{"name": "gone"}, nil).
		state("data.aws_iam_role.existing", map[string]any{"name": "existing"}).
		build(t, facts.Options{})
	var addrs []string
	for _, r := range iam.Roles {
		addrs = append(addrs, r.Address)
	}
	if diff := cmp.Diff([]string{roleAddr, "aws_iam_role.node"}, addrs); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	name, arn := "KarpenterNode-prod", "arn:aws:iam::111122223333:role/KarpenterNode-prod"
	if diff := cmp.Diff([]facts.NodeRole{{Address: "aws_iam_role.node", Name: &name, ARN: &arn}}, iam.NodeRoles); diff != "" {
		t.Errorf("node roles (-want +got):\n%s", diff)
	}
	if iam.KarpenterRoles != 1 {
		t.Errorf("karpenter_roles = %d, want 1", iam.KarpenterRoles)
	}
	if r := role(t, iam, roleAddr); r.Action != "no-op" || r.Module != "" || *r.Name != roleName || *r.ARN != roleARN {
		t.Errorf("role fields: %+v", r)
	}
}
