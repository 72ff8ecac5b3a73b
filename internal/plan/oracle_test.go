package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/karpgate/karpgate/internal/jsontext"
)

// The oracle: the plain reading of a document with encoding/json and terraform-json, which the
// comparison tests check the single pass (Read) against. It decodes everything, so it is slow; it
// shares only the index that both build (indexChanges, finishIndex, status) with Read. One
// difference is expected: encoding/json matches keys to struct fields whatever their case, so the
// oracle reads "Address" as address, where Read rejects the document (fastDoc.other).

// Oracle reads one document from r as Read does, with encoding/json (max <= 0: DefaultMaxSize).
func Oracle(name string, r io.Reader, max int64) (*Plan, error) {
	b, err := readAll(name, r, max)
	if err != nil {
		return nil, err
	}
	return OracleBytes(name, b)
}

// OracleBytes is Oracle over UTF-8 JSON text.
func OracleBytes(name string, b []byte) (*Plan, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return nil, inputErr(name, "empty input: expected the output of terraform show -json")
	}
	if trimmed[0] != '{' {
		return nil, inputErr(name, "not a terraform show -json document: the top level is not a JSON object")
	}
	if err := checkSyntax(b); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	if path, key, dup := jsontext.DuplicateKey(b); dup {
		return nil, inputErr(name, "%s: duplicate key %q (JSON parsers disagree on which value counts)", path, key)
	}
	var doc document
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, inputErr(name, "%s", describeDecodeError(err))
	}
	if doc.FormatVersion == nil {
		return nil, inputErr(name, "no format_version: not the output of terraform show -json")
	}
	if err := checkFormatVersion(*doc.FormatVersion); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	if doc.Errored {
		return nil, erroredPlan(name)
	}
	p := &Plan{
		Name:             name,
		FormatVersion:    *doc.FormatVersion,
		TerraformVersion: doc.TerraformVersion,
		Resources:        map[string]*Resource{},
		Raw:              b,
	}
	isPlan := doc.PlannedValues != nil || doc.ResourceChanges != nil || doc.Configuration != nil || doc.PriorState != nil
	switch {
	case isPlan:
		p.Kind = KindPlan
	case doc.Values != nil || doc.TerraformVersion != "":
		p.Kind = KindState
	default:
		return nil, inputErr(name, "neither a plan (planned_values, resource_changes) nor a state (values)")
	}
	if err := p.oracleIndex(&doc); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	if err := p.status(doc.Complete, doc.DeferredChanges); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	return p, nil
}

// checkSyntax validates the whole text as JSON, so a corrupted byte anywhere (even in a part
// karpgate does not read) is an input error, and reports the line and column of the problem.
func checkSyntax(b []byte) error {
	if json.Valid(b) {
		return nil
	}
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := se.Offset
		if off > 0 && se.Error() != "unexpected end of JSON input" {
			off-- // Offset counts the offending byte; name its own column
		}
		line, col := lineCol(b, off)
		return fmt.Errorf("not valid JSON at line %d, column %d: %v", line, col, se)
	}
	if err == nil {
		return errors.New("not valid JSON")
	}
	return fmt.Errorf("not valid JSON: %v", err)
}

// oracleIndex indexes what the oracle decoded.
func (p *Plan) oracleIndex(doc *document) error {
	get := func(m *tfjson.StateResource, module string) *Resource {
		r := p.Resources[m.Address]
		if r == nil {
			r = &Resource{Address: m.Address, Module: module, Mode: string(m.Mode), Type: m.Type, Name: m.Name, Index: normIndex(m.Index)}
			p.Resources[m.Address] = r
		}
		return r
	}
	if doc.Values != nil {
		walkModule(doc.Values.RootModule, "", func(m *tfjson.StateResource, module string) {
			if m.DeposedKey == "" {
				get(m, module).Prior = AttrsOf(m.AttributeValues)
			}
		})
	}
	if doc.PriorState != nil && doc.PriorState.Values != nil {
		walkModule(doc.PriorState.Values.RootModule, "", func(m *tfjson.StateResource, module string) {
			if m.DeposedKey == "" {
				get(m, module).Prior = AttrsOf(m.AttributeValues)
			}
		})
	}
	if doc.PlannedValues != nil {
		walkModule(doc.PlannedValues.RootModule, "", func(m *tfjson.StateResource, module string) {
			get(m, module).Planned = AttrsOf(m.AttributeValues)
		})
	}
	if err := p.indexChanges(doc.ResourceChanges); err != nil {
		return err
	}
	p.finishIndex(doc)
	return nil
}

func walkModule(m *tfjson.StateModule, module string, fn func(*tfjson.StateResource, string)) {
	walkModuleDepth(m, module, fn, 0)
}

func walkModuleDepth(m *tfjson.StateModule, module string, fn func(*tfjson.StateResource, string), depth int) {
	if m == nil || depth > maxModuleDepth {
		return
	}
	for _, r := range m.Resources {
		if r != nil && r.Address != "" {
			fn(r, module)
		}
	}
	for _, c := range m.ChildModules {
		if c != nil {
			walkModuleDepth(c, c.Address, fn, depth+1)
		}
	}
}

// readAll reads at most max bytes from r (<= 0: DefaultMaxSize) and returns them as UTF-8 JSON
// text, checked.
func readAll(name string, r io.Reader, max int64) ([]byte, error) {
	raw, err := readBounded(name, r, max)
	if err != nil {
		return nil, err
	}
	b, err := jsontext.Transcode(raw)
	if err != nil {
		return nil, inputErr(name, "%v", err)
	}
	return b, nil
}

// lineCol returns the 1-based line and column (in bytes) of an offset in text.
func lineCol(b []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(b)))
	seen := b[:off]
	line := 1 + bytes.Count(seen, []byte{'\n'})
	return line, int(off) - (bytes.LastIndexByte(seen, '\n') + 1) + 1
}
