package facts_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/plan"
)

func TestBuildNamesTheKarpenterModuleCall(t *testing.T) {
	for _, tt := range []struct {
		scenario, role string
		want           *facts.ModuleCall
	}{
		{"eks-v20.24-v033", "module.karpenter.aws_iam_role.controller[0]", &facts.ModuleCall{
			Address: "module.karpenter", Name: "karpenter", Source: "../modules/karpenter-v20.24", Module: "terraform-aws-eks/karpenter", Generation: facts.GenV2024,
			Arguments: map[string]any{"cluster_name": "prod", "create_pod_identity_association": true, "enable_v1_permissions": false}, Omitted: []string{},
		}},
		{"eks-v20.24-v1", "module.karpenter.aws_iam_role.controller[0]", &facts.ModuleCall{
			Address: "module.karpenter", Name: "karpenter", Source: "../modules/karpenter-v20.24", Module: "terraform-aws-eks/karpenter", Generation: facts.GenV2024,
			Arguments: map[string]any{"cluster_name": "prod", "create_pod_identity_association": true, "enable_v1_permissions": true}, Omitted: []string{},
		}},
		{"eks-v20.0", "module.karpenter.aws_iam_role.controller[0]", &facts.ModuleCall{
			Address: "module.karpenter", Name: "karpenter", Source: "../modules/karpenter-v20.0", Module: "terraform-aws-eks/karpenter", Generation: facts.GenV20,
			Arguments: map[string]any{"cluster_name": "prod", "create_pod_identity_association": true}, Omitted: []string{},
		}},
		{"eks-v19", "module.karpenter.aws_iam_role.irsa[0]", &facts.ModuleCall{
			Address: "module.karpenter", Name: "karpenter", Source: "../modules/karpenter-v19", Module: "terraform-aws-eks/karpenter", Generation: facts.GenV19,
			Arguments: map[string]any{"cluster_name": "prod", "irsa_oidc_provider_arn": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C54DDF35ER19312844C7333374CC09D"}, Omitted: []string{},
		}},
		{"eks-v21", "module.karpenter.aws_iam_role.controller[0]", &facts.ModuleCall{
			Address: "module.karpenter", Name: "karpenter", Source: "../modules/karpenter-v21", Module: "terraform-aws-eks/karpenter", Generation: facts.GenV21,
			Arguments: map[string]any{"cluster_name": "prod"}, Omitted: []string{},
		}},
		{"upstream-v1", "aws_iam_role.karpenter_controller", nil},
	} {
		for _, parser := range []string{"Read", "Read keeping the relevant resources"} {
			t.Run(tt.scenario+" with "+parser, func(t *testing.T) {
				fh, err := os.Open("../../testdata/plans/" + tt.scenario + "/plan.json")
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				var p *plan.Plan
				opt := plan.Options{}
				if parser != "Read" {
					opt.Keep = facts.Relevant
				}
				p, err = plan.Read("plan.json", fh, opt)
				if err != nil {
					t.Fatal(err)
				}
				r := role(t, facts.Build(p, facts.Options{}), tt.role)
				if diff := cmp.Diff(tt.want, r.ModuleCall); diff != "" {
					t.Errorf("module_call (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestBuildModuleCallDefaultsAnOmittedSwitch(t *testing.T) {
	// The v20.24 scenario as a registry call that leaves enable_v1_permissions at its default.
	b, err := os.ReadFile("../../testdata/plans/eks-v20.24-v033/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	call := doc["configuration"].(map[string]any)["root_module"].(map[string]any)["module_calls"].(map[string]any)["karpenter"].(map[string]any)
	call["source"] = "terraform-aws-modules/eks/aws//modules/karpenter"
	call["version_constraint"] = "~> 20.24"
	delete(call["expressions"].(map[string]any), "enable_v1_permissions")
	b, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, parser := range []string{"Read", "Read keeping the relevant resources"} {
		t.Run(parser, func(t *testing.T) {
			var p *plan.Plan
			opt := plan.Options{}
			if parser != "Read" {
				opt.Keep = facts.Relevant
			}
			p, err = plan.Read("plan.json", bytes.NewReader(b), opt)
			if err != nil {
				t.Fatal(err)
			}
			mc := role(t, facts.Build(p, facts.Options{}), "module.karpenter.aws_iam_role.controller[0]").ModuleCall
			if mc == nil {
				t.Fatal("no module_call")
			}
			if mc.VersionConstraint != "~> 20.24" || mc.Generation != facts.GenV2024 {
				t.Errorf("version_constraint %q generation %q, want ~> 20.24 and v20.24", mc.VersionConstraint, mc.Generation)
			}
			if v, ok := mc.Arguments["enable_v1_permissions"]; !ok || v != false {
				t.Errorf("enable_v1_permissions = %v (%v), want the module's default false", v, ok)
			}
			if diff := cmp.Diff([]string{"enable_v1_permissions"}, mc.Omitted); diff != "" {
				t.Errorf("omitted (-want +got):\n%s", diff)
			}
		})
	}
}
