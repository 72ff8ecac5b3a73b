package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/karpgate/karpgate/internal/jsontext"
)

// Kind tells a plan from a state.
type Kind string

// Kinds of input.
const (
	KindPlan  Kind = "plan"
	KindState Kind = "state"
)

// Plan is one decoded and indexed `terraform show -json` document.
type Plan struct {
	Name             string // the file name as given ("-" for stdin)
	Kind             Kind
	FormatVersion    string
	TerraformVersion string

	// Resources holds every resource instance by absolute address. Deposed objects are left out.
	Resources map[string]*Resource
	// Addresses lists Resources' keys in sorted order.
	Addresses []string

	// Config is the configuration section (plans only; nil for states and for plans without it).
	Config *tfjson.Config
	// Variables are the root module input variables (plans only).
	Variables map[string]any
	// Raw is the UTF-8 JSON text the plan was decoded from, with Options.Text (else nil); rules
	// that read input.plan get it.
	Raw []byte
	// Complete is the plan's "complete" (Terraform 1.8+); nil when the plan does not say.
	Complete *bool
	// Deferred lists deferred_changes: changes Terraform postponed to a later plan
	// (RULES.md §3.4). An errored plan never reaches here: Read
	// rejects it as an input error.
	Deferred []*Deferred

	modules map[string]*tfjson.ConfigModule // config module by key-less module path ("" for root)
	calls   map[string]*tfjson.ModuleCall   // module call by key-less module path
}

// Resource is one resource instance merged across the sections of the document.
type Resource struct {
	Address string // absolute, with instance keys
	Module  string // absolute module instance path, "" for the root module
	Mode    string // "managed" or "data"
	Type    string
	Name    string
	Index   any // nil, json.Number-free int, or string

	// Action summarizes resource_changes: create, update, no-op, delete, replace, read, forget,
	// or "" when the resource appears only in prior_state (a state, or a data source read during
	// planning).
	Action       string
	ActionReason string

	// The change's "before" is checked to be an object or null but not kept: nothing reads it.
	After        *Attrs // resource_changes after (unknown leaves omitted)
	AfterUnknown *Attrs // resource_changes after_unknown (true leaves)
	Planned      *Attrs // planned_values values
	Prior        *Attrs // prior_state values (or state values)
}

// Deferred is one entry of a plan's deferred_changes: a resource change Terraform could not plan
// yet, with the reason it gives (resource_config_unknown, provider_config_unknown, ...).
type Deferred struct {
	Reason   string
	Resource *Resource // Address, Module, Mode, Type, Name, Index, Action, After, AfterUnknown
}

// Deleted reports whether the resource goes away in AWS in this plan. A "forget" (a removed
// block with lifecycle destroy = false) only drops it from the state: it stays in AWS, still
// attached to what it was attached to (RULES.md §3.1).
func (r *Resource) Deleted() bool { return r.Action == "delete" }

// Values returns the best-known attribute values: after, else planned values, else prior state.
func (r *Resource) Values() *Attrs {
	switch {
	case r.After != nil:
		return r.After
	case r.Planned != nil:
		return r.Planned
	}
	return r.Prior
}

// Unknown reports whether attribute attr, or any part of it, is unknown until apply. Terraform
// mirrors known collections in after_unknown with false leaves (`[false]`, `[{}]`): those are known.
func (r *Resource) Unknown(attr string) bool {
	v, ok := r.AfterUnknown.Get(attr)
	return ok && anyTrue(v)
}

func anyTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case []any:
		for _, e := range x {
			if anyTrue(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if anyTrue(e) {
				return true
			}
		}
	}
	return false
}

