package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// A scenario is one directory testdata/tf/<name> holding a root module, and optionally
// scenario.json and before/ (an earlier root module).
type scenario struct {
	Name string
	Dir  string // testdata/tf/<name>

	// Prior names the state the plan starts from: "none" (a first apply), "self" (this
	// configuration is already applied: existing infrastructure) or "before" (the configuration
	// in before/ is applied and this one changes it).
	Prior string `json:"prior"`
	// Show is what plan.json holds: "plan" (terraform show -json of the plan) or "state"
	// (terraform show -json of the prior state).
	Show string `json:"show"`
	// Config names another scenario whose configuration this one uses, instead of its own .tf.
	Config string `json:"config"`
	// Encoding is how plan.json is written: "utf-8" (as Terraform prints it) or "utf-16le", as
	// Windows PowerShell 5 writes `terraform show -json > plan.json` (a BOM, CRLF line ends).
	Encoding string `json:"encoding"`
	// Splice names a file of the scenario holding resource changes Terraform cannot print here
	// (the mirror has no helm or kubernetes provider): {"resource_changes": [...]}. They are
	// added at the start of the plan's resource_changes, each entry as written (compacted).
	Splice string `json:"splice"`
}

// settingsFile is the optional per-scenario settings file.
const settingsFile = "scenario.json"

// modulesDir holds the modules the scenarios share; it is no scenario.
const modulesDir = "modules"

// loadScenarios lists the scenarios under root, sorted by name.
func loadScenarios(root string) ([]scenario, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	var out []scenario
	for _, e := range entries {
		if !e.IsDir() || e.Name() == modulesDir {
			continue
		}
		s, err := loadScenario(root, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func loadScenario(root, name string) (scenario, error) {
	s := scenario{Name: name, Dir: filepath.Join(root, name), Prior: "none", Show: "plan", Encoding: "utf-8"}
	b, err := os.ReadFile(filepath.Join(s.Dir, settingsFile))
	switch {
	case err == nil:
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("read %s: %w", filepath.Join(s.Dir, settingsFile), err)
		}
	case !os.IsNotExist(err):
		return s, fmt.Errorf("read scenario %s: %w", name, err)
	}
	where := filepath.Join(s.Dir, settingsFile)
	switch s.Prior {
	case "none", "self":
	case "before":
		if fi, err := os.Stat(filepath.Join(s.Dir, "before")); err != nil || !fi.IsDir() {
			return s, fmt.Errorf("%s: prior is \"before\" but %s has no before/ directory", where, s.Dir)
		}
	default:
		return s, fmt.Errorf("%s: prior %q is not one of none, self, before", where, s.Prior)
	}
	switch s.Show {
	case "plan":
	case "state":
		if s.Prior == "none" {
			return s, fmt.Errorf("%s: show \"state\" needs a prior state (prior self or before)", where)
		}
	default:
		return s, fmt.Errorf("%s: show %q is not one of plan, state", where, s.Show)
	}
	if s.Encoding != "utf-8" && s.Encoding != "utf-16le" {
		return s, fmt.Errorf("%s: encoding %q is not one of utf-8, utf-16le", where, s.Encoding)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "before")); err == nil && s.Prior != "before" {
		return s, fmt.Errorf("%s has before/ but its prior is %q: set \"prior\": \"before\" in %s", s.Dir, s.Prior, settingsFile)
	}
	if s.Config != "" {
		if fi, err := os.Stat(filepath.Join(root, s.Config)); err != nil || !fi.IsDir() || s.Config == modulesDir {
			return s, fmt.Errorf("%s: config %q names no scenario under %s", where, s.Config, root)
		}
	} else if tf, _ := filepath.Glob(filepath.Join(s.Dir, "*.tf")); len(tf) == 0 {
		return s, fmt.Errorf("scenario %s has no .tf files", s.Dir)
	}
	return s, nil
}
