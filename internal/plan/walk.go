package plan

// The schema walk of the single pass: it reads the members of terraform's fixed-shape objects by
// the tables of keys.go, checks the type of every member it reads, keeps what the Plan needs of
// the resources Keep selects (own.go), and validates and skips everything else.

import (
	"bytes"
	"encoding/json"
	"slices"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// fastDoc collects what the single pass keeps.
type fastDoc struct {
	l    jsontext.Lexer
	keep Keep

	formatVersion    *string
	terraformVersion string
	hasValues        bool
	isPlan           bool
	state            []kept // values (states)
	prior            []kept // prior_state.values
	planned          []kept // planned_values
	changes          []*tfjson.ResourceChange
	config           *tfjson.Config
	variables        map[string]any
	errored          bool
	complete         *bool
	deferred         []*tfjson.DeferredResourceChange
	strs             map[string]string         // interned modes and types
	actions          map[string]tfjson.Actions // distinct change.actions lists, by their text
	scratch          []byte                    // streaming: the spans of the resource being read
	indexScratch     jsontext.Members          // where indexedSpanOf records member offsets
	indexBlock       jsontext.Members          // where ownIndex copies them
	block            []byte                    // streaming: where own copies the spans the Plan keeps
	section          bool                      // a section of a split parse (split.go)
	top              []string                  // a section's top-level keys
}

// kept is a resource of a state section (values, planned_values, prior_state.values).
type kept struct {
	address, mode, typ, name string
	index                    any
	deposed                  bool
	values                   []byte // the span of "values", kept as text
	module                   string
}

func (f *fastDoc) document() error {
	l := &f.l
	if err := l.Expect("an object"); err != nil {
		return err
	}
	return l.Object(f.member)
}

// member reads a top-level member of the document.
func (f *fastDoc) member(key []byte) error {
	l := &f.l
	if f.section {
		f.top = append(f.top, string(key))
	}
	switch k := documentKeys.find(key); k {
	case docFormatVersion:
		if err := l.Expect("a string"); err != nil {
			return err
		}
		s, err := l.Text()
		f.formatVersion = &s
		return err
	case docTerraformVersion:
		if err := l.Expect("a string", "null"); err != nil {
			return err
		}
		if l.Kind() == "null" {
			return l.Value()
		}
		s, err := l.Text()
		f.terraformVersion = s
		return err
	case docValues:
		f.hasValues = true
		return f.stateValues(&f.state)
	case docPlannedValues:
		f.isPlan = true
		return f.stateValues(&f.planned)
	case docPriorState:
		f.isPlan = true
		return f.nullOr(func() error {
			return l.Object(func(k []byte) error {
				if priorStateKeys.find(k) == priorValues {
					return f.stateValues(&f.prior)
				}
				return f.other(k)
			})
		})
	case docResourceChanges:
		f.isPlan = true
		return f.nullOr(func() error { return l.Array(func(int) error { return f.change() }) })
	case docConfiguration:
		f.isPlan = true
		return f.configuration()
	case docVariables:
		span, err := l.Span()
		if err != nil {
			return err
		}
		return f.decodeVariables(span)
	case docErrored, docComplete:
		if err := l.Expect("a boolean", "null"); err != nil {
			return err
		}
		isTrue := l.Peek() == 't'
		if l.Kind() == "a boolean" {
			if k == docErrored {
				f.errored = isTrue
			} else {
				f.complete = &isTrue
			}
		}
		return l.Value()
	case docDeferredChanges:
		span, err := l.Span()
		if err != nil {
			return err
		}
		// Rare and small: decoded whole.
		var d []*tfjson.DeferredResourceChange
		if err := json.Unmarshal(span, &d); err != nil {
			return f.l.Fail("%s", describeDecodeError(err))
		}
		f.deferred = d
		return nil
	}
	return f.other(key)
}

// other skips the value of a member of a fixed-shape object that the parser does not read. Its key
// must not be one the parser reads, in another case ("Address"): encoding/json, and the tools built
// on it such as terraform-json, match keys to struct fields whatever their case, so the document
// would mean one thing to them and another to karpgate. Like a duplicate key, that is an error.
func (f *fastDoc) other(key []byte) error {
	if k, ok := jsontext.CaseVariant(key, readKeys); ok {
		return f.l.Fail("key %q is %q in another case (JSON keys are case-sensitive, but parsers that ignore case read it as %q)", key, k, k)
	}
	return f.l.Value()
}

func (f *fastDoc) nullOr(fn func() error) error {
	if f.l.Kind() == "null" {
		return f.l.Value()
	}
	return fn()
}

func (f *fastDoc) stateValues(into *[]kept) error {
	l := &f.l
	return f.nullOr(func() error {
		if err := l.Expect("an object"); err != nil {
			return err
		}
		return l.Object(func(key []byte) error {
			if stateValuesKeys.find(key) == valuesRootModule {
				return f.module(into, "", 0)
			}
			return f.other(key)
		})
	})
}

func (f *fastDoc) module(into *[]kept, module string, depth int) error {
	l := &f.l
	return f.nullOr(func() error {
		if err := l.Expect("an object"); err != nil {
			return err
		}
		// Everything is appended to into where it is read, so nothing is copied once per level
		// of nesting. A module's address may come after its resources: it is filled in at the
		// end. Its own resources go before its children's, as in the full decode (old plans can
		// hold the same address in two modules; the last one written wins in both): terraform
		// writes resources first, and the other order is rotated at the end.
		first := len(*into) // where this module's entries start
		own, nOwn := first, 0
		address := module
		err := l.Object(func(key []byte) error {
			switch moduleKeys.find(key) {
			case moduleResources:
				return f.nullOr(func() error {
					if err := l.Expect("a list"); err != nil {
						return err
					}
					own = len(*into)
					return l.Array(func(int) error {
						k, ok, err := f.stateResource()
						if ok {
							*into = append(*into, k)
							nOwn++
						}
						return err
					})
				})
			case moduleChildModules:
				return f.nullOr(func() error {
					if err := l.Expect("a list"); err != nil {
						return err
					}
					return l.Array(func(int) error {
						if depth >= maxModuleDepth {
							return l.Value()
						}
						return f.module(into, "", depth+1)
					})
				})
			case moduleAddress:
				if err := l.Expect("a string"); err != nil {
					return err
				}
				s, err := l.Text()
				address = s
				return err
			}
			return f.other(key)
		})
		mine := (*into)[own : own+nOwn]
		for i := range mine {
			mine[i].module = address
		}
		if own > first { // child_modules came first
			mine = slices.Clone(mine)
			copy((*into)[first+nOwn:], (*into)[first:own])
			copy((*into)[first:], mine)
		}
		return err
	})
}

// header is what a resource object's members say, read in one pass: the fields that decide whether
// it is kept, and the byte spans of the values a kept resource needs. Nothing is allocated for a
// resource that is not kept, and once its mode and type say it is not (terraform writes them
// first), its spans are not even recorded.
type header struct {
	mode, typ      string // interned
	typed          bool   // mode and type have been read
	want           bool   // typed, and keep selects it
	address        []byte // raw (unescaped only when kept)
	addressEscaped bool
	deposed        bool
	hasChange      bool
	name, index    []byte // spans
	values         []byte
	moduleAddress  []byte
	actionReason   []byte
	actions        []byte // change members
	after          []byte
	afterUnknown   []byte

	afterIndex, afterUnknownIndex jsontext.Members
}

// resourceObject reads a resource object. With whole, it also returns the whole object's span
// (for a wanted resource), valid until the lexer reads on; the header's spans are valid until the
// next resource object.
func (f *fastDoc) resourceObject(change, whole bool) (header, []byte, error) {
	l := &f.l
	var h header
	if err := l.Expect("an object"); err != nil {
		return h, nil, err
	}
	f.scratch = f.scratch[:0]
	l.SkipSpace()
	// The pin keeps the whole object for a resource the caller wants; it is dropped as soon as mode
	// and type say the resource is not wanted, so the window need not hold a skipped resource.
	start := l.Pin()
	pinned := true
	if !whole {
		l.Unpin()
		pinned = false
	}
	defer func() {
		if pinned {
			l.Unpin()
		}
	}()
	release := func() {
		if pinned && h.typed && !h.want {
			l.Unpin()
			pinned = false
		}
	}
	var haveMode, haveType bool
	err := l.Object(func(key []byte) error {
		record := !h.typed || h.want
		switch resourceKeys.find(key) {
		case resMode:
			if err := l.Expect("a string"); err != nil {
				return err
			}
			raw, esc, err := l.Str()
			h.mode, haveMode = f.intern(raw, esc), true
			h.typed = haveMode && haveType
			h.want = h.typed && f.wanted(h)
			release()
			return err
		case resType:
			if err := l.Expect("a string"); err != nil {
				return err
			}
			raw, esc, err := l.Str()
			h.typ, haveType = f.intern(raw, esc), true
			h.typed = haveMode && haveType
			h.want = h.typed && f.wanted(h)
			release()
			return err
		case resAddress:
			if err := l.Expect("a string", "null"); err != nil {
				return err
			}
			if l.Kind() == "a string" {
				raw, esc, err := l.Str()
				h.address, h.addressEscaped = f.keepSpan(raw), esc
				return err
			}
			return l.Value()
		case resName:
			return f.spanOf(&h.name, record, "a string", "null")
		case resModuleAddress:
			return f.spanOf(&h.moduleAddress, record, "a string", "null")
		case resActionReason:
			return f.spanOf(&h.actionReason, record, "a string", "null")
		case resProviderName, resPreviousAddress:
			if err := l.Expect("a string", "null"); err != nil {
				return err
			}
			return l.Value()
		case resIndex:
			if l.Kind() == "null" {
				return l.Value()
			}
			return f.spanOf(&h.index, record, "a number", "a string")
		case resDeposed, resDeposedKey:
			if l.Kind() == "a string" {
				raw, _, err := l.Str()
				h.deposed = len(raw) > 0
				return err
			}
			return l.Value()
		case resValues:
			if change {
				return l.Value()
			}
			return f.ownedSpanOf(&h.values, record, "an object", "null")
		case resChange:
			if !change {
				return l.Value()
			}
			h.hasChange = true
			return f.checkChange(&h, record)
		}
		return f.other(key)
	})
	if err != nil || !pinned {
		return h, nil, err
	}
	return h, l.From(start), nil
}

// intern returns a string for a short raw string (a mode or a type), allocating once per distinct
// value in the document.
func (f *fastDoc) intern(raw []byte, escaped bool) string {
	if escaped {
		s, err := jsontext.Unescape(raw)
		if err != nil {
			return string(raw)
		}
		return s
	}
	if s, ok := f.strs[string(raw)]; ok {
		return s
	}
	if f.strs == nil {
		f.strs = map[string]string{}
	}
	s := string(raw)
	f.strs[s] = s
	return s
}

// attrs is what a change member's span stands for, as the full decode has it: nil for null or
// absent, an object's attributes kept as text (decoded when read), else the decoded scalar (which
// indexChanges rejects, or accepts for after_unknown = true, as it does for the full decode).
func (f *fastDoc) attrs(span []byte, index jsontext.Members) any {
	switch {
	case span == nil || span[0] == 'n':
		return nil
	case span[0] == '{':
		return attrsText(span, index) // owned by indexedSpanOf
	}
	v, _ := jsontext.Decode(span)
	return v
}

// checkChange validates the shape of a change object's members that karpgate reads and, if
// record, keeps their spans.
func (f *fastDoc) checkChange(h *header, record bool) error {
	l := &f.l
	if err := l.Expect("an object"); err != nil {
		return err
	}
	return l.Object(func(key []byte) error {
		switch changeKeys.find(key) {
		case changeActions:
			if err := l.Expect("a list"); err != nil {
				return err
			}
			l.SkipSpace()
			start := l.Pin()
			defer l.Unpin()
			err := l.Array(func(int) error {
				if err := l.Expect("a string"); err != nil {
					return err
				}
				return l.Value()
			})
			if err == nil && record {
				h.actions = f.keepSpan(l.From(start))
			}
			return err
		case changeBefore:
			return f.spanOf(nil, false, "an object", "null") // checked, never read
		case changeAfter:
			return f.indexedSpanOf(&h.after, &h.afterIndex, record, "an object", "null")
		case changeAfterUnknown:
			if k := l.Kind(); k == "a boolean" || k == "null" {
				return f.spanOf(&h.afterUnknown, record, k)
			}
			return f.indexedSpanOf(&h.afterUnknown, &h.afterUnknownIndex, record, "an object")
		}
		return f.other(key)
	})
}

// keepsPrior names the resource types whose prior state a lazy parse keeps although they have a
// change: a Helm release's prior chart version is the version an upgrade starts from.
func keepsPrior(typ string) bool { return typ == "helm_release" }

func (f *fastDoc) wanted(h header) bool { return f.keep == nil || f.keep(h.mode, h.typ) }

// spanValue decodes a recorded span (absent: nil); address and field name it in an error.
func (f *fastDoc) spanValue(span []byte, address, field string) (any, error) {
	if span == nil {
		return nil, nil
	}
	v, err := jsontext.Decode(span)
	if err != nil {
		return nil, f.l.Fail("%s%s: %v", address, field, err)
	}
	return v, nil
}

func (f *fastDoc) spanString(span []byte, address, field string) (string, error) {
	if len(span) > 1 && span[0] == '"' && !bytes.ContainsRune(span, '\\') {
		return string(span[1 : len(span)-1]), nil // checked text: nothing to decode
	}
	v, err := f.spanValue(span, address, field)
	s, _ := v.(string)
	return s, err
}

// addr returns the resource's address. It is not interned: a map of every kept address cost more
// (12% of a 100k plan's parse) than the short-lived copies it saved, and the sections of a split
// parse would each need their own.
func (f *fastDoc) addr(h header) string {
	return rawString(h.address, h.addressEscaped)
}

// rawString returns the string a JSON string's raw content (between the quotes) stands for.
func rawString(raw []byte, escaped bool) string {
	if escaped {
		if u, err := jsontext.Unescape(raw); err == nil {
			return u
		}
	}
	return string(raw)
}

// changeActions decodes a change's actions. A plan has a handful of distinct lists (["no-op"],
// ["update"], ["delete","create"] ...): each is decoded once and shared, read only.
func (f *fastDoc) changeActions(span []byte, address string) (tfjson.Actions, error) {
	if list, ok := f.actions[string(span)]; ok {
		return list, nil
	}
	v, err := f.spanValue(span, address, ".change.actions")
	if err != nil {
		return nil, err
	}
	var list tfjson.Actions
	items, _ := v.([]any) // null or absent: no actions
	for _, x := range items {
		s, _ := x.(string)
		list = append(list, tfjson.Action(s))
	}
	if f.actions == nil {
		f.actions = map[string]tfjson.Actions{}
	}
	f.actions[string(span)] = list
	return list, nil
}

// stateResource reads a resource of a state section; ok says it is kept.
func (f *fastDoc) stateResource() (k kept, ok bool, err error) {
	h, _, err := f.resourceObject(false, false)
	if err != nil || !f.wanted(h) || len(h.address) == 0 {
		return k, false, err
	}
	a := f.addr(h)
	k = kept{address: a, mode: h.mode, typ: h.typ, deposed: h.deposed, values: h.values}
	if k.name, err = f.spanString(h.name, a, ".name"); err != nil {
		return k, false, err
	}
	if k.index, err = f.spanValue(h.index, a, ".index"); err != nil {
		return k, false, err
	}
	return k, true, nil
}

func (f *fastDoc) change() error {
	h, _, err := f.resourceObject(true, false)
	if err != nil {
		return err
	}
	if len(h.address) == 0 {
		return f.l.Fail("resource_changes%s has no address", f.l.LastSegment())
	}
	if !h.hasChange {
		return f.l.Fail("resource_changes%s (%s) has no change", f.l.LastSegment(), f.addr(h))
	}
	if !f.wanted(h) {
		return nil
	}
	a := f.addr(h)
	rc := &tfjson.ResourceChange{Address: a, Mode: tfjson.ResourceMode(h.mode), Type: h.typ, Change: &tfjson.Change{}}
	if h.deposed {
		rc.DeposedKey = "deposed"
	}
	if rc.Name, err = f.spanString(h.name, a, ".name"); err != nil {
		return err
	}
	if rc.ModuleAddress, err = f.spanString(h.moduleAddress, a, ".module_address"); err != nil {
		return err
	}
	reason, err := f.spanString(h.actionReason, a, ".action_reason")
	if err != nil {
		return err
	}
	rc.ActionReason = tfjson.ActionReason(reason)
	if rc.Index, err = f.spanValue(h.index, a, ".index"); err != nil {
		return err
	}
	if rc.Change.Actions, err = f.changeActions(h.actions, a); err != nil {
		return err
	}
	rc.Change.After = f.attrs(h.after, h.afterIndex)
	rc.Change.AfterUnknown = f.attrs(h.afterUnknown, h.afterUnknownIndex)
	f.changes = append(f.changes, rc)
	return nil
}

// configuration keeps provider_config whole and, of the module tree, the kept resources, every
// module call (source, expressions) and the outputs.
func (f *fastDoc) configuration() error {
	l := &f.l
	return f.nullOr(func() error {
		if err := l.Expect("an object"); err != nil {
			return err
		}
		cfg := &tfjson.Config{}
		err := l.Object(func(key []byte) error {
			switch configurationKeys.find(key) {
			case configProviderConfig:
				span, err := l.Span()
				if err != nil {
					return err
				}
				if err := json.Unmarshal(span, &cfg.ProviderConfigs); err != nil {
					return l.Fail("%s", describeDecodeError(err))
				}
				return nil
			case configRootModule:
				m, err := f.configModule(0)
				cfg.RootModule = m
				return err
			}
			return f.other(key)
		})
		f.config = cfg
		return err
	})
}

func (f *fastDoc) configModule(depth int) (*tfjson.ConfigModule, error) {
	l := &f.l
	if l.Kind() == "null" {
		return nil, l.Value()
	}
	if err := l.Expect("an object"); err != nil {
		return nil, err
	}
	m := &tfjson.ConfigModule{}
	err := l.Object(func(key []byte) error {
		switch configModuleKeys.find(key) {
		case cmResources:
			return f.nullOr(func() error {
				if err := l.Expect("a list"); err != nil {
					return err
				}
				return l.Array(func(int) error {
					h, span, err := f.resourceObject(false, true)
					if err != nil || !f.wanted(h) {
						return err
					}
					var cr tfjson.ConfigResource
					if err := json.Unmarshal(span, &cr); err != nil {
						return l.Fail("%s", describeDecodeError(err))
					}
					m.Resources = append(m.Resources, &cr)
					return nil
				})
			})
		case cmOutputs:
			span, err := l.Span()
			if err != nil {
				return err
			}
			if err := json.Unmarshal(span, &m.Outputs); err != nil {
				return l.Fail("%s", describeDecodeError(err))
			}
			return nil
		case cmModuleCalls:
			return f.nullOr(func() error {
				if err := l.Expect("an object"); err != nil {
					return err
				}
				m.ModuleCalls = map[string]*tfjson.ModuleCall{}
				return l.Object(func(name []byte) error {
					call, err := f.moduleCall(depth)
					if call != nil {
						m.ModuleCalls[string(name)] = call
					}
					return err
				})
			})
		}
		return f.other(key)
	})
	return m, err
}

func (f *fastDoc) moduleCall(depth int) (*tfjson.ModuleCall, error) {
	l := &f.l
	if err := l.Expect("an object"); err != nil {
		return nil, err
	}
	call := &tfjson.ModuleCall{}
	err := l.Object(func(key []byte) error {
		switch moduleCallKeys.find(key) {
		case callSource:
			if err := l.Expect("a string"); err != nil {
				return err
			}
			s, err := l.Text()
			call.Source = s
			return err
		case callExpressions:
			span, err := l.Span()
			if err != nil {
				return err
			}
			if err := json.Unmarshal(span, &call.Expressions); err != nil {
				return l.Fail("%s", describeDecodeError(err))
			}
			return nil
		case callModule:
			if depth >= maxModuleDepth {
				return l.Value()
			}
			m, err := f.configModule(depth + 1)
			call.Module = m
			return err
		}
		return f.other(key)
	})
	return call, err
}

func (f *fastDoc) decodeVariables(span []byte) error {
	var vars map[string]*struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal(span, &vars); err != nil {
		return f.l.Fail("%s", describeDecodeError(err))
	}
	if len(vars) > 0 {
		f.variables = map[string]any{}
		for k, v := range vars {
			if v != nil {
				f.variables[k] = v.Value
			}
		}
	}
	return nil
}
