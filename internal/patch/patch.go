package patch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/source"
)

// Sources finds the block of a module call; *source.Map implements it.
type Sources interface {
	Module(addr string) (source.ModuleBlock, error)
}

// edit is what to set on one module call, merged over every finding.
type edit struct {
	module  string
	args    map[string]any
	version string
	entries []*entryEdit
}

// entryEdit is what to change in one entry of a list argument, merged over every finding: the
// attributes to set on the entry whose sid is sid, or a new entry (add).
type entryEdit struct {
	argument string
	sid      string
	set      map[string]any
	add      map[string]any
}

// Diff returns a unified diff that makes every finding's module edit in the sources, preceded by a
// comment line per edit it could not make (no sources, the module's files outside the repository,
// a conflict between findings). src may be nil (no sources indexed): sourceHint then tells the
// reader how to give them, in the words of the program that runs Diff ("" leaves it out).
// Suppressed findings are left out. The result is empty when no finding carries an edit.
func Diff(src Sources, fs []findings.Finding, sourceHint string) []byte {
	byModule := map[string]*edit{}
	var notes []string
	for _, f := range fs {
		if f.Edit == nil || f.Suppressed() {
			continue
		}
		e := byModule[f.Edit.Module]
		if e == nil {
			e = &edit{module: f.Edit.Module, args: map[string]any{}}
			byModule[f.Edit.Module] = e
		}
		for k, v := range f.Edit.Arguments {
			if old, ok := e.args[k]; ok && fmt.Sprint(old) != fmt.Sprint(v) {
				notes = append(notes, fmt.Sprintf("%s: findings disagree on %s (%v, %v); %v kept", f.Edit.Module, k, old, v, old))
				continue
			}
			e.args[k] = v
		}
		for _, fe := range f.Edit.Entries {
			notes = append(notes, e.mergeEntry(fe)...)
		}
		if f.Edit.Version != "" {
			if e.version != "" && e.version != f.Edit.Version {
				notes = append(notes, fmt.Sprintf("%s: findings disagree on the version (%s, %s); %s kept", f.Edit.Module, e.version, f.Edit.Version, e.version))
				continue
			}
			e.version = f.Edit.Version
		}
	}
	// Edits grouped by the file that holds their block.
	type fileEdits struct {
		src   []byte
		edits []*edit
		names []string
	}
	files := map[string]*fileEdits{}
	for _, addr := range slices.Sorted(maps.Keys(byModule)) {
		e := byModule[addr]
		if src == nil {
			hint := ""
			if sourceHint != "" {
				hint = " (" + sourceHint + ")"
			}
			notes = append(notes, fmt.Sprintf("%s: no Terraform sources to edit%s; %s", addr, hint, describe(e)))
			continue
		}
		b, err := src.Module(addr)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: %v; %s", addr, err, describe(e)))
			continue
		}
		fe := files[b.File]
		if fe == nil {
			fe = &fileEdits{src: b.Src}
			files[b.File] = fe
		}
		fe.edits = append(fe.edits, e)
		fe.names = append(fe.names, b.Name)
	}
	var out bytes.Buffer
	for _, n := range notes {
		out.WriteString("# karpgate: " + n + "\n")
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fe := files[name]
		after, err := apply(fe.src, fe.names, fe.edits)
		if err != nil {
			fmt.Fprintf(&out, "# karpgate: %s: %v\n", name, err)
			continue
		}
		out.Write(unified(name, fe.src, after))
	}
	return out.Bytes()
}

