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
	members []member       // text's top-level members, found on the first read, and their values once read
	indexed bool
}

type member struct {
	key     []byte // the key's raw text; unescaped when it had escapes
	value   []byte
	decoded any // value decoded, once read
	read    bool
}

// AttrsOf returns the attributes of a decoded object (nil: nil).
func AttrsOf(m map[string]any) *Attrs {
	if m == nil {
		return nil
	}
	return &Attrs{m: m, indexed: true}
}

// attrsText returns the attributes of an object's checked JSON text.
func attrsText(text []byte) *Attrs { return &Attrs{text: text} }

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
		a.members = members(a.text)
		a.indexed = true
	}
	for i := range a.members {
		m := &a.members[i]
		if string(m.key) != key {
			continue
		}
		if !m.read {
			v, err := decodeAny(m.value)
			if err != nil {
				// Checked text always decodes (the lexer rejects what would not); keep the
				// contract of a missing attribute rather than invent a value.
				return nil, false
			}
			m.decoded, m.read = v, true
		}
		return m.decoded, true
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

// members lists the top-level members of an object's checked JSON text without decoding them.
func members(text []byte) []member {
	d := valueDecoder{b: text}
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return nil
	}
	d.i++
	var out []member
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
		key := d.b[start : d.i-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			s, err := unescape(key)
			if err != nil {
				return out
			}
			key = []byte(s)
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
		out = append(out, member{key: key, value: d.b[start:d.i]})
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
