package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

const controller = "aws_iam_role.karpenter_controller"

func karpenterRole() map[string]any {
	return map[string]any{"name": "KarpenterController-prod", "arn": "arn:aws:iam::111122223333:role/KarpenterController-prod", "assume_role_policy": "{}"}
}

// upgradePlan updates an OCI Karpenter release from 0.37.0 to 1.0.1 with values in two strings
// (the later wins) and set blocks.
func upgradePlan() *tplan {
	before := map[string]any{"name": "karpenter", "chart": "karpenter", "repository": "oci://public.ecr.aws/karpenter", "version": "0.37.0", "namespace": "kube-system"}
	after := map[string]any{
		"name": "karpenter", "chart": "karpenter", "repository": "oci://public.ecr.aws/karpenter", "version": "1.0.1", "namespace": "kube-system",
		"values": []any{
			"settings:\n  clusterName: first\n  isolatedVPC: true\n---\nserviceAccount:\n  name: karpenter\n",
			"settings:\n  clusterName: prod\n  interruptionQueue: Karpenter-prod\n",
		},
		"set": []any{
			map[string]any{"name": "settings.enableZonalShift", "value": "true", "type": ""},
			map[string]any{"name": `serviceAccount.annotations.eks\.amazonaws\.com/role-arn`, "value": "arn:aws:iam::111122223333:role/KarpenterController-prod", "type": ""},
		},
	}
	p := newPlan().state("helm_release.karpenter", before).change("helm_release.karpenter", []string{"update"}, before, after)
	return p.create(controller, karpenterRole()).provider("eu-west-1")
}

func TestDeploymentFromHelmRelease(t *testing.T) {
	iam := upgradePlan().build(t, facts.Options{})
	r := role(t, iam, controller)
	d := r.Deployment
	if d == nil {
		t.Fatal("no deployment for a Karpenter role")
	}
	if d.Version.State != "known" || d.Version.Version != "1.0.1" || d.Version.Minor != "1.0" || d.Version.Source != "chart version of helm_release.karpenter" {
		t.Errorf("version = %+v", d.Version)
	}
	if d.UpgradeFrom.State != "known" || d.UpgradeFrom.Minor != "0.37" {
		t.Errorf("upgrade_from = %+v", d.UpgradeFrom)
	}
	if d.Release != "helm_release.karpenter" {
		t.Errorf("release = %q", d.Release)
	}
	for name, want := range map[string]string{
		"interruption_queue":     "on",
		"zonal_shift":            "on",
		"isolated_vpc":           "on", // the first values string sets it, the second leaves it
		"reserved_capacity_gate": "default",
		"cluster_endpoint":       "default",
		"nodeclass_role":         "unknown",
		"spot":                   "unknown",
	} {
		if got := d.Features[name].State; got != want {
			t.Errorf("feature %s = %q (%s), want %q", name, got, d.Features[name].Source, want)
		}
	}
	if r.Context.Cluster != "prod" || r.Context.Sources["cluster"] != "helm_release.karpenter settings.clusterName" {
		t.Errorf("cluster = %q from %q", r.Context.Cluster, r.Context.Sources["cluster"])
	}
	if want := []string{"arn:aws:sqs:eu-west-1:111122223333:Karpenter-prod"}; len(r.Context.QueueARNs) != 1 || r.Context.QueueARNs[0] != want[0] {
		t.Errorf("queue_arns = %v, want %v", r.Context.QueueARNs, want)
	}
}

func TestDeploymentVersionPrecedence(t *testing.T) {
	p := upgradePlan()
	if d := role(t, p.build(t, facts.Options{Version: "v0.36.2"}), controller).Deployment; d.Version.Minor != "0.36" || d.Version.Source != "config karpenter.version" {
		t.Errorf("config version: %+v", d.Version)
	}
	d := role(t, p.build(t, facts.Options{Version: "0.36.2", Override: facts.VersionOverride{Version: "1.12.0", Source: "--karpenter-version"}, UpgradeFrom: "none"}), controller).Deployment
	if d.Version.Minor != "1.12" || d.Version.Source != "--karpenter-version" {
		t.Errorf("override version: %+v", d.Version)
	}
	if d.UpgradeFrom.State != "none" {
		t.Errorf("upgrade_from none: %+v", d.UpgradeFrom)
	}
	// Without the caller's words the source is still named, never empty.
	d = role(t, p.build(t, facts.Options{Version: "0.36.2", Override: facts.VersionOverride{Version: "1.12.0"}}), controller).Deployment
	if d.Version.Minor != "1.12" || d.Version.Source != facts.SourceOverride || facts.SourceOverride == "" {
		t.Errorf("override version without a source: %+v", d.Version)
	}
}

