package scan

import (
	"errors"
	"fmt"
	"hash/maphash"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// planValue decodes JSON text straight into an OPA value, in one pass and without an
// intermediate `any`. The result equals what util.NewJSONDecoder (encoding/json with UseNumber)
// followed by ast.InterfaceToValue gives, which is how OPA itself reads JSON input:
//
//   - numbers keep their JSON text (ast.Number), small integers use OPA's interned terms, and
//     numbers OPA cannot evaluate (1e100000) are the same error InterfaceToValue returns;
//   - strings are unescaped as encoding/json does, including its replacement of invalid UTF-8
//     and unpaired surrogates with U+FFFD;
//   - when an object repeats a key, the last value wins;
//   - only one value is read: text after it other than whitespace is an error (callers pass
//     text that json.Valid accepts).
//
// Terms for strings that repeat (object keys above all: attribute names repeat millions of
// times in a large plan) are shared within one decode. That is safe because a String term is
// never mutated; containers are never shared.
func planValue(data []byte) (ast.Value, error) {
	d := &valueDecoder{data: data, seed: maphash.MakeSeed(), strs: new([internSlots]internSlot)}
	d.skipSpace()
	t, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.syntaxErr("after top-level value")
	}
	return t.Value, nil
}

const (
	// maxValueDepth bounds nesting like encoding/json does (json.Valid rejects deeper text).
	maxValueDepth = 10000
	// internSlots is the size of the table of shared string terms (a power of two).
	internSlots = 1 << 15
	// maxInterned bounds the table of shared number terms.
	maxInterned = 1 << 12
	// maxInternedLen is the longest string value that is shared; keys are shared whatever their length.
	maxInternedLen = 64
	termChunk      = 1024
	sliceChunk     = 4096
)

type internSlot struct {
	s    string
	term *ast.Term
}

type valueDecoder struct {
	data []byte
	pos  int

	seed  maphash.Seed
	strs  *[internSlots]internSlot // shared string terms
	nums  map[string]*ast.Term     // shared number terms
	terms []ast.Term               // chunk new terms are carved from
	elems []*ast.Term              // chunk array element slices are carved from
	stack []*ast.Term              // elements of the arrays being read
	pairs [][2]*ast.Term           // members of the objects being read
	buf   []byte                   // scratch for unescaping
}

func (d *valueDecoder) syntaxErr(what string) error {
	if d.pos >= len(d.data) {
		return fmt.Errorf("invalid JSON: unexpected end of input %s", what)
	}
	return fmt.Errorf("invalid JSON: unexpected character %q at offset %d %s", d.data[d.pos], d.pos, what)
}

func (d *valueDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// newTerm returns a term for v carved from a chunk: one allocation per termChunk terms.
func (d *valueDecoder) newTerm(v ast.Value) *ast.Term {
	if len(d.terms) == 0 {
		d.terms = make([]ast.Term, termChunk)
	}
	t := &d.terms[0]
	d.terms = d.terms[1:]
	t.Value = v
	return t
}

// elemSlice returns a copy of elems carved from a chunk (capped, so appending to it copies).
func (d *valueDecoder) elemSlice(elems []*ast.Term) []*ast.Term {
	n := len(elems)
	if n > sliceChunk/4 {
		return append(make([]*ast.Term, 0, n), elems...)
	}
	if len(d.elems) < n {
		d.elems = make([]*ast.Term, sliceChunk)
	}
	s := d.elems[:n:n]
	d.elems = d.elems[n:]
	copy(s, elems)
	return s
}

func (d *valueDecoder) value(depth int) (*ast.Term, error) {
	if d.pos >= len(d.data) {
		return nil, d.syntaxErr("looking for a value")
	}
	switch c := d.data[d.pos]; c {
	case '{':
		if depth >= maxValueDepth {
			return nil, errors.New("invalid JSON: exceeded max depth")
		}
		return d.object(depth + 1)
	case '[':
		if depth >= maxValueDepth {
			return nil, errors.New("invalid JSON: exceeded max depth")
		}
		return d.array(depth + 1)
	case '"':
		return d.stringTerm(false)
	case 't':
		return d.literal("true", ast.InternedBooleanTrue)
	case 'f':
		return d.literal("false", ast.InternedBooleanFalse)
	case 'n':
		return d.literal("null", ast.InternedNullTerm)
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, d.syntaxErr("looking for a value")
	}
}

func (d *valueDecoder) literal(lit string, t *ast.Term) (*ast.Term, error) {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return nil, d.syntaxErr("in literal " + lit)
	}
	d.pos += len(lit)
	return t, nil
}

