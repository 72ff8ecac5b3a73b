package plangen

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// karpenterJSON is module.karpenter of testdata/plans/eks-v20.24-v033/plan.json (terraform-aws-eks
// v20.24 modules/karpenter with the v0.33 controller policy): its resource changes, planned values,
// prior state, module call and provider configuration. TestKarpenterFragment keeps it equal to
// that fixture (`go test ./internal/plan/plangen -run TestKarpenterFragment -update` rewrites it).
//
//go:embed karpenter.json
var karpenterJSON []byte

// karpenterSource is the fixture the fragment comes from, relative to the repository root.
const karpenterSource = "testdata/plans/eks-v20.24-v033/plan.json"

// fragment is the shape of karpenter.json.
type fragment struct {
	Source          string            `json:"source"`
	ResourceChanges []json.RawMessage `json:"resource_changes"`
	PlannedValues   json.RawMessage   `json:"planned_values"`            // the child module object
	PriorState      json.RawMessage   `json:"prior_state"`               // the child module object
	ModuleCall      json.RawMessage   `json:"module_call"`               // configuration.root_module.module_calls.karpenter
	ProviderConfig  json.RawMessage   `json:"provider_config,omitempty"` // configuration.provider_config["module.karpenter:aws"], if Terraform lists one
}

// karpenterModule is the fragment with every part compacted, ready to splice into the output.
type karpenterModule struct {
	changes        []raw
	planned, prior raw
	call, provider raw
}

func loadKarpenter() (*karpenterModule, error) {
	var f fragment
	if err := json.Unmarshal(karpenterJSON, &f); err != nil {
		return nil, fmt.Errorf("decode karpenter.json: %w", err)
	}
	c := func(m json.RawMessage) raw {
		var b bytes.Buffer
		if err := json.Compact(&b, m); err != nil {
			return nil
		}
		return raw(b.Bytes())
	}
	k := &karpenterModule{planned: c(f.PlannedValues), prior: c(f.PriorState), call: c(f.ModuleCall)}
	if f.ProviderConfig != nil {
		if k.provider = c(f.ProviderConfig); k.provider == nil {
			return nil, fmt.Errorf("decode karpenter.json: the provider configuration is invalid")
		}
	}
	for _, rc := range f.ResourceChanges {
		k.changes = append(k.changes, c(rc))
	}
	if k.planned == nil || k.prior == nil || k.call == nil || len(k.changes) == 0 {
		return nil, fmt.Errorf("decode karpenter.json: a part is missing or invalid")
	}
	return k, nil
}
