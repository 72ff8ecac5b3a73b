package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

// RULES.md 5.1: config's karpenter.settings (Helm names) and karpenter.features (the data's
// names) decide features over the plan; a karpenter.roles entry's over the global ones.
func TestConfigSettingsAndFeaturesWinOverThePlan(t *testing.T) {
	opt := facts.Options{
		DeployOptions: facts.DeployOptions{
			Settings: map[string]string{"enableZonalShift": "false", "interruptionQueue": "Karpenter-other", "featureGates.reservedCapacity": "true"},
			Features: map[string]bool{"spot": false, "nodeclass_role": true},
		},
		PerRole: []facts.RoleOptions{{Selector: controller, DeployOptions: facts.DeployOptions{Features: map[string]bool{"spot": true}}}},
	}
	r := role(t, upgradePlan().build(t, opt), controller)
	for name, want := range map[string]facts.Feature{
		"zonal_shift":            {State: "off", Source: "config karpenter.settings.enableZonalShift"},
		"reserved_capacity_gate": {State: "on", Source: "config karpenter.settings.featureGates.reservedCapacity"},
		"interruption_queue":     {State: "on", Source: "config karpenter.settings.interruptionQueue"},
		"nodeclass_role":         {State: "on", Source: "config karpenter.features.nodeclass_role"},
		"spot":                   {State: "on", Source: "config karpenter.roles entry " + controller + " features.spot"},
		"isolated_vpc":           {State: "on", Source: "helm_release.karpenter settings.isolatedVPC"},
	} {
		if diff := cmp.Diff(want, r.Deployment.Features[name]); diff != "" {
			t.Errorf("feature %s (-want +got):\n%s", name, diff)
		}
	}
	if want := []string{"arn:aws:sqs:eu-west-1:111122223333:Karpenter-other"}; !cmp.Equal(want, r.Context.QueueARNs) {
		t.Errorf("queue_arns = %v, want %v (the configured queue)", r.Context.QueueARNs, want)
	}
}

// settings.clusterName in config is a config source of the cluster (RULES.md 5.2).
func TestConfigSettingsClusterName(t *testing.T) {
	opt := facts.Options{DeployOptions: facts.DeployOptions{Settings: map[string]string{"clusterName": "blue"}}}
	c := role(t, upgradePlan().build(t, opt), controller).Context
	if c.Cluster != "blue" || c.Sources["cluster"] != "config" {
		t.Errorf("cluster = %q from %q, want blue from config", c.Cluster, c.Sources["cluster"])
	}
}

// RULES.md 5.2: the service account comes from config, else the linked release (its namespace
// and serviceAccount.name); the network keys from config alone.
func TestConfigServiceAccountAndNetwork(t *testing.T) {
	c := role(t, upgradePlan().build(t, facts.Options{}), controller).Context
	if c.ServiceAccount != "kube-system/karpenter" || c.Sources["service_account"] != "helm_release.karpenter" {
		t.Errorf("service account = %q from %q, want kube-system/karpenter from the release", c.ServiceAccount, c.Sources["service_account"])
	}
	if c.Network != nil {
		t.Errorf("network = %+v, want nil without config", c.Network)
	}
	opt := facts.Options{
		DeployOptions: facts.DeployOptions{ServiceAccount: "karpenter/karpenter", Network: facts.Network{SourceIP: "203.0.113.7", SourceVPC: "vpc-0abc1234"}},
		PerRole:       []facts.RoleOptions{{Selector: controller, DeployOptions: facts.DeployOptions{Network: facts.Network{SourceVPC: "vpc-0fff9999"}}}},
	}
	c = role(t, upgradePlan().build(t, opt), controller).Context
	if c.ServiceAccount != "karpenter/karpenter" || c.Sources["service_account"] != "config karpenter.service_account" {
		t.Errorf("service account = %q from %q, want the config's", c.ServiceAccount, c.Sources["service_account"])
	}
	if want := (&facts.Network{SourceIP: "203.0.113.7", SourceVPC: "vpc-0fff9999"}); !cmp.Equal(want, c.Network) {
		t.Errorf("network = %+v, want %+v", c.Network, want)
	}
	none := role(t, newPlan().create(controller, karpenterRole()).build(t, facts.Options{}), controller).Context
	if none.ServiceAccount != "" || none.Sources["service_account"] != "" {
		t.Errorf("without release or config: service account = %q from %q, want unknown", none.ServiceAccount, none.Sources["service_account"])
	}
}
