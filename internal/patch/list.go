package patch

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// editList makes one entry edit in the list argument x.argument of a module block: it sets
// attributes of the object whose sid is x.sid, or adds x.add after the last object. The new
// expression is the old one's text with only those changes spliced in (its comments and the other
// entries stay), formatted as terraform fmt would at the argument's depth, and written back with
// hclwrite.
func editList(body *hclwrite.Body, x *entryEdit) error {
	attr := body.GetAttribute(x.argument)
	if attr == nil {
		if x.add == nil {
			return fmt.Errorf("the module block does not set it, so it has no entry %q", x.sid)
		}
		v, err := valueText([]any{x.add})
		if err != nil {
			return err
		}
		return formatAttribute(body, x.argument, v)
	}
	text := string(attr.Expr().BuildTokens(nil).Bytes())
	expr, diags := hclsyntax.ParseExpression([]byte(text), x.argument, hcl.InitialPos)
	if diags.HasErrors() {
		return fmt.Errorf("parse: %s", diags.Error())
	}
	list, ok := expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		return fmt.Errorf("not a list written out in the module block")
	}
	var splices []splice
	if x.add != nil {
		s, err := appendEntry(text, list, x.add)
		if err != nil {
			return err
		}
		splices = s
	} else {
		obj, err := entryBySid(list, x.sid)
		if err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(x.set)) {
			s, err := setItem(text, obj, k, x.set[k])
			if err != nil {
				return fmt.Errorf("entry %q: %s: %w", x.sid, k, err)
			}
			splices = append(splices, s)
		}
	}
	// Later offsets first, so earlier ones stay valid.
	slices.SortFunc(splices, func(a, b splice) int { return b.start - a.start })
	for _, s := range splices {
		text = text[:s.start] + s.text + text[s.end:]
	}
	return formatAttribute(body, x.argument, text)
}

// splice replaces text[start:end].
type splice struct {
	start, end int
	text       string
}

// entryBySid finds the one object of the list whose sid is the literal sid.
func entryBySid(list *hclsyntax.TupleConsExpr, sid string) (*hclsyntax.ObjectConsExpr, error) {
	var found *hclsyntax.ObjectConsExpr
	for _, e := range list.Exprs {
		obj, ok := e.(*hclsyntax.ObjectConsExpr)
		if !ok {
			continue
		}
		for _, item := range obj.Items {
			if key, ok := objectKey(item.KeyExpr); ok && key == "sid" {
				if v, diags := item.ValueExpr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() && v.AsString() == sid {
					if found != nil {
						return nil, fmt.Errorf("two entries have sid %q", sid)
					}
					found = obj
				}
			}
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no entry with sid %q written out in the module block", sid)
	}
	return found, nil
}

// setItem replaces the value of key in obj, or adds `key = value` before its closing brace.
func setItem(text string, obj *hclsyntax.ObjectConsExpr, key string, value any) (splice, error) {
	v, err := valueText(value)
	if err != nil {
		return splice{}, err
	}
	for _, item := range obj.Items {
		if k, ok := objectKey(item.KeyExpr); ok && k == key {
			r := item.ValueExpr.Range()
			return splice{r.Start.Byte, r.End.Byte, v}, nil
		}
	}
	if n := len(obj.Items); n > 0 {
		// After the last item, on a line of its own.
		at := obj.Items[n-1].ValueExpr.Range().End.Byte
		return splice{at, at, "\n" + key + " = " + v}, nil
	}
	end := obj.SrcRange.End.Byte - 1 // the closing brace of an empty object
	if end < 0 || end >= len(text) || text[end] != '}' {
		return splice{}, fmt.Errorf("the entry's closing brace is not where expected")
	}
	return splice{end, end, "\n" + key + " = " + v + "\n"}, nil
}

// appendEntry adds an object after the list's last element.
func appendEntry(text string, list *hclsyntax.TupleConsExpr, entry map[string]any) ([]splice, error) {
	v, err := valueText(entry)
	if err != nil {
		return nil, err
	}
	end := list.SrcRange.End.Byte - 1 // the closing bracket
	if end < 0 || end >= len(text) || text[end] != ']' {
		return nil, fmt.Errorf("the list's closing bracket is not where expected")
	}
	if len(list.Exprs) == 0 {
		return []splice{{end, end, "\n" + v + ",\n"}}, nil
	}
	last := list.Exprs[len(list.Exprs)-1].Range().End.Byte
	if strings.Contains(text[last:end], ",") {
		return []splice{{end, end, v + ",\n"}}, nil
	}
	return []splice{{last, last, ",\n" + v + ","}}, nil
}

// objectKey is the name of an object key written as an identifier or a quoted string.
func objectKey(e hclsyntax.Expression) (string, bool) {
	if w, ok := e.(*hclsyntax.ObjectConsKeyExpr); ok {
		if name := hcl.ExprAsKeyword(w.Wrapped); name != "" {
			return name, true
		}
		e = w.Wrapped
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	return v.AsString(), true
}

// valueText renders a value as HCL in the layout of a hand-written module input: objects and
// lists of objects one item per line (terraform fmt then indents and aligns them), lists of
// strings on one line, the keys of an entry in the order people write them.
func valueText(value any) (string, error) {
	switch x := value.(type) {
	case map[string]any:
		var b strings.Builder
		b.WriteString("{\n")
		for _, k := range keyOrder(x) {
			v, err := valueText(x[k])
			if err != nil {
				return "", err
			}
			b.WriteString(k + " = " + v + "\n")
		}
		b.WriteString("}")
		return b.String(), nil
	case []any:
		if len(x) > 0 {
			if _, ok := x[0].(map[string]any); ok {
				var b strings.Builder
				b.WriteString("[\n")
				for _, y := range x {
					v, err := valueText(y)
					if err != nil {
						return "", err
					}
					b.WriteString(v + ",\n")
				}
				b.WriteString("]")
				return b.String(), nil
			}
		}
	}
	v, err := ctyOf(value)
	if err != nil {
		return "", err
	}
	return string(hclwrite.TokensForValue(v).Bytes()), nil
}

// keyOrder is the order of an object's keys: those of an IAM statement entry and its conditions
// as the module's documentation writes them, then the rest by name.
func keyOrder(m map[string]any) []string {
	known := []string{"sid", "effect", "actions", "not_actions", "resources", "not_resources", "principals", "not_principals", "conditions", "condition", "test", "variable", "values", "type", "identifiers"}
	var out []string
	for _, k := range known {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(known, k) {
			out = append(out, k)
		}
	}
	return out
}

// formatAttribute sets the argument to the expression text, formatted as terraform fmt formats it
// inside a module block.
func formatAttribute(body *hclwrite.Body, name, text string) error {
	wrapped := hclwrite.Format([]byte("module \"m\" {\n  " + name + " = " + strings.TrimSpace(text) + "\n}\n"))
	f, diags := hclwrite.ParseConfig(wrapped, "", hcl.InitialPos)
	if diags.HasErrors() {
		return fmt.Errorf("the edited list does not parse: %s", diags.Error())
	}
	blocks := f.Body().Blocks()
	if len(blocks) != 1 || blocks[0].Body().GetAttribute(name) == nil {
		return fmt.Errorf("the edited list does not parse")
	}
	body.SetAttributeRaw(name, blocks[0].Body().GetAttribute(name).Expr().BuildTokens(nil))
	return nil
}