func (d *valueDecoder) object(depth int) (*ast.Term, error) {
	d.pos++ // '{'
	base := len(d.pairs)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.newTerm(ast.NewObject()), nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.syntaxErr("looking for an object key")
		}
		k, err := d.stringTerm(true)
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.syntaxErr("after object key")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.pairs = append(d.pairs, [2]*ast.Term{k, v})
		d.skipSpace()
		if d.pos < len(d.data) {
			if c := d.data[d.pos]; c == ',' {
				d.pos++
				d.skipSpace()
				continue
			} else if c == '}' {
				d.pos++
				break
			}
		}
		return nil, d.syntaxErr("after object key:value pair")
	}
	pairs := dedupeKeys(d.pairs[base:])
	obj := ast.NewObject(pairs...) // copies pairs
	clear(d.pairs[base:])
	d.pairs = d.pairs[:base]
	return d.newTerm(obj), nil
}

// dedupeKeys drops all but the last member of each key, keeping the order of first appearance.
// Keys are shared terms (or equal strings when the table is full), so a repeat is rare and cheap
// to rule out.
func dedupeKeys(pairs [][2]*ast.Term) [][2]*ast.Term {
	n := len(pairs)
	if n < 2 {
		return pairs
	}
	dup := false
	if n <= 32 {
	outer:
		for i := 1; i < n; i++ {
			ki := pairs[i][0]
			for j := 0; j < i; j++ {
				if kj := pairs[j][0]; kj == ki || kj.Value.(ast.String) == ki.Value.(ast.String) {
					dup = true
					break outer
				}
			}
		}
	} else {
		seen := make(map[ast.String]struct{}, n)
		for _, p := range pairs {
			k := p[0].Value.(ast.String)
			if _, ok := seen[k]; ok {
				dup = true
				break
			}
			seen[k] = struct{}{}
		}
	}
	if !dup {
		return pairs
	}
	at := make(map[ast.String]int, n)
	out := make([][2]*ast.Term, 0, n)
	for _, p := range pairs {
		k := p[0].Value.(ast.String)
		if i, ok := at[k]; ok {
			out[i][1] = p[1]
			continue
		}
		at[k] = len(out)
		out = append(out, p)
	}
	return out
}

func (d *valueDecoder) array(depth int) (*ast.Term, error) {
	d.pos++ // '['
	base := len(d.stack)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return d.newTerm(ast.NewArray()), nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, v)
		d.skipSpace()
		if d.pos < len(d.data) {
			if c := d.data[d.pos]; c == ',' {
				d.pos++
				d.skipSpace()
				continue
			} else if c == ']' {
				d.pos++
				break
			}
		}
		return nil, d.syntaxErr("after array element")
	}
	elems := d.elemSlice(d.stack[base:])
	clear(d.stack[base:])
	d.stack = d.stack[:base]
	return d.newTerm(ast.NewArray(elems...)), nil
}

