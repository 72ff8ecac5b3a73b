package facts_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/plan"
)

func irsaTrust(op, sub string) string {
	return jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{op: map[string]any{
			"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": sub,
			"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"}}}}})
}

func roleVals(name, trust string) map[string]any {
	return map[string]any{"name": name, "arn": "arn:aws:iam::111122223333:role/" + name, "assume_role_policy": trust}
}

// detection maps role address to "detected by" (empty when the role is not a Karpenter role; the
// list after a "-" when it has reasons but is not detected).
func detection(iam *facts.IAM) map[string][]string {
	out := map[string][]string{}
	for _, r := range iam.Roles {
		by := append([]string{}, r.Karpenter.By...)
		if !r.Karpenter.Detected {
			by = append([]string{"-"}, by...)
		}
		out[r.Address] = by
	}
	return out
}

func TestBuildDetectsKarpenterRoles(t *testing.T) {
	const mod = "module.karpenter"
	const src = "terraform-aws-modules/eks/aws//modules/karpenter"
	tests := []struct {
		name string
		plan func() *tplan
		opt  facts.Options
		want map[string][]string
	}{
		{
			name: "nothing marks an ordinary role",
			plan: func() *tplan { return newPlan().noop("aws_iam_role.app", roleVals("app", lambdaTrust)) },
			want: map[string][]string{"aws_iam_role.app": {"-"}},
		},
		{
			name: "config address globs name the roles, and only listed roles are Karpenter roles",
			plan: func() *tplan {
				return newPlan().
					noop("aws_iam_role.ctrl", roleVals("ctrl", podTrust)).
					noop("aws_iam_role.karpenter_other", roleVals("karpenter-other", podTrust))
			},
			opt: facts.Options{Roles: []string{"aws_iam_role.ct*"}},
			want: map[string][]string{
				"aws_iam_role.ctrl":            {"config"},
				"aws_iam_role.karpenter_other": {"-", "name"},
			},
		},
		{
			name: "config name: globs match the role name",
			plan: func() *tplan {
				return newPlan().
					noop("aws_iam_role.a", roleVals("prod-autoscaler", podTrust)).
					noop("aws_iam_role.b", roleVals("prod-web", podTrust))
			},
			// IAM compares role names ignoring case; '*' is the only wildcard ('?' is itself).
			opt:  facts.Options{Roles: []string{"name:*-AUTOSCALER", "name:prod-we?"}},
			want: map[string][]string{"aws_iam_role.a": {"config"}, "aws_iam_role.b": {"-"}},
		},
		{
			name: "a config address glob matches module paths with keys",
			plan: func() *tplan {
				return newPlan().noop(`module.c["prod"].aws_iam_role.x[0]`, roleVals("x", podTrust))
			},
			opt:  facts.Options{Roles: []string{"module.c*.aws_iam_role.x*"}},
			want: map[string][]string{`module.c["prod"].aws_iam_role.x[0]`: {"config"}},
		},
		{
			name: "a config name: glob cannot match a role whose name is unknown",
			plan: func() *tplan {
				return newPlan().create("aws_iam_role.x", map[string]any{"name_prefix": "autoscaler-", "assume_role_policy": podTrust}, "name", "arn")
			},
			opt:  facts.Options{Roles: []string{"name:autoscaler-*"}},
			want: map[string][]string{"aws_iam_role.x": {"-"}},
		},
		{
			name: "a custom MatchRole replaces the glob matcher",
			plan: func() *tplan { return newPlan().noop("aws_iam_role.app", roleVals("app", lambdaTrust)) },
			opt: facts.Options{Roles: []string{"anything"}, MatchRole: func(_ []string, address, name string) bool {
				return address == "aws_iam_role.app" && name == "app"
			}},
			want: map[string][]string{"aws_iam_role.app": {"config"}},
		},
		{
			name: "a pod identity association for a karpenter service account, by role ARN",
			plan: func() *tplan {
				return newPlan().
					noop("aws_iam_role.ctrl", roleVals("ctrl", podTrust)).
					noop("aws_iam_role.web", roleVals("web", podTrust)).
					noop("aws_eks_pod_identity_association.k", map[string]any{"cluster_name": "prod", "namespace": "kube-system",
						"service_account": "Karpenter", "role_arn": "arn:aws:iam::111122223333:role/ctrl"}).
					noop("aws_eks_pod_identity_association.w", map[string]any{"cluster_name": "prod", "namespace": "web",
						"service_account": "web", "role_arn": "arn:aws:iam::111122223333:role/web"})
			},
			want: map[string][]string{"aws_iam_role.ctrl": {"pod-identity"}, "aws_iam_role.web": {"-"}},
		},
		{
			name: "a deleted pod identity association does not count",
			plan: func() *tplan {
				a := map[string]any{"service_account": "karpenter", "role_arn": "arn:aws:iam::111122223333:role/ctrl"}
				return newPlan().
					noop("aws_iam_role.ctrl", roleVals("ctrl", podTrust)).
					state("aws_eks_pod_identity_association.k", a).
					change("aws_eks_pod_identity_association.k", []string{"delete"}, a, nil)
			},
			want: map[string][]string{"aws_iam_role.ctrl": {"-"}},
		},
		{
			name: "irsa: a :sub condition naming a karpenter service account",
			plan: func() *tplan {
				return newPlan().
					noop("aws_iam_role.a", roleVals("a", irsaTrust("StringEquals", "system:serviceaccount:kube-system:KARPENTER"))).
					noop("aws_iam_role.b", roleVals("b", irsaTrust("StringLike", "system:serviceaccount:karpenter:*"))).
					noop("aws_iam_role.c", roleVals("c", irsaTrust("StringEquals", "system:serviceaccount:karpenter:karpenter-controller")))
			},
			want: map[string][]string{
				"aws_iam_role.a": {"irsa"},
				"aws_iam_role.b": {"-"}, // the namespace is karpenter but the service account is not named
				"aws_iam_role.c": {"irsa"},
			},
		},
		{
			name: "module: controller and irsa roles inside a modules/karpenter call, not the node role",
			plan: func() *tplan {
				return newPlan().call(mod, src, nil).
					noop(mod+".aws_iam_role.controller[0]", roleVals("c-1", podTrust)).
					noop(mod+".aws_iam_role.irsa[0]", roleVals("c-2", podTrust)).
					noop(mod+".aws_iam_role.node[0]", roleVals("n-1", ec2Trust))
			},
			want: map[string][]string{
				mod + ".aws_iam_role.controller[0]": {"module"},
				mod + ".aws_iam_role.irsa[0]":       {"module"},
				mod + ".aws_iam_role.node[0]":       {"-"},
			},
		},
		{
			name: "module: a controller role in a module of another source is not detected",
			plan: func() *tplan {
				return newPlan().call("module.app", "terraform-aws-modules/iam/aws//modules/iam-role", nil).
					noop("module.app.aws_iam_role.controller[0]", roleVals("c-1", podTrust))
			},
			want: map[string][]string{"module.app.aws_iam_role.controller[0]": {"-"}},
		},
		{
			name: "module: a nested module instance with a for_each key",
			plan: func() *tplan {
				return newPlan().call("module.w", "./modules/addons", nil).call("module.w.module.karpenter", src, nil).
					noop(`module.w["prod"].module.karpenter.aws_iam_role.controller[0]`, roleVals("c-1", podTrust))
			},
			want: map[string][]string{`module.w["prod"].module.karpenter.aws_iam_role.controller[0]`: {"module"}},
		},
		{
			name: "name: karpenter in the name or name_prefix in any case, unless the trust is only ec2 (the node role, in aws-cn ec2.amazonaws.com.cn)",
			plan: func() *tplan {
				return newPlan().
					noop("aws_iam_role.a", roleVals("my-KARPENTER-controller", podTrust)).
					create("aws_iam_role.b", map[string]any{"name_prefix": "Karpenter-", "assume_role_policy": podTrust}, "name", "arn").
					noop("aws_iam_role.node", roleVals("KarpenterNodeRole-prod", ec2Trust)).
					noop("aws_iam_role.node_cn", roleVals("KarpenterNodeRole-cn", jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
						"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}}}))).
					create("aws_iam_role.unknown_trust", map[string]any{"name": "karpenter-x"}, "assume_role_policy", "arn").
					noop("aws_iam_role.both", roleVals("karpenter-both", jsonText(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
						"Effect": "Allow", "Principal": map[string]any{"Service": []any{"ec2.amazonaws.com", "pods.eks.amazonaws.com"}}, "Action": "sts:AssumeRole"}}})))
			},
			want: map[string][]string{
				"aws_iam_role.a":             {"name"},
				"aws_iam_role.b":             {"name"},
				"aws_iam_role.node":          {"-"},
				"aws_iam_role.node_cn":       {"-"},
				"aws_iam_role.unknown_trust": {"name"},
				"aws_iam_role.both":          {"name"},
			},
		},
		{
			name: "first apply: name and ARN unknown, the pod identity association and the module name the role through references",
			plan: func() *tplan {
				const ctrl = mod + ".aws_iam_role.controller[0]"
				const pia = mod + ".aws_eks_pod_identity_association.karpenter[0]"
				return newPlan().call(mod, src, nil).
					create(ctrl, map[string]any{"name_prefix": "KarpenterController-", "assume_role_policy": podTrust}, "name", "arn").
					create(pia, map[string]any{"cluster_name": "prod", "namespace": "kube-system", "service_account": "karpenter"}, "role_arn", "association_arn").
					ref(pia, "role_arn", "aws_iam_role.controller[0].arn", "aws_iam_role.controller[0]", "aws_iam_role.controller")
			},
			want: map[string][]string{mod + ".aws_iam_role.controller[0]": {"pod-identity", "module", "name"}},
		},
		{
			name: "every reason is reported, in a fixed order",
			plan: func() *tplan {
				const ctrl = mod + ".aws_iam_role.controller[0]"
				return newPlan().call(mod, src, nil).
					noop(ctrl, roleVals("KarpenterController", irsaTrust("StringEquals", "system:serviceaccount:kube-system:karpenter"))).
					noop(mod+".aws_eks_pod_identity_association.k", map[string]any{"service_account": "karpenter", "role_arn": "arn:aws:iam::111122223333:role/KarpenterController"})
			},
			opt:  facts.Options{Roles: []string{"name:KarpenterController"}},
			want: map[string][]string{mod + ".aws_iam_role.controller[0]": {"config", "pod-identity", "irsa", "module", "name"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := tt.plan().build(t, tt.opt)
			if diff := cmp.Diff(tt.want, detection(iam)); diff != "" {
				t.Errorf("detection (-want +got):\n%s", diff)
			}
			n := 0
			for _, r := range iam.Roles {
				if r.Karpenter.Detected {
					n++
				}
			}
			if iam.KarpenterRoles != n {
				t.Errorf("karpenter_roles = %d, %d roles detected", iam.KarpenterRoles, n)
			}
		})
	}
}