// mergeEntry adds one finding's entry edit: attributes of the same entry merge (a disagreement is
// noted, the first kept), the same new entry is added once.
func (e *edit) mergeEntry(fe findings.EntryEdit) []string {
	var notes []string
	if len(fe.Append) > 0 {
		for _, x := range e.entries {
			if x.add != nil && x.argument == fe.Argument && fmt.Sprint(x.add) == fmt.Sprint(fe.Append) {
				return nil
			}
		}
		e.entries = append(e.entries, &entryEdit{argument: fe.Argument, add: fe.Append})
		return nil
	}
	var x *entryEdit
	for _, y := range e.entries {
		if y.add == nil && y.argument == fe.Argument && y.sid == fe.Sid {
			x = y
		}
	}
	if x == nil {
		x = &entryEdit{argument: fe.Argument, sid: fe.Sid, set: map[string]any{}}
		e.entries = append(e.entries, x)
	}
	for _, k := range slices.Sorted(maps.Keys(fe.Set)) {
		v := fe.Set[k]
		if old, ok := x.set[k]; ok && fmt.Sprint(old) != fmt.Sprint(v) {
			notes = append(notes, fmt.Sprintf("%s: findings disagree on %s of the %s entry %q; the first kept", e.module, k, fe.Argument, fe.Sid))
			continue
		}
		x.set[k] = v
	}
	return notes
}

// describe says what an edit sets, for the notes on edits made by hand.
func describe(e *edit) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(e.args)) {
		parts = append(parts, fmt.Sprintf("set %s = %s", k, literal(e.args[k])))
	}
	if e.version != "" {
		parts = append(parts, fmt.Sprintf("set version = %q", e.version))
	}
	for _, x := range e.entries {
		if x.add != nil {
			parts = append(parts, fmt.Sprintf("add the entry shown in the fix to %s", x.argument))
			continue
		}
		parts = append(parts, fmt.Sprintf("set %s of the %s entry %q as the fix shows", strings.Join(slices.Sorted(maps.Keys(x.set)), ", "), x.argument, x.sid))
	}
	return strings.Join(parts, ", ") + " by hand"
}

func literal(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	default:
		return fmt.Sprint(x)
	}
}

// apply sets the edits' arguments in the module blocks of one file with hclwrite.
func apply(src []byte, names []string, edits []*edit) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, "", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse: %s", diags.Error())
	}
	for i, e := range edits {
		b := f.Body().FirstMatchingBlock("module", []string{names[i]})
		if b == nil {
			return nil, fmt.Errorf("no module %q block", names[i])
		}
		if e.version != "" {
			b.Body().SetAttributeValue("version", cty.StringVal(e.version))
		}
		for _, k := range slices.Sorted(maps.Keys(e.args)) {
			v, err := ctyOf(e.args[k])
			if err != nil {
				return nil, fmt.Errorf("module %q: %s: %w", names[i], k, err)
			}
			b.Body().SetAttributeValue(k, v)
		}
		for _, x := range e.entries {
			if err := editList(b.Body(), x); err != nil {
				return nil, fmt.Errorf("module %q: %s: %w", names[i], x.argument, err)
			}
		}
	}
	return f.Bytes(), nil
}

func ctyOf(v any) (cty.Value, error) {
	switch x := v.(type) {
	case bool:
		return cty.BoolVal(x), nil
	case string:
		return cty.StringVal(x), nil
	case json.Number:
		n, err := cty.ParseNumberVal(x.String())
		if err != nil {
			return cty.NilVal, fmt.Errorf("number %s: %w", x, err)
		}
		return n, nil
	case float64:
		return cty.NumberFloatVal(x), nil
	case int:
		return cty.NumberIntVal(int64(x)), nil
	case []any:
		if len(x) == 0 {
			return cty.EmptyTupleVal, nil
		}
		vs := make([]cty.Value, len(x))
		for i, y := range x {
			v, err := ctyOf(y)
			if err != nil {
				return cty.NilVal, err
			}
			vs[i] = v
		}
		return cty.TupleVal(vs), nil
	case map[string]any:
		if len(x) == 0 {
			return cty.EmptyObjectVal, nil
		}
		vs := make(map[string]cty.Value, len(x))
		for k, y := range x {
			v, err := ctyOf(y)
			if err != nil {
				return cty.NilVal, err
			}
			vs[k] = v
		}
		return cty.ObjectVal(vs), nil
	}
	return cty.NilVal, fmt.Errorf("value %v of type %T cannot be written", v, v)
}
