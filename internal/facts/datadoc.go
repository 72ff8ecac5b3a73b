package facts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/plan"
)

// dataDoc is what is known of one data.aws_iam_policy_document: its rendered JSON text when known,
// else the statements known at plan time and what is unknown.
type dataDoc struct {
	text       string
	statements []Statement
	unknown    []string
}

// maxDocDepth bounds source/override document chains.
const maxDocDepth = 8

func (b *builder) document(d *plan.Resource, depth int) *dataDoc {
	if dd, ok := b.dataCache[d.Address]; ok {
		return dd
	}
	dd := &dataDoc{}
	b.dataCache[d.Address] = dd // breaks reference cycles
	if !d.Unknown("json") {
		for _, vals := range []*plan.Attrs{d.After, d.Planned, d.Prior} {
			if s, ok := vals.Value("json").(string); ok && s != "" {
				dd.text = s
				return dd
			}
		}
	}
	if depth > maxDocDepth {
		dd.unknown = []string{d.Address + ".json"}
		return dd
	}
	var merged []Statement
	bySid := map[string]int{}
	put := func(st Statement) {
		if st.Sid != "" {
			if i, ok := bySid[st.Sid]; ok {
				merged[i] = st
				return
			}
			bySid[st.Sid] = len(merged)
		}
		merged = append(merged, st)
	}
	for _, st := range b.sourceDocs(d, "source_policy_documents", depth, dd) {
		put(st)
	}
	for _, st := range b.ownStatements(d, dd) {
		put(st)
	}
	for _, st := range b.sourceDocs(d, "override_policy_documents", depth, dd) {
		put(st)
	}
	for i := range merged {
		merged[i].Index = i
	}
	dd.statements = merged
	dd.unknown = append([]string{d.Address + ".json"}, dd.unknown...)
	return dd
}

// sourceDocs returns the statements of source_policy_documents or override_policy_documents.
func (b *builder) sourceDocs(d *plan.Resource, attr string, depth int, dd *dataDoc) []Statement {
	var out []Statement
	if !d.Unknown(attr) {
		if list, ok := d.Values().Value(attr).([]any); ok && len(list) > 0 {
			allKnown := true
			for i, v := range list {
				s, ok := v.(string)
				if !ok {
					allKnown = false
					dd.unknown = append(dd.unknown, fmt.Sprintf("%s.%s[%d]", d.Address, attr, i))
					continue
				}
				doc, _ := ParsePolicy(s)
				if doc != nil {
					out = append(out, doc.Statements...)
				}
			}
			if allKnown {
				return out
			}
		}
	}
	refs := b.p.References(d.Address, attr)
	if chosen, ok, open := b.conditionalDocs(d, attr); open != "" {
		dd.unknown = append(dd.unknown, open)
		return out
	} else if ok {
		refs = slices.DeleteFunc(refs, func(a string) bool {
			_, rel := plan.SplitAddress(a)
			return plan.StripKeys(rel) != chosen
		})
	}
	for _, a := range refs {
		src := b.p.Resources[a]
		if src == nil || src.Mode != modeData || src.Type != tPolicyDocument || src.Address == d.Address {
			continue
		}
		sd := b.document(src, depth+1)
		if sd.text != "" {
			if doc, _ := ParsePolicy(sd.text); doc != nil {
				out = append(out, doc.Statements...)
			}
			continue
		}
		out = append(out, sd.statements...)
		dd.unknown = append(dd.unknown, sd.unknown...)
	}
	if len(refs) == 0 && d.Unknown(attr) {
		dd.unknown = append(dd.unknown, d.Address+"."+attr)
	}
	return out
}