// plainByte is true for the bytes that stand for themselves inside a JSON string.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stringTerm reads a string at d.pos (the opening quote). Keys are always shared; values when short.
func (d *valueDecoder) stringTerm(key bool) (*ast.Term, error) {
	start := d.pos + 1
	i := start
	data := d.data
	for i < len(data) && plainByte[data[i]] {
		i++
	}
	if i < len(data) && data[i] == '"' { // the common case: nothing to unescape
		d.pos = i + 1
		return d.shared(data[start:i], key), nil
	}
	// Escapes, non-ASCII or an error: find the end, then unescape like encoding/json.
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			raw := data[start:i]
			d.pos = i + 1
			if plainUTF8(raw) {
				return d.shared(raw, key), nil
			}
			s, ok := unquote(d.buf[:0], raw)
			if !ok {
				d.pos = start - 1
				return nil, d.syntaxErr("in string literal")
			}
			d.buf = s
			return d.shared(s, key), nil
		case c == '\\':
			i += 2
		case c < 0x20:
			d.pos = i
			return nil, d.syntaxErr("in string literal")
		default:
			i++
		}
	}
	d.pos = len(data)
	return nil, d.syntaxErr("in string literal")
}

// plainUTF8 reports whether raw needs no unescaping: no backslash and valid UTF-8.
func plainUTF8(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' {
			return false
		}
	}
	return utf8.Valid(raw)
}

// shared returns the term of string s, shared within the decode when it is a key or short.
// The table is a direct-mapped cache: a slot holds the last string that hashed to it, so a
// lookup costs one hash and one comparison, and the table never grows. Keys and short values
// repeat so much in a plan (attribute names, types, providers, actions) that nearly every
// lookup hits.
func (d *valueDecoder) shared(s []byte, key bool) *ast.Term {
	if !key && len(s) > maxInternedLen {
		return d.newTerm(ast.String(string(s)))
	}
	slot := &d.strs[maphash.Bytes(d.seed, s)&(internSlots-1)]
	if slot.term != nil && slot.s == string(s) {
		return slot.term
	}
	str := string(s)
	t := d.newTerm(ast.String(str))
	slot.s, slot.term = str, t
	return t
}

func (d *valueDecoder) number() (*ast.Term, error) {
	data := d.data
	start := d.pos
	i := start
	if data[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i > j
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case !digits():
		d.pos = i
		return nil, d.syntaxErr("in numeric literal")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			d.pos = i
			return nil, d.syntaxErr("after decimal point in numeric literal")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			d.pos = i
			return nil, d.syntaxErr("in exponent of numeric literal")
		}
	}
	d.pos = i
	text := data[start:i]
	if t, ok := d.nums[string(text)]; ok {
		return t, nil
	}
	s := string(text)
	t := ast.InternedIntNumberTermFromString(s)
	if t == nil {
		n, err := ast.NumberChecked(s)
		if err != nil {
			return nil, &numberError{err}
		}
		t = d.newTerm(n)
	}
	if len(s) <= 8 {
		if d.nums == nil {
			d.nums = make(map[string]*ast.Term, 64)
		}
		if len(d.nums) < maxInterned {
			d.nums[s] = t
		}
	}
	return t, nil
}

// numberError is a valid JSON number that OPA rejects (ast.NumberChecked).
type numberError struct{ err error }

func (e *numberError) Error() string { return e.err.Error() }
func (e *numberError) Unwrap() error { return e.err }

// unquote appends the unescaped content of a JSON string (without its quotes) to b, exactly as
// encoding/json decodes it: invalid UTF-8 bytes and unpaired surrogates become U+FFFD.
func unquote(b, s []byte) ([]byte, bool) {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			if r >= len(s) {
				return nil, false
			}
			switch s[r] {
			case '"', '\\', '/':
				b = append(b, s[r])
				r++
			case 'b':
				b = append(b, '\b')
				r++
			case 'f':
				b = append(b, '\f')
				r++
			case 'n':
				b = append(b, '\n')
				r++
			case 'r':
				b = append(b, '\r')
				r++
			case 't':
				b = append(b, '\t')
				r++
			case 'u':
				rr := getu4(s[r-1:])
				if rr < 0 {
					return nil, false
				}
				r += 5
				if utf16.IsSurrogate(rr) {
					if rr1 := getu4(s[r:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
							r += 6
							b = utf8.AppendRune(b, dec)
							break
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			default:
				return nil, false
			}
		case c == '"' || c < ' ':
			return nil, false
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			if rr == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[r:r+size]...)
			}
			r += size
		}
	}
	return b, true
}

// getu4 decodes \uXXXX from the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
