package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

const boundaryARN = "arn:aws:iam::111122223333:policy/OrgDeveloperBoundary"

func TestBuildPermissionsBoundary(t *testing.T) {
	text := allow("Boundary", "ec2:*", "*")
	withBoundary := func(arn string) *tplan {
		return newPlan().provider("eu-west-1").noop(roleAddr, map[string]any{"name": roleName, "arn": roleARN,
			"assume_role_policy": podTrust, "permissions_boundary": arn})
	}
	tests := []struct {
		name string
		plan func() *tplan
		opt  facts.Options
		want *entry
	}{
		{name: "no boundary", plan: func() *tplan { return withRole() }},
		{
			name: "a boundary policy of the plan is evaluated",
			plan: func() *tplan {
				return withBoundary(boundaryARN).noop("aws_iam_policy.boundary", map[string]any{"arn": boundaryARN, "policy": text})
			},
			want: &entry{Address: "aws_iam_policy.boundary", Attribute: "policy", Kind: "boundary", Via: roleAddr, ARN: boundaryARN,
				Status: "known", Source: "after", Sids: []string{"Boundary"}},
		},
		{
			name: "a boundary outside the plan is external",
			plan: func() *tplan { return withBoundary(boundaryARN) },
			want: &entry{Address: roleAddr, Attribute: "permissions_boundary", Kind: "boundary", Via: roleAddr, ARN: boundaryARN,
				Status: "external", Source: "none", Unknown: []string{boundaryARN}},
		},
		{
			name: "a boundary outside the plan whose document config supplies",
			plan: func() *tplan { return withBoundary(boundaryARN) },
			opt:  facts.Options{Policies: map[string]facts.Supplied{boundaryARN: {File: "iam/boundary.json", Text: text}}},
			want: &entry{Address: roleAddr, Attribute: "permissions_boundary", Kind: "boundary", Via: roleAddr, ARN: boundaryARN,
				Status: "known", Source: "config:iam/boundary.json", Sids: []string{"Boundary"}},
		},
		{
			name: "a boundary unknown until apply follows the reference to the policy",
			plan: func() *tplan {
				return newPlan().create(roleAddr, map[string]any{"name": roleName, "assume_role_policy": podTrust}, "arn", "permissions_boundary").
					ref(roleAddr, "permissions_boundary", "aws_iam_policy.boundary.arn", "aws_iam_policy.boundary").
					create("aws_iam_policy.boundary", map[string]any{"policy": text}, "arn")
			},
			want: &entry{Address: "aws_iam_policy.boundary", Attribute: "policy", Kind: "boundary", Via: roleAddr,
				Status: "known", Source: "after", Sids: []string{"Boundary"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := tt.plan().build(t, tt.opt)
			r := role(t, iam, roleAddr)
			if r.Layers == nil {
				t.Fatal("a Karpenter role has layers")
			}
			var got *entry
			if r.Layers.Boundary != nil {
				e := project(r.Layers.Boundary)
				got = &e
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("boundary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildSuppliedDocumentReplacesAnExternalPolicy(t *testing.T) {
	iam := withRole().create("aws_iam_role_policy_attachment.ext", map[string]any{"role": roleName, "policy_arn": polARN}, "id").
		build(t, facts.Options{Policies: map[string]facts.Supplied{polARN: {File: "iam/controller.json", Text: "{\"Statement\": []}"}}})
	got := entries(role(t, iam, roleAddr))
	want := []entry{{Address: "aws_iam_role_policy_attachment.ext", Attribute: "policy_arn", Kind: "managed", Via: "aws_iam_role_policy_attachment.ext",
		ARN: polARN, Status: "known", Source: "config:iam/controller.json"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
}

func TestBuildPodIdentitySession(t *testing.T) {
	session := allow("ReadOnly", "ec2:Describe*", "*")
	pia := func(extra map[string]any) map[string]any {
		m := map[string]any{"cluster_name": "prod", "namespace": "kube-system", "service_account": "karpenter", "role_arn": roleARN}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	str := func(s string) *string { return &s }
	t.Run("the session policy and the session tags", func(t *testing.T) {
		iam := withRole().noop("aws_eks_pod_identity_association.k", pia(map[string]any{"policy": session})).build(t, facts.Options{})
		s := role(t, iam, roleAddr).Layers.Session
		if s == nil || s.Policy == nil {
			t.Fatalf("session = %+v", s)
		}
		if diff := cmp.Diff(entry{Address: "aws_eks_pod_identity_association.k", Attribute: "policy", Kind: "session", Status: "known", Source: "after", Sids: []string{"ReadOnly"}}, project(s.Policy)); diff != "" {
			t.Errorf("policy (-want +got):\n%s", diff)
		}
		want := map[string]*string{"eks-cluster-arn": nil, "eks-cluster-name": str("prod"), "kubernetes-namespace": str("kube-system"),
			"kubernetes-service-account": str("karpenter"), "kubernetes-pod-name": nil, "kubernetes-pod-uid": nil}
		if diff := cmp.Diff(want, s.Tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
	})
	t.Run("disabled session tags and no session policy", func(t *testing.T) {
		iam := withRole().noop("aws_eks_pod_identity_association.k", pia(map[string]any{"disable_session_tags": true})).build(t, facts.Options{})
		s := role(t, iam, roleAddr).Layers.Session
		if s == nil || s.Policy != nil || !s.TagsDisabled || len(s.Tags) != 0 {
			t.Errorf("session = %+v", s)
		}
	})
}

func TestBuildOrganizationPolicies(t *testing.T) {
	scp := jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "DenyOutsideEU", "Effect": "Deny",
		"NotAction": "iam:*", "Resource": "*", "Condition": map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": []any{"eu-west-1"}}}}}})
	org := func() *tplan {
		return withRole().
			state("data.aws_caller_identity.current", map[string]any{"account_id": "111122223333"}).
			noop("aws_organizations_organization.org", map[string]any{"id": "o-a1b2c3d4e5", "master_account_id": "999999999999", "roots": []any{map[string]any{"id": "r-ab12"}}}).
			noop("aws_organizations_organizational_unit.workloads", map[string]any{"id": "ou-ab12-11111111", "parent_id": "r-ab12"}).
			noop("aws_organizations_policy.deny", map[string]any{"id": "p-11111111", "name": "DenyOutsideEU", "type": "SERVICE_CONTROL_POLICY", "content": scp}).
			noop("aws_organizations_policy_attachment.ou", map[string]any{"policy_id": "p-11111111", "target_id": "ou-ab12-11111111"})
	}
	t.Run("the account's path is known: an SCP on its OU applies at level 1", func(t *testing.T) {
		iam := org().noop("aws_organizations_account.prod", map[string]any{"id": "111122223333", "parent_id": "ou-ab12-11111111"}).build(t, facts.Options{})
		o := role(t, iam, roleAddr).Layers.Organization
		if o == nil {
			t.Fatal("no organization")
		}
		if diff := cmp.Diff([]string{"r-ab12", "ou-ab12-11111111", "111122223333"}, o.Path); diff != "" {
			t.Errorf("path (-want +got):\n%s", diff)
		}
		if len(o.SCPs) != 1 || o.SCPs[0].Level != 1 || o.SCPs[0].Applies != "yes" || o.SCPs[0].Attachment != "aws_organizations_policy_attachment.ou" ||
			o.SCPs[0].Policy.Status != "known" || o.SCPs[0].Policy.Kind != "scp" {
			t.Errorf("scps = %+v", o.SCPs)
		}
		if o.Management || o.ID != "o-a1b2c3d4e5" {
			t.Errorf("management %v, id %q", o.Management, o.ID)
		}
	})
	t.Run("the account's path is unknown: an SCP on an OU may apply", func(t *testing.T) {
		o := role(t, org().build(t, facts.Options{}), roleAddr).Layers.Organization
		if o.Path != nil || len(o.SCPs) != 1 || o.SCPs[0].Applies != "unknown" {
			t.Errorf("path %v, scps %+v", o.Path, o.SCPs)
		}
	})
	t.Run("config gives the path and more policies", func(t *testing.T) {
		cfg := &facts.OrgConfig{Accounts: map[string][]string{"111122223333": {"r-ab12", "ou-ab12-22222222"}}, SCPsComplete: true,
			Policies: []facts.OrgConfigPolicy{{Type: "rcp", Name: "Perimeter", File: "org/perimeter.json", Text: scp, Targets: []string{"r-ab12"}}}}
		o := role(t, org().build(t, facts.Options{Organization: cfg}), roleAddr).Layers.Organization
		if o.Source != "config" || !o.SCPsComplete || len(o.SCPs) != 0 || len(o.RCPs) != 1 || o.RCPs[0].Policy.Source != "config:org/perimeter.json" {
			t.Errorf("organization = %+v", o)
		}
	})
	t.Run("no organizations evidence: no organization", func(t *testing.T) {
		if o := role(t, withRole().build(t, facts.Options{}), roleAddr).Layers.Organization; o != nil {
			t.Errorf("organization = %+v", o)
		}
	})
}

func TestBuildInterruptionQueueAndKey(t *testing.T) {
	const (
		queueARN = "arn:aws:sqs:eu-west-1:111122223333:Karpenter-prod"
		keyARN   = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	)
	grant := allow("Queue", "sqs:ReceiveMessage", queueARN)
	resourcePolicy := func(sid, action, resource string) string {
		return jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Sid": sid, "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"}, "Action": action, "Resource": resource}}})
	}
	p := withRole().create("aws_iam_role_policy.q", map[string]any{"role": roleName, "policy": grant}).
		noop("aws_sqs_queue.karpenter", map[string]any{"arn": queueARN, "url": "https://sqs.eu-west-1.amazonaws.com/111122223333/Karpenter-prod", "kms_master_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"}).
		noop("aws_sqs_queue_policy.karpenter", map[string]any{"queue_url": "https://sqs.eu-west-1.amazonaws.com/111122223333/Karpenter-prod", "policy": resourcePolicy("Queue", "sqs:*", queueARN)}).
		noop("aws_kms_key.queue", map[string]any{"arn": keyARN, "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "policy": resourcePolicy("Key", "kms:*", "*")})
	rs := role(t, p.build(t, facts.Options{}), roleAddr).Layers.Resources
	if len(rs) != 2 {
		t.Fatalf("resources = %+v", rs)
	}
	if rs[0].Kind != "queue" || *rs[0].ARN != queueARN || rs[0].Policy.Address != "aws_sqs_queue_policy.karpenter" || rs[0].Policy.Kind != "resource" {
		t.Errorf("queue = %+v", rs[0])
	}
	if rs[1].Kind != "key" || *rs[1].ARN != keyARN || rs[1].Policy.Address != "aws_kms_key.queue" || rs[1].Policy.Status != "known" {
		t.Errorf("key = %+v", rs[1])
	}
}

func TestKindProblemsOfResourcePoliciesAndRCPs(t *testing.T) {
	withPrincipal, _ := facts.ParsePolicy(`{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]}`)
	without, _ := facts.ParsePolicy(`{"Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}`)
	for _, kind := range []string{facts.KindResource, facts.KindRCP} {
		if p := facts.KindProblems(kind, withPrincipal); len(p) != 0 {
			t.Errorf("%s with a Principal: %v", kind, p)
		}
		if p := facts.KindProblems(kind, without); len(p) != 1 || p[0].Message != "resource-based policy statement has no Principal" {
			t.Errorf("%s without a Principal: %v", kind, p)
		}
	}
	for _, kind := range []string{facts.KindSCP, facts.KindBoundary, facts.KindSession} {
		if p := facts.KindProblems(kind, withPrincipal); len(p) != 1 {
			t.Errorf("%s with a Principal: %v, want the identity-based problem", kind, p)
		}
	}
}