// RULES.md 5.1: the override (--karpenter-version), then the role's own karpenter.roles entry, then the global config, then
// the linked release.
func TestDeploymentPerRoleVersion(t *testing.T) {
	p := upgradePlan()
	perRole := []facts.RoleOptions{{Selector: "name:KarpenterController-*", Version: "1.3.0", UpgradeFrom: "0.37.7"}}
	d := role(t, p.build(t, facts.Options{Version: "0.36.2", PerRole: perRole}), controller).Deployment
	if d.Version.Minor != "1.3" || d.Version.Source != "config karpenter.roles entry name:KarpenterController-*" {
		t.Errorf("per-role version: %+v", d.Version)
	}
	if d.UpgradeFrom.Minor != "0.37" {
		t.Errorf("per-role upgrade_from: %+v", d.UpgradeFrom)
	}
	d = role(t, p.build(t, facts.Options{Override: facts.VersionOverride{Version: "1.12.0"}, PerRole: perRole}), controller).Deployment
	if d.Version.Minor != "1.12" {
		t.Errorf("the override must win over the role's entry: %+v", d.Version)
	}
	other := []facts.RoleOptions{{Selector: "name:SomeoneElse", Version: "1.3.0"}}
	d = role(t, p.build(t, facts.Options{Version: "0.36.2", PerRole: other}), controller).Deployment
	if d.Version.Minor != "0.36" {
		t.Errorf("another role's entry must not apply: %+v", d.Version)
	}
}

func TestDeploymentCreatedReleaseAndRange(t *testing.T) {
	rel := map[string]any{"name": "karpenter", "chart": "oci://public.ecr.aws/karpenter/karpenter", "version": "~1.2", "namespace": "kube-system"}
	crd := map[string]any{"name": "karpenter-crd", "chart": "oci://public.ecr.aws/karpenter/karpenter-crd", "version": "1.2.0"}
	p := newPlan().create("helm_release.karpenter", rel).create("helm_release.crd", crd).create(controller, karpenterRole())
	d := role(t, p.build(t, facts.Options{}), controller).Deployment
	if d.Version.State != "unknown" || d.Release != "helm_release.karpenter" {
		t.Errorf("a version range is unknown: %+v (release %q)", d.Version, d.Release)
	}
	if d.UpgradeFrom.State != "none" {
		t.Errorf("a created release has no prior version: %+v", d.UpgradeFrom)
	}
	if d.Features["zonal_shift"].State != "default" {
		t.Errorf("unset settings take the chart default: %+v", d.Features["zonal_shift"])
	}
}

func TestDeploymentUnknownValues(t *testing.T) {
	rel := map[string]any{"name": "karpenter", "chart": "karpenter", "version": "1.12.0"}
	p := newPlan().create("helm_release.karpenter", rel, "values").create(controller, karpenterRole())
	d := role(t, p.build(t, facts.Options{}), controller).Deployment
	if d.Version.Minor != "1.12" || d.Features["zonal_shift"].State != "unknown" {
		t.Errorf("unknown values make unset settings unknown: %+v %+v", d.Version, d.Features["zonal_shift"])
	}
}

func TestDeploymentFromManifests(t *testing.T) {
	nodeClass := "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\nspec:\n  role: KarpenterNodeRole-prod\n  amiSelectorTerms: [{alias: al2023@latest}]\n  blockDeviceMappings:\n    - ebs: {kmsKeyID: 0a1b2c3d-0000-4000-8000-000000000000}\n"
	nodePool := map[string]any{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"requirements": []any{
			map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": []any{"spot", "on-demand"}},
		}}}}}
	p := newPlan().create("kubectl_manifest.nodeclass", map[string]any{"yaml_body": nodeClass}).
		create("kubernetes_manifest.nodepool", map[string]any{"manifest": nodePool}).
		create(controller, karpenterRole()).provider("eu-west-1")
	r := role(t, p.build(t, facts.Options{Account: "111122223333"}), controller)
	for name, want := range map[string]string{"nodeclass_role": "on", "alias_ami": "on", "al2023": "on", "ebs_kms": "on", "snapshots": "off", "spot": "on", "placement_groups": "off"} {
		if got := r.Deployment.Features[name].State; got != want {
			t.Errorf("feature %s = %q, want %q", name, got, want)
		}
	}
	found := false
	for _, a := range r.Context.NodeRoleARNs {
		found = found || a == "arn:aws:iam::111122223333:role/KarpenterNodeRole-prod"
	}
	if !found {
		t.Errorf("node_role_arns %v lack the EC2NodeClass role", r.Context.NodeRoleARNs)
	}
	if len(r.Context.EBSKMSKeyARNs) != 1 || r.Context.EBSKMSKeyARNs[0] != "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000000" {
		t.Errorf("ebs_kms_key_arns = %v", r.Context.EBSKMSKeyARNs)
	}
	want := []facts.NodeClass{{Name: "default", Address: "kubectl_manifest.nodeclass", Features: []string{"nodeclass_role", "alias_ami", "al2023", "ebs_kms"}}}
	if diff := cmp.Diff(want, r.Deployment.NodeClasses); diff != "" {
		t.Errorf("node_classes (-want +got):\n%s", diff)
	}
}