// TestBuildDetectsExpectedRolesOfEveryTestdataPlan checks that the roles with karpenter.detected
// are exactly expect.json's karpenter_roles, for every scenario of testdata/plans.
func TestBuildDetectsExpectedRolesOfEveryTestdataPlan(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/plans/*/expect.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, exp := range dirs {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir)+" detects exactly the expected roles", func(t *testing.T) {
			b, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				KarpenterRoles []string `json:"karpenter_roles"`
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			fh, err := os.Open(filepath.Join(dir, "plan.json"))
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			p, err := plan.Read("plan.json", fh, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			iam := facts.Build(p, facts.Options{Roles: configRoles(t, dir)})
			got := []string{}
			for _, r := range iam.Roles {
				if r.Karpenter.Detected {
					got = append(got, r.Address)
				}
			}
			sort.Strings(want.KarpenterRoles)
			if diff := cmp.Diff(want.KarpenterRoles, got); diff != "" {
				t.Errorf("karpenter roles (-want +got):\n%s", diff)
			}
			if iam.KarpenterRoles != len(got) {
				t.Errorf("karpenter_roles = %d, want %d", iam.KarpenterRoles, len(got))
			}
		})
	}
}

func TestBuildTestdataPlansLinkPoliciesByReference(t *testing.T) {
	t.Run("first-apply links the role to the deferred policy through references", func(t *testing.T) {
		const mod = "module.karpenter."
		p := loadTestdata(t, "first-apply")
		r := role(t, facts.Build(p, facts.Options{}), mod+"aws_iam_role.controller[0]")
		got := entries(r)
		if len(got) != 1 {
			t.Fatalf("policies: %+v", got)
		}
		e := got[0]
		e.Sids = nil
		want := entry{Address: mod + "aws_iam_policy.controller[0]", Attribute: "policy", Kind: "managed",
			Via: mod + "aws_iam_role_policy_attachment.controller[0]", Status: "partial",
			Source: "statements:" + mod + "data.aws_iam_policy_document.controller[0]"}
		e.Unknown = nil
		if diff := cmp.Diff(want, e); diff != "" {
			t.Errorf("policy (-want +got):\n%s", diff)
		}
		unk := r.Policies[0].Unknown
		if len(unk) < 3 || unk[0] != mod+"aws_iam_policy.controller[0].policy" || unk[1] != mod+"data.aws_iam_policy_document.controller[0].json" {
			t.Errorf("unknown = %v", unk)
		}
		if r.Name != nil || r.ARN != nil || r.NamePrefix == nil || *r.NamePrefix != "KarpenterController-" {
			t.Errorf("name %v arn %v name_prefix %v", r.Name, r.ARN, r.NamePrefix)
		}
	})
	t.Run("nested-for-each gives each instance its own policy and cluster", func(t *testing.T) {
		p := loadTestdata(t, "nested-for-each")
		iam := facts.Build(p, facts.Options{})
		for _, k := range []string{"prod", "staging"} {
			m := `module.clusters["` + k + `"].module.karpenter.`
			r := role(t, iam, m+"aws_iam_role.controller[0]")
			if len(r.Policies) != 1 || r.Policies[0].Address != m+"aws_iam_policy.controller[0]" || r.Policies[0].Status != "known" {
				t.Errorf("%s policies: %+v", k, entries(r))
			}
			if r.Context.Cluster != k || r.Context.Sources["cluster"] != "pod-identity" {
				t.Errorf("%s cluster = %q from %q", k, r.Context.Cluster, r.Context.Sources["cluster"])
			}
			if r.Module != `module.clusters["`+k+`"].module.karpenter` {
				t.Errorf("module = %q", r.Module)
			}
		}
	})
}

func loadTestdata(t *testing.T, scenario string) *plan.Plan {
	t.Helper()
	fh, err := os.Open("../../testdata/plans/" + scenario + "/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	p, err := plan.Read("plan.json", fh, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// configRoles reads karpenter.roles of the scenario's .karpgate.yaml, if it has one (this package
// cannot import internal/config; the scenario test checks the whole file).
func configRoles(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ".karpgate.yaml"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Karpenter struct {
			Roles []any `yaml:"roles"` // selectors, or mappings whose role is the selector
		} `yaml:"karpenter"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range cfg.Karpenter.Roles {
		switch v := r.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			s, _ := v["role"].(string)
			out = append(out, s)
		}
	}
	return out
}
