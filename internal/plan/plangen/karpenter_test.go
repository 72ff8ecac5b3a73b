package plangen

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite karpenter.json from the fixture")

// TestKarpenterFragment checks that karpenter.json is still module.karpenter of the fixture it was
// cut from (so the generated plans follow fixture changes), and rewrites it with -update.
func TestKarpenterFragment(t *testing.T) {
	src := filepath.Join("..", "..", "..", filepath.FromSlash(karpenterSource))
	b, err := os.ReadFile(src)
	if err != nil {
		t.Skipf("fixture not readable: %v", err)
	}
	got, err := cutKarpenter(b)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("karpenter.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, karpenterJSON) {
		t.Errorf("karpenter.json differs from module.karpenter of %s (run with -update)", karpenterSource)
	}
}

func cutKarpenter(plan []byte) ([]byte, error) {
	var doc struct {
		ResourceChanges []json.RawMessage `json:"resource_changes"`
		PlannedValues   struct {
			RootModule struct {
				ChildModules []json.RawMessage `json:"child_modules"`
			} `json:"root_module"`
		} `json:"planned_values"`
		PriorState struct {
			Values struct {
				RootModule struct {
					ChildModules []json.RawMessage `json:"child_modules"`
				} `json:"root_module"`
			} `json:"values"`
		} `json:"prior_state"`
		Configuration struct {
			ProviderConfig map[string]json.RawMessage `json:"provider_config"`
			RootModule     struct {
				ModuleCalls map[string]json.RawMessage `json:"module_calls"`
			} `json:"root_module"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(plan, &doc); err != nil {
		return nil, err
	}
	child := func(mods []json.RawMessage) (json.RawMessage, error) {
		for _, m := range mods {
			var a struct {
				Address string `json:"address"`
			}
			if err := json.Unmarshal(m, &a); err != nil {
				return nil, err
			}
			if a.Address == "module.karpenter" {
				return m, nil
			}
		}
		return nil, fmt.Errorf("no module.karpenter child module")
	}
	f := fragment{Source: karpenterSource, ResourceChanges: doc.ResourceChanges}
	var err error
	if f.PlannedValues, err = child(doc.PlannedValues.RootModule.ChildModules); err != nil {
		return nil, err
	}
	if f.PriorState, err = child(doc.PriorState.Values.RootModule.ChildModules); err != nil {
		return nil, err
	}
	f.ModuleCall = doc.Configuration.RootModule.ModuleCalls["karpenter"]
	f.ProviderConfig = doc.Configuration.ProviderConfig["module.karpenter:aws"] // absent when the module inherits the root's
	if f.ModuleCall == nil {
		return nil, fmt.Errorf("no karpenter module call")
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