// String returns a known string attribute and whether it is known and a string.
func (r *Resource) String(attr string) (string, bool) {
	if r.Unknown(attr) {
		return "", false
	}
	v, ok := r.Values().Get(attr)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// document is the subset of the plan and state formats karpgate reads. Everything else is skipped
// by the decoder without being materialized.
type document struct {
	FormatVersion    *string                  `json:"format_version"`
	TerraformVersion string                   `json:"terraform_version"`
	Values           *tfjson.StateValues      `json:"values"` // states
	PlannedValues    *tfjson.StateValues      `json:"planned_values"`
	ResourceChanges  []*tfjson.ResourceChange `json:"resource_changes"`
	PriorState       *struct {
		Values *tfjson.StateValues `json:"values"`
	} `json:"prior_state"`
	Configuration *tfjson.Config `json:"configuration"`
	Variables     map[string]*struct {
		Value any `json:"value"`
	} `json:"variables"`
	Errored         bool                             `json:"errored"`
	Complete        *bool                            `json:"complete"`
	DeferredChanges []*tfjson.DeferredResourceChange `json:"deferred_changes"`
}

// erroredPlan is the input error for a plan Terraform marked errored (RULES.md §3.4): it holds
// only what Terraform planned before the error, so nothing in it can be trusted to be complete.
func erroredPlan(name string) error {
	return inputErr(name, "the plan is errored (\"errored\": true): terraform stopped planning on an error, so the plan is incomplete; fix the error terraform printed and plan again")
}

// status records the plan's completeness and its deferred changes.
func (p *Plan) status(complete *bool, deferred []*tfjson.DeferredResourceChange) error {
	p.Complete = complete
	for i, d := range deferred {
		if d == nil {
			return fmt.Errorf("deferred_changes[%d] is null", i)
		}
		rc := d.ResourceChange
		if rc == nil || rc.Address == "" {
			return fmt.Errorf("deferred_changes[%d] has no resource_change address", i)
		}
		r := &Resource{Address: rc.Address, Module: rc.ModuleAddress, Mode: string(rc.Mode), Type: rc.Type, Name: rc.Name, Index: normIndex(rc.Index)}
		if r.Module == "" {
			r.Module = moduleOf(rc.Address)
		}
		if rc.Change != nil {
			r.Action = summarize(rc.Change.Actions)
			var err error
			if r.After, err = object(rc.Change.After, rc.Address, "change.after"); err != nil {
				return fmt.Errorf("deferred_changes[%d]: %w", i, err)
			}
			if r.AfterUnknown, err = object(rc.Change.AfterUnknown, rc.Address, "change.after_unknown"); err != nil {
				if b, ok := rc.Change.AfterUnknown.(bool); !ok || !b {
					return fmt.Errorf("deferred_changes[%d]: %w", i, err)
				}
				r.AfterUnknown = nil
			}
		}
		p.Deferred = append(p.Deferred, &Deferred{Reason: d.Reason, Resource: r})
	}
	return nil
}

func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := te.Field
		if path == "" {
			path = "(top level)"
		}
		return fmt.Sprintf("%s: expected %s, found JSON %s", path, te.Type, te.Value)
	}
	return err.Error()
}

func checkFormatVersion(v string) error {
	major, minor, ok := strings.Cut(v, ".")
	if !ok {
		return fmt.Errorf("format_version %q is not MAJOR.MINOR", v)
	}
	n, err := strconv.Atoi(major)
	if _, errMinor := strconv.ParseUint(minor, 10, 32); err != nil || errMinor != nil {
		return fmt.Errorf("format_version %q is not MAJOR.MINOR", v)
	}
	if n != 0 && n != 1 {
		return fmt.Errorf("unsupported format_version %q (karpgate reads 0.x and 1.x)", v)
	}
	return nil
}

// indexChanges merges resource_changes into the index.
func (p *Plan) indexChanges(changes []*tfjson.ResourceChange) error {
	for i, rc := range changes {
		if rc == nil {
			return fmt.Errorf("resource_changes[%d] is null", i)
		}
		if rc.Address == "" {
			return fmt.Errorf("resource_changes[%d] has no address", i)
		}
		if rc.Change == nil {
			return fmt.Errorf("resource_changes[%d] (%s) has no change", i, rc.Address)
		}
		if rc.DeposedKey != "" {
			continue
		}
		r := p.Resources[rc.Address]
		if r == nil {
			r = &Resource{Address: rc.Address, Module: rc.ModuleAddress, Mode: string(rc.Mode), Type: rc.Type, Name: rc.Name, Index: normIndex(rc.Index)}
			p.Resources[rc.Address] = r
		}
		r.Action = summarize(rc.Change.Actions)
		r.ActionReason = string(rc.ActionReason)
		var err error
		if _, err = object(rc.Change.Before, rc.Address, "change.before"); err != nil {
			return err
		}
		if r.After, err = object(rc.Change.After, rc.Address, "change.after"); err != nil {
			return err
		}
		if r.AfterUnknown, err = object(rc.Change.AfterUnknown, rc.Address, "change.after_unknown"); err != nil {
			// after_unknown may legitimately be the bare value true for a wholly unknown object.
			if b, ok := rc.Change.AfterUnknown.(bool); !ok || !b {
				return err
			}
			r.AfterUnknown = nil
		}
		if r.Action == "delete" || r.Action == "forget" {
			r.After = nil
		}
	}
	return nil
}

// finishIndex sorts the addresses, fills module paths and indexes the configuration.
func (p *Plan) finishIndex(doc *document) {
	for a, r := range p.Resources {
		if r.Module == "" {
			r.Module = moduleOf(a)
		}
		p.Addresses = append(p.Addresses, a)
	}
	slices.Sort(p.Addresses)
	if doc.Configuration != nil {
		p.Config = doc.Configuration
		p.modules = map[string]*tfjson.ConfigModule{}
		p.calls = map[string]*tfjson.ModuleCall{}
		if doc.Configuration.RootModule != nil {
			p.indexConfig("", doc.Configuration.RootModule, 0)
		}
	}
	if len(doc.Variables) > 0 {
		p.Variables = map[string]any{}
		for k, v := range doc.Variables {
			if v != nil {
				p.Variables[k] = v.Value
			}
		}
	}
}

