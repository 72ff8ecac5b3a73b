package jsontext

import "bytes"

// Members locates the top-level members of an object's checked text without decoding them: four
// offsets into the text per member, the key's content (without quotes) and the value. It holds no
// pointers, so a reader can keep one for every object it keeps at no cost to the collector. A nil
// Members is no index; an empty one is an object without members.
type Members []uint32

// keyEscaped marks the end offset of a key whose raw content has escapes.
const keyEscaped = 1 << 31

// MaxIndexed is the longest text whose members a Members can locate.
const MaxIndexed = keyEscaped - 1

// AddMember appends a member to m: the offsets of its key's raw content and whether that has
// escapes, and of its value.
func (m Members) AddMember(keyStart, keyEnd int64, keyEscapes bool, valueStart, valueEnd int64) Members {
	end := uint32(keyEnd)
	if keyEscapes {
		end |= keyEscaped
	}
	return append(m, uint32(keyStart), end, uint32(valueStart), uint32(valueEnd))
}

// Len is the number of members.
func (m Members) Len() int { return len(m) / 4 }

// Find returns the position (0 to Len()-1) of the member of text with this key, or -1.
func (m Members) Find(text []byte, key string) int {
	for i := 0; i+3 < len(m); i += 4 {
		k, end := m[i], m[i+1]
		if end&keyEscaped == 0 {
			if string(text[k:end]) == key {
				return i / 4
			}
		} else if s, err := Unescape(text[k : end&^keyEscaped]); err == nil && s == key {
			return i / 4
		}
	}
	return -1
}

// Key returns the key of the member at position i as the text holds it: a JSON string, quotes
// and escapes included.
func (m Members) Key(text []byte, i int) []byte {
	return text[m[4*i]-1 : m[4*i+1]&^keyEscaped+1]
}

// Value returns the text of the value of the member at position i.
func (m Members) Value(text []byte, i int) []byte { return text[m[4*i+2]:m[4*i+3]] }

// IndexMembers locates the members of the object that checked text holds. It returns nil when the
// text is not one object, members separated by commas and nothing after it but space (it checks
// that much, not the values), or longer than MaxIndexed.
func IndexMembers(text []byte) Members {
	d := valueDecoder{b: text}
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' || len(text) > MaxIndexed {
		return nil
	}
	d.i++
	out := Members{}
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		return d.end(out)
	}
	for {
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil
		}
		start := d.i + 1
		if !d.skip() {
			return nil
		}
		keyStart, keyEnd := start, d.i-1
		escaped := bytes.IndexByte(d.b[start:d.i-1], '\\') >= 0
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil
		}
		d.i++
		d.ws()
		start = d.i
		if d.i >= len(d.b) || !d.skip() || d.i == start {
			return nil
		}
		out = out.AddMember(int64(keyStart), int64(keyEnd), escaped, int64(start), int64(d.i))
		d.ws()
		switch {
		case d.i < len(d.b) && d.b[d.i] == ',':
			d.i++
		case d.i < len(d.b) && d.b[d.i] == '}':
			return d.end(out)
		default:
			return nil
		}
	}
}

// end returns m if the closing brace at d.i is followed by nothing but space.
func (d *valueDecoder) end(m Members) Members {
	d.i++
	d.ws()
	if d.i != len(d.b) {
		return nil
	}
	return m
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
		case ',', ' ', '\t', '\n', '\r':
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
