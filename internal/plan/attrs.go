package plan

import (
	"bytes"
	"reflect"
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
	text    []byte         // the object's JSON text, checked by the lexer; nil when built from m
	m       map[string]any // the decoded object, when built from one
	index   memberIndex    // where text's top-level members are: from the parse, or found on the first read
	indexed bool
	values  []any // the members' values, by position in index, decoded once read (nil: not yet, or null)
}

// memberIndex locates the top-level members of an object's text: four offsets each, the key's
// content (without quotes; keyEscaped is set in its end when it has escapes) and the value. It
// holds no pointers, so the parser can record it for every kept object at no cost to the collector.
type memberIndex []uint32

// keyEscaped marks the end offset of a key whose raw text has escapes.
const keyEscaped = 1 << 31

// maxIndexed is the longest text whose members an index can locate.
const maxIndexed = keyEscaped - 1

// AttrsOf returns the attributes of a decoded object (nil: nil).
func AttrsOf(m map[string]any) *Attrs {
	if m == nil {
		return nil
	}
	return &Attrs{m: m, indexed: true}
}

// attrsText returns the attributes of an object's checked JSON text, with the index of its members
// when the parser recorded one (nil: found on the first read).
func attrsText(text []byte, index memberIndex) *Attrs {
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
		a.index = members(a.text)
		a.indexed = true
	}
	for i := 0; i+3 < len(a.index); i += 4 {
		k, end := a.index[i], a.index[i+1]
		if end&keyEscaped == 0 {
			if string(a.text[k:end]) != key {
				continue
			}
		} else if s, err := unescape(a.text[k : end&^keyEscaped]); err != nil || s != key {
			continue
		}
		if a.values == nil {
			a.values = make([]any, len(a.index)/4)
		}
		if v := a.values[i/4]; v != nil {
			return v, true
		}
		v, err := decodeAny(a.text[a.index[i+2]:a.index[i+3]])
		if err != nil {
			// Checked text always decodes (the lexer rejects what would not); keep the contract
			// of a missing attribute rather than invent a value.
			return nil, false
		}
		a.values[i/4] = v
		return v, true
	}
	return nil, false
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
	v, err := decodeAny(a.text)
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

// members locates the top-level members of an object's checked JSON text without decoding them.
func members(text []byte) memberIndex {
	d := valueDecoder{b: text}
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' || len(text) > maxIndexed {
		return nil
	}
	d.i++
	out := memberIndex{}
	for {
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] == '}' {
			return out
		}
		if d.b[d.i] != '"' {
			return out
		}
		start := d.i + 1
		if !d.skip() {
			return out
		}
		keyStart, keyEnd := uint32(start), uint32(d.i-1)
		if bytes.IndexByte(d.b[start:d.i-1], '\\') >= 0 {
			keyEnd |= keyEscaped
		}
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return out
		}
		d.i++
		d.ws()
		start = d.i
		if !d.skip() {
			return out
		}
		out = append(out, keyStart, keyEnd, uint32(start), uint32(d.i))
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == ',' {
			d.i++
		}
	}
}

// skip moves past one value of checked JSON text without decoding it and reports whether it
// found its end. It never reads past the text, whatever the text is.
func (d *valueDecoder) skip() bool {
	depth := 0
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch c {
		case '"':
			end := stringEnd(d.b, d.i+1)
			if end < 0 {
				d.i = len(d.b)
				return false
			}
			d.i = end + 1
		case '{', '[':
			depth++
			d.i++
		case '}', ']':
			if depth == 0 {
				return true // the end of the enclosing object: a scalar ended before it
			}
			depth--
			d.i++
		case ',':
			if depth == 0 {
				return true
			}
			d.i++
		default:
			d.i++
		}
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			return true
		}
	}
	return depth == 0
}

// stringEnd returns the index of the quote that ends a JSON string whose content starts at i, or
// -1. It jumps from quote to quote (IndexByte is vectorized) and counts the backslashes before
// each: an odd number escapes it.
func stringEnd(b []byte, i int) int {
	for from := i; ; {
		j := bytes.IndexByte(b[from:], '"')
		if j < 0 {
			return -1
		}
		q := from + j
		n := 0
		for q-1-n >= i && b[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		from = q + 1
	}
}
