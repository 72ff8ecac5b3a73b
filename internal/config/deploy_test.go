package config

import (
	"slices"
	"testing"

	regofs "github.com/karpgate/karpgate/rego"
)

// The features config may set are the request data's (RULES.md 5.1), except pre_v1_instances,
// which upgrade_from decides: a feature added to the data must be added here.
func TestFeatureNamesAreTheRequestDataFeatures(t *testing.T) {
	data, err := regofs.Data()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := data[regofs.Root].(map[string]any)
	karp, _ := root["karpenter"].(map[string]any)
	reqs, _ := karp["requests"].(map[string]any)
	features, _ := reqs["features"].(map[string]any)
	if len(features) == 0 {
		t.Fatal("no features in data.karpgate.karpenter.requests")
	}
	var want []string
	for name := range features {
		if name != "pre_v1_instances" {
			want = append(want, name)
		}
	}
	got := slices.Clone(FeatureNames)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("FeatureNames = %v, want the data's %v", got, want)
	}
}