// conditionalDocs reads a choice between policy documents: an attribute written
// `var.X ? [data.aws_iam_policy_document.a[0].json] : [data.aws_iam_policy_document.b[0].json]`
// (terraform-aws-eks v20.24's enable_v1_permissions switch). The plan keeps only the
// expression's references, in source order: the condition variable, then the documents of the
// true branch, then those of the false branch. When the references have exactly that shape and
// the module call gives X as a constant bool (or leaves it to the variable's default), the chosen
// document's address (module-relative, without keys) is returned with ok; when X is not known,
// open says which alternative documents the choice is between. Any other shape: neither, and
// every referenced document counts.
func (b *builder) conditionalDocs(d *plan.Resource, attr string) (chosen string, ok bool, open string) {
	e := b.p.Expression(d.Address, attr)
	if e == nil || len(e.References) < 3 || !strings.HasPrefix(e.References[0], "var.") {
		return "", false, ""
	}
	variable := strings.TrimPrefix(e.References[0], "var.")
	var docs []string
	for _, r := range e.References[1:] {
		if !strings.HasPrefix(r, "data."+tPolicyDocument+".") {
			return "", false, ""
		}
		name := strings.SplitN(strings.TrimPrefix(r, "data."+tPolicyDocument+"."), ".", 2)[0]
		name = "data." + tPolicyDocument + "." + plan.StripKeys(name)
		if len(docs) == 0 || docs[len(docs)-1] != name {
			if slices.Contains(docs, name) {
				return "", false, ""
			}
			docs = append(docs, name)
		}
	}
	if len(docs) != 2 {
		return "", false, ""
	}
	mod, _ := plan.SplitAddress(d.Address)
	v, known := b.moduleBool(mod, variable)
	if !known {
		return "", false, fmt.Sprintf("%s.%s (the alternative documents %s and %s, chosen by var.%s, which is not known)", d.Address, attr, docs[0], docs[1], variable)
	}
	if v {
		return docs[0], true, ""
	}
	return docs[1], true, ""
}

// moduleBool is the value of the module instance's input variable name when the module call sets
// it to a constant bool or leaves it to a bool default.
func (b *builder) moduleBool(module, name string) (value, known bool) {
	if module == "" {
		return false, false
	}
	call := b.p.ModuleCall(module)
	if call == nil {
		return false, false
	}
	if e := call.Expressions[name]; e != nil && e.ExpressionData != nil {
		v, ok := e.ConstantValue.(bool)
		return v, ok
	}
	if call.Module == nil || call.Module.Variables[name] == nil {
		return false, false
	}
	v, ok := call.Module.Variables[name].Default.(bool)
	return v, ok
}

// ownStatements converts the known statement blocks of a deferred policy document.
func (b *builder) ownStatements(d *plan.Resource, dd *dataDoc) []Statement {
	if d.Unknown("statement") {
		if _, isList := d.AfterUnknown.Value("statement").([]any); !isList {
			dd.unknown = append(dd.unknown, d.Address+".statement")
			return nil
		}
	}
	blocks, _ := d.Values().Value("statement").([]any)
	unknownBlocks, _ := d.AfterUnknown.Value("statement").([]any)
	var out []Statement
	for i, blk := range blocks {
		m, ok := blk.(map[string]any)
		if !ok {
			continue
		}
		if i < len(unknownBlocks) && hasUnknown(unknownBlocks[i]) {
			dd.unknown = append(dd.unknown, fmt.Sprintf("%s.statement[%d]", d.Address, i))
			continue
		}
		out = append(out, blockStatement(i, m))
	}
	return out
}

func hasUnknown(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case []any:
		for _, e := range x {
			if hasUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}

// blockStatement converts one `statement` block of aws_iam_policy_document.
func blockStatement(i int, m map[string]any) Statement {
	st := Statement{Index: i, Effect: "Allow", Principals: map[string][]string{}, NotPrincipals: map[string][]string{}, Conditions: []Condition{}}
	if s, ok := m["sid"].(string); ok {
		st.Sid = s
	}
	if s, ok := m["effect"].(string); ok && s != "" {
		st.Effect = s
	}
	st.Actions = lowerAll(strs(m["actions"]))
	st.NotActions = lowerAll(strs(m["not_actions"]))
	st.Resources = strs(m["resources"])
	st.NotResources = strs(m["not_resources"])
	st.Principals = principalBlocks(m["principals"])
	st.NotPrincipals = principalBlocks(m["not_principals"])
	conds, _ := m["condition"].([]any)
	for _, c := range conds {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		test, _ := cm["test"].(string)
		variable, _ := cm["variable"].(string)
		st.Conditions = append(st.Conditions, NewCondition(test, variable, strs(cm["values"])))
	}
	return st
}

func principalBlocks(v any) map[string][]string {
	out := map[string][]string{}
	list, _ := v.([]any)
	for _, p := range list {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		typ, _ := pm["type"].(string)
		ids := strs(pm["identifiers"])
		if typ == "*" {
			out["*"] = []string{"*"}
			continue
		}
		out[typ] = append(out[typ], ids...)
	}
	return out
}

func strs(v any) []string {
	out := []string{}
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func lowerAll(s []string) []string {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	return s
}
