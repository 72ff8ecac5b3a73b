package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// planDoc is the part of `terraform show -json` (a plan) the generator reads to build states.
type planDoc struct {
	PlannedValues   valuesDoc        `json:"planned_values"`
	ResourceChanges []resourceChange `json:"resource_changes"`
	PriorState      *struct {
		Values valuesDoc `json:"values"`
	} `json:"prior_state"`
	Configuration configDoc `json:"configuration"`
}

type valuesDoc struct {
	RootModule valuesModule `json:"root_module"`
}

type valuesModule struct {
	Resources    []valuesResource `json:"resources"`
	ChildModules []valuesModule   `json:"child_modules"`
}

type valuesResource struct {
	Address       string         `json:"address"`
	Mode          string         `json:"mode"`
	Type          string         `json:"type"`
	Name          string         `json:"name"`
	Index         any            `json:"index"`
	SchemaVersion int            `json:"schema_version"`
	Values        map[string]any `json:"values"`
}

type resourceChange struct {
	Address       string `json:"address"`
	ModuleAddress string `json:"module_address"`
	Mode          string `json:"mode"`
	Type          string `json:"type"`
	Name          string `json:"name"`
	Index         any    `json:"index"`
	Change        struct {
		Actions      []string `json:"actions"`
		Before       any      `json:"before"`
		After        any      `json:"after"`
		AfterUnknown any      `json:"after_unknown"`
	} `json:"change"`
}

type configDoc struct {
	ProviderConfig map[string]providerConfig `json:"provider_config"`
	RootModule     configModule              `json:"root_module"`
}

type providerConfig struct {
	Name          string         `json:"name"`
	FullName      string         `json:"full_name"`
	Alias         string         `json:"alias"`
	ModuleAddress string         `json:"module_address"`
	Expressions   map[string]any `json:"expressions"`
}

type configModule struct {
	Resources   []configResource      `json:"resources"`
	ModuleCalls map[string]moduleCall `json:"module_calls"`
}

type moduleCall struct {
	Module configModule `json:"module"`
}

type configResource struct {
	Address           string         `json:"address"`
	ProviderConfigKey string         `json:"provider_config_key"`
	Expressions       map[string]any `json:"expressions"`
	DependsOn         []string       `json:"depends_on"`
}

func decodePlan(raw []byte) (*planDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var p planDoc
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// pendingChanges lists what a plan would still do: every managed change other than no-op, and
// every data source read that waits for apply.
func (p *planDoc) pendingChanges() []string {
	var out []string
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "managed" && slices.Equal(rc.Change.Actions, []string{"no-op"}) {
			continue
		}
		out = append(out, rc.Address+" ("+strings.Join(rc.Change.Actions, ",")+")")
	}
	return out
}

// walk calls fn for every resource of m and its descendants.
func (m *valuesModule) walk(fn func(*valuesResource)) {
	for i := range m.Resources {
		fn(&m.Resources[i])
	}
	for i := range m.ChildModules {
		m.ChildModules[i].walk(fn)
	}
}

// configOf finds the configuration block of a resource instance in module moduleAddr
// (`module.a["x"].module.b`): instance keys do not matter in the configuration.
func (p *planDoc) configOf(moduleAddr, mode, typ, name string) (*configResource, error) {
	m := &p.Configuration.RootModule
	for _, step := range moduleSteps(moduleAddr) {
		call, ok := m.ModuleCalls[step]
		if !ok {
			return nil, fmt.Errorf("no module call %q in the configuration (module %s)", step, moduleAddr)
		}
		m = &call.Module
	}
	want := typ + "." + name
	if mode == "data" {
		want = "data." + want
	}
	for i := range m.Resources {
		if m.Resources[i].Address == want {
			return &m.Resources[i], nil
		}
	}
	return nil, fmt.Errorf("no configuration for %s in module %q", want, moduleAddr)
}

// moduleSteps splits `module.a["x"].module.b` into the call names a, b.
func moduleSteps(addr string) []string {
	var out []string
	for addr != "" {
		addr = strings.TrimPrefix(addr, "module.")
		end := strings.IndexAny(addr, ".[")
		if end < 0 {
			out = append(out, addr)
			break
		}
		out = append(out, addr[:end])
		addr = addr[end:]
		if strings.HasPrefix(addr, "[") {
			// skip the instance key, which may hold dots inside quotes
			depth, inQuote := 0, false
			i := 0
			for ; i < len(addr); i++ {
				c := addr[i]
				switch {
				case inQuote && c == '\\':
					i++
				case c == '"':
					inQuote = !inQuote
				case !inQuote && c == '[':
					depth++
				case !inQuote && c == ']':
					depth--
				}
				if depth == 0 {
					break
				}
			}
			addr = addr[min(i+1, len(addr)):]
		}
		addr = strings.TrimPrefix(addr, ".")
	}
	return out
}

// provider returns the state's provider address of a resource (`provider["…/aws"].west`) and the
// constant region of that provider configuration.
func (p *planDoc) provider(cr *configResource) (addr, region string, err error) {
	pc, ok := p.Configuration.ProviderConfig[cr.ProviderConfigKey]
	if !ok {
		return "", "", fmt.Errorf("%s: no provider configuration %q", cr.Address, cr.ProviderConfigKey)
	}
	addr = `provider["` + pc.FullName + `"]`
	if pc.Alias != "" {
		addr += "." + pc.Alias
	}
	if pc.ModuleAddress != "" {
		addr = pc.ModuleAddress + "." + addr
	}
	if e, ok := pc.Expressions["region"].(map[string]any); ok {
		region, _ = e["constant_value"].(string)
	}
	return addr, region, nil
}
