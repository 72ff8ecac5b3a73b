package plan

import (
	"reflect"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// Attrs is an object of resource attribute values (a change's after or after_unknown, planned or
// prior values). The single-pass parser keeps it as the object's JSON text, already checked, and
// decodes an attribute the first time it is read: the IAM model reads a handful of attributes of
// each resource, and text holds no pointers, so large plans cost neither the decoding of what is
// never read nor the collector's time to trace it. The full decode builds it from a map.
//
// A nil *Attrs is an absent object: every method works on it. Attrs is not safe for concurrent
// use (it caches what it decodes); a Plan is read by one goroutine at a time.
type Attrs struct {
	text    []byte           // the object's JSON text, checked by the lexer; nil when built from m
	m       map[string]any   // the decoded object, when built from one
	index   jsontext.Members // where text's top-level members are: from the parse, or found on the first read
	indexed bool
	values  []any // the members' values, by position in index, decoded once read (nil: not yet, or null)
}

// AttrsOf returns the attributes of a decoded object (nil: nil).
func AttrsOf(m map[string]any) *Attrs {
	if m == nil {
		return nil
	}
	return &Attrs{m: m, indexed: true}
}

// attrsText returns the attributes of an object's checked JSON text, with the index of its members
// when the parser recorded one (nil: found on the first read).
func attrsText(text []byte, index jsontext.Members) *Attrs {
	return &Attrs{text: text, index: index, indexed: index != nil}
}

// Get returns the value of one attribute, decoded as encoding/json decodes into any, and whether
// the object has it.
func (a *Attrs) Get(key string) (any, bool) {
	if a == nil {
		return nil, false
	}
	if a.text == nil {
		v, ok := a.m[key]
		return v, ok
	}
	if !a.indexed {
		a.index = jsontext.IndexMembers(a.text)
		a.indexed = true
	}
	i := a.index.Find(a.text, key)
	if i < 0 {
		return nil, false
	}
	if a.values == nil {
		a.values = make([]any, a.index.Len())
	}
	if v := a.values[i]; v != nil {
		return v, true
	}
	v, err := jsontext.Decode(a.index.Value(a.text, i))
	if err != nil {
		// Checked text always decodes (the lexer rejects what would not); keep the contract
		// of a missing attribute rather than invent a value.
		return nil, false
	}
	a.values[i] = v
	return v, true
}

// Value is Get without the flag: nil for a missing attribute.
func (a *Attrs) Value(key string) any {
	v, _ := a.Get(key)
	return v
}

// Map returns every attribute decoded (nil for a nil Attrs).
func (a *Attrs) Map() map[string]any {
	if a == nil {
		return nil
	}
	if a.text == nil {
		return a.m
	}
	v, err := jsontext.Decode(a.text)
	if err != nil {
		return map[string]any{}
	}
	m, _ := v.(map[string]any)
	return m
}

// Equal reports whether two Attrs hold the same attributes, however each is held (go-cmp uses it).
func (a *Attrs) Equal(b *Attrs) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.DeepEqual(a.Map(), b.Map())
}