// maxModuleDepth bounds recursion over hostile configuration documents.
const maxModuleDepth = 64

func (p *Plan) indexConfig(path string, m *tfjson.ConfigModule, depth int) {
	if m == nil || depth > maxModuleDepth {
		return
	}
	p.modules[path] = m
	names := make([]string, 0, len(m.ModuleCalls))
	for n := range m.ModuleCalls {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		call := m.ModuleCalls[n]
		if call == nil {
			continue
		}
		child := "module." + n
		if path != "" {
			child = path + "." + child
		}
		p.calls[child] = call
		p.indexConfig(child, call.Module, depth+1)
	}
}

// object returns a change's value as attributes: a decoded object (the full decode) or the
// attributes the single pass kept as text.
func object(v any, addr, field string) (*Attrs, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *Attrs:
		return x, nil
	case map[string]any:
		return AttrsOf(x), nil
	}
	return nil, fmt.Errorf("resource_changes %s: %s is %s, expected an object", addr, field, jsontext.TypeName(v))
}

func summarize(a tfjson.Actions) string {
	switch {
	case a.NoOp():
		return "no-op"
	case a.Create():
		return "create"
	case a.Read():
		return "read"
	case a.Update():
		return "update"
	case a.Delete():
		return "delete"
	case a.Replace():
		return "replace"
	}
	if len(a) == 1 {
		return string(a[0])
	}
	if slices.Contains(a, tfjson.Action("forget")) {
		if slices.Contains(a, tfjson.ActionCreate) {
			return "create"
		}
		return "forget"
	}
	return ""
}

func normIndex(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int(x)) {
			return int(x)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		return x.String()
	}
	return v
}

// moduleOf returns the module instance path of an absolute resource address.
func moduleOf(addr string) string {
	mod, _ := SplitAddress(addr)
	return mod
}

func sortStrings(s []string) { slices.Sort(s) }

// plan assembles the Plan exactly as index does for the full decode.
func (f *fastDoc) plan(name string, b []byte) (*Plan, error) {
	if f.formatVersion == nil {
		return nil, inputErr(name, "no format_version: not the output of terraform show -json")
	}
	if err := checkFormatVersion(*f.formatVersion); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	if f.errored {
		return nil, erroredPlan(name)
	}
	p := &Plan{
		Name:             name,
		FormatVersion:    *f.formatVersion,
		TerraformVersion: f.terraformVersion,
		Resources:        map[string]*Resource{},
		Raw:              b,
		Variables:        f.variables,
	}
	switch {
	case f.isPlan:
		p.Kind = KindPlan
	case f.hasValues || f.terraformVersion != "":
		p.Kind = KindState
	default:
		return nil, inputErr(name, "neither a plan (planned_values, resource_changes) nor a state (values)")
	}
	doc := &document{FormatVersion: f.formatVersion, TerraformVersion: f.terraformVersion, ResourceChanges: f.changes, Configuration: f.config}
	if err := p.indexKept(doc, f.state, f.prior, f.planned, f.keep != nil); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	if err := p.status(f.complete, f.deferred); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	return p, nil
}

// indexKept is index for resources already collected with their module paths. With a filter, the
// planned and prior values of a resource whose change has an "after" are not kept: Values and
// every reader of the IAM model use "after" first, and prior state only for resources without a
// change.
func (p *Plan) indexKept(doc *document, state, prior, planned []kept, lazy bool) error {
	get := func(k kept) *Resource {
		r := p.Resources[k.address]
		if r == nil {
			r = &Resource{Address: k.address, Module: k.module, Mode: k.mode, Type: k.typ, Name: k.name, Index: normIndex(k.index)}
			p.Resources[k.address] = r
		}
		return r
	}
	type pending struct {
		r      *Resource
		values []byte
		prior  bool
	}
	var todo []pending
	for _, set := range [][]kept{state, prior} {
		for _, k := range set {
			if !k.deposed {
				todo = append(todo, pending{get(k), k.values, true})
			}
		}
	}
	for _, k := range planned {
		todo = append(todo, pending{get(k), k.values, false})
	}
	if err := p.indexChanges(doc.ResourceChanges); err != nil {
		return err
	}
	for _, t := range todo {
		if lazy && t.r.After != nil && !(t.prior && keepsPrior(t.r.Type)) {
			continue
		}
		var m *Attrs
		if t.values != nil && t.values[0] == '{' {
			m = attrsText(t.values, nil)
		}
		if t.prior {
			t.r.Prior = m
		} else {
			t.r.Planned = m
		}
	}
	p.finishIndex(doc)
	return nil
}
