package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// tfState is a Terraform state, format version 4, as `terraform apply` writes it.
type tfState struct {
	Version          int             `json:"version"`
	TerraformVersion string          `json:"terraform_version"`
	Serial           int             `json:"serial"`
	Lineage          string          `json:"lineage"`
	Outputs          map[string]any  `json:"outputs"`
	Resources        []stateResource `json:"resources"`
	CheckResults     any             `json:"check_results"`

	byAddr map[string]map[string]any // instance address -> attributes, for the next round
}

type stateResource struct {
	Module    string          `json:"module,omitempty"`
	Mode      string          `json:"mode"`
	Type      string          `json:"type"`
	Name      string          `json:"name"`
	Provider  string          `json:"provider"`
	Instances []stateInstance `json:"instances"`
}

type stateInstance struct {
	IndexKey            any            `json:"index_key,omitempty"`
	SchemaVersion       int            `json:"schema_version"`
	Attributes          map[string]any `json:"attributes"`
	SensitiveAttributes []any          `json:"sensitive_attributes"`
	Dependencies        []string       `json:"dependencies,omitempty"`
}

func (s *tfState) encode() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return append(b, '\n'), nil
}

// buildState is the state an apply of plan p would leave: every managed resource the plan keeps,
// creates or updates, with the values only apply knows filled in (prev supplies them for
// resources that already exist), and every data source the plan read.
func buildState(p *planDoc, prev *tfState, scenario string) (*tfState, error) {
	st := &tfState{
		Version:          4,
		TerraformVersion: terraformVersion,
		Serial:           1,
		Lineage:          lineage(scenario),
		Outputs:          map[string]any{},
		byAddr:           map[string]map[string]any{},
	}
	if prev != nil {
		st.Serial = prev.Serial + 1
	}
	schema := map[string]int{}
	p.PlannedValues.RootModule.walk(func(r *valuesResource) { schema[r.Address] = r.SchemaVersion })

	groups := map[string]*stateResource{}
	add := func(moduleAddr, mode, typ, name string, index any, addr string, schemaVersion int, attrs map[string]any) error {
		cr, err := p.configOf(moduleAddr, mode, typ, name)
		if err != nil {
			return err
		}
		prov, _, err := p.provider(cr)
		if err != nil {
			return err
		}
		key := moduleAddr + "|" + mode + "|" + typ + "|" + name
		g, ok := groups[key]
		if !ok {
			g = &stateResource{Module: moduleAddr, Mode: mode, Type: typ, Name: name, Provider: prov}
			groups[key] = g
		}
		g.Instances = append(g.Instances, stateInstance{IndexKey: index, SchemaVersion: schemaVersion, Attributes: attrs, SensitiveAttributes: []any{}})
		st.byAddr[addr] = attrs
		return nil
	}

	f := &filler{plan: p, scenario: scenario}
	var errs []error
	// Managed resources in address order, so generated suffixes do not depend on plan order.
	changes := append([]resourceChange(nil), p.ResourceChanges...)
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Address < changes[j].Address })
	for _, rc := range changes {
		if rc.Mode != "managed" || (len(rc.Change.Actions) == 1 && rc.Change.Actions[0] == "delete") {
			continue
		}
		var prevAttrs map[string]any
		if prev != nil {
			prevAttrs = prev.byAddr[rc.Address]
		}
		attrs, err := f.resource(&rc, prevAttrs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := add(rc.ModuleAddress, rc.Mode, rc.Type, rc.Name, rc.Index, rc.Address, schema[rc.Address], attrs); err != nil {
			return nil, err
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Data sources read during the plan live in its prior state.
	if p.PriorState != nil {
		var err error
		walkWithModule(&p.PriorState.Values.RootModule, func(r *valuesResource, moduleAddr string) {
			if r.Mode != "data" || err != nil {
				return
			}
			err = add(moduleAddr, r.Mode, r.Type, r.Name, r.Index, r.Address, r.SchemaVersion, r.Values)
		})
		if err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g.Instances, func(i, j int) bool {
			return fmt.Sprint(g.Instances[i].IndexKey) < fmt.Sprint(g.Instances[j].IndexKey)
		})
		st.Resources = append(st.Resources, *g)
	}
	return st, nil
}

// walkWithModule is walk with the module address of each resource, taken from the resource's own
// address (the values document's module address is not always present).
func walkWithModule(m *valuesModule, fn func(*valuesResource, string)) {
	m.walk(func(r *valuesResource) {
		rel := r.Type + "." + r.Name
		if r.Mode == "data" {
			rel = "data." + rel
		}
		i := strings.LastIndex(r.Address, rel)
		mod := ""
		if i > 0 {
			mod = strings.TrimSuffix(r.Address[:i], ".")
		}
		fn(r, mod)
	})
}

// lineage is a stable state lineage (a UUID) per scenario.
func lineage(scenario string) string {
	h := sha256.Sum256([]byte("karpgate lineage " + scenario))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