// Each EC2NodeClass is listed with the features it uses itself, sorted by name; a plan without
// one lists none (not null).
func TestDeploymentNodeClasses(t *testing.T) {
	gpu := "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: gpu}\nspec:\n  instanceProfile: KarpenterNodeProfile\n  amiSelectorTerms: [{id: ami-0123456789abcdef0}]\n  blockDeviceMappings:\n    - ebs: {snapshotID: snap-0123456789abcdef0}\n"
	def := "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\nspec:\n  role: KarpenterNodeRole-prod\n  amiFamily: AL2023\n"
	p := newPlan().create("kubectl_manifest.gpu", map[string]any{"yaml_body": gpu}).
		create("kubectl_manifest.default", map[string]any{"yaml_body": def}).
		create(controller, karpenterRole()).provider("eu-west-1")
	got := role(t, p.build(t, facts.Options{}), controller).Deployment.NodeClasses
	want := []facts.NodeClass{
		{Name: "default", Address: "kubectl_manifest.default", Features: []string{"nodeclass_role", "alias_ami", "al2023"}},
		{Name: "gpu", Address: "kubectl_manifest.gpu", Features: []string{"snapshots"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("node_classes (-want +got):\n%s", diff)
	}
	none := role(t, newPlan().create(controller, karpenterRole()).build(t, facts.Options{}), controller).Deployment.NodeClasses
	if none == nil || len(none) != 0 {
		t.Errorf("node_classes without manifests = %#v, want empty", none)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{"v0.36.2": "0.36", "1.2.3": "1.2", "1.12": "1.12", "v1.0.0-rc.1": "1.0", "1.01.0": "1.1"} {
		if got, ok := facts.ParseVersion(in); !ok || got != want {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"~1.2", ">=1.0", "1.x", "", "latest"} {
		if got, ok := facts.ParseVersion(in); ok {
			t.Errorf("ParseVersion(%q) = %q, want unknown", in, got)
		}
	}
}

// RULES.md 4.7: with the region unknown, the queue the release names and the EBS key an
// EC2NodeClass names by id keep the region as a placeholder, filled with each candidate when the
// request is made, instead of falling back to what the policy names.
func TestReleaseQueueAndKeyWithUnknownRegion(t *testing.T) {
	nodeClass := "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\nspec:\n  role: KarpenterNodeRole-prod\n  blockDeviceMappings:\n    - ebs: {kmsKeyID: 0a1b2c3d-0000-4000-8000-000000000000}\n"
	p := upgradePlan()
	delete(p.providers, "aws") // no provider region: R unknown
	p = p.create("kubectl_manifest.nodeclass", map[string]any{"yaml_body": nodeClass})
	r := role(t, p.build(t, facts.Options{}), controller)
	if r.Context.Region != "" {
		t.Fatalf("region = %q, want unknown", r.Context.Region)
	}
	if want := "arn:aws:sqs:{R}:111122223333:Karpenter-prod"; len(r.Context.QueueARNs) != 1 || r.Context.QueueARNs[0] != want {
		t.Errorf("queue_arns = %v, want [%s]", r.Context.QueueARNs, want)
	}
	if want := "arn:aws:kms:{R}:111122223333:key/0a1b2c3d-0000-4000-8000-000000000000"; len(r.Context.EBSKMSKeyARNs) != 1 || r.Context.EBSKMSKeyARNs[0] != want {
		t.Errorf("ebs_kms_key_arns = %v, want [%s]", r.Context.EBSKMSKeyARNs, want)
	}
}
