package scan

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/karpgate/karpgate/internal/jsontext"
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
// times in a large plan) are shared within one decode, and every empty object and array is
// OPA's own interned empty value (a third of the objects of a plan are empty). That is safe
// because OPA never mutates a value it evaluates: its evaluator hands out the same interned
// terms. Other containers are never shared.
//
// Large documents (a plan of 8 MB and more) are decoded a top-level member per goroutine when
// there is more than one CPU: the three big sections of a plan then decode side by side.
func planValue(data []byte) (ast.Value, error) {
	if len(data) >= parallelMin && runtime.GOMAXPROCS(0) > 1 {
		if v, ok, err := parallelValue(data, parallelMember); ok {
			return v, err
		}
	}
	return decodeSpan(data, 0)
}

// decodeSpan decodes the one value that data holds, nested depth containers deep.
func decodeSpan(data []byte, depth int) (ast.Value, error) {
	return new(termDecoder).decode(data, depth)
}

// decode decodes the one value that data holds with d, whose tables may have been used before.
func (d *termDecoder) decode(data []byte, depth int) (ast.Value, error) {
	d.data, d.pos = data, 0
	d.skipSpace()
	t, err := d.value(depth)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.syntaxErr("after top-level value")
	}
	return t.Value, nil
}

// parallelMin is the size from which planValue decodes the members of a top-level object
// concurrently, and parallelMember the size of a member worth a goroutine. A plan's
// resource_changes, planned_values and prior_state are about 45%, 25% and 30% of it.
const parallelMin, parallelMember = 8 << 20, 1 << 20

// parallelValue decodes a top-level object whose members of at least minMember bytes are
// decoded in goroutines, one decoder each. ok is false when data is not an object of members as
// expected; the caller then decodes it serially (which also reports the syntax error, if any).
func parallelValue(data []byte, minMember int) (v ast.Value, ok bool, err error) {
	type member struct {
		key, val []byte
		k, v     *ast.Term
		err      error
	}
	index := jsontext.IndexMembers(data)
	if index == nil {
		return nil, false, nil
	}
	members := make([]member, index.Len())
	for j := range members {
		members[j] = member{key: index.Key(data, j), val: index.Value(data, j)}
	}
	small := &termDecoder{} // keys, and the members too small for a goroutine
	for j := range members {
		m := &members[j]
		small.data, small.pos = m.key, 0
		if m.k, m.err = small.stringTerm(true); m.err != nil || small.pos != len(m.key) {
			return nil, false, nil
		}
	}
	var wg sync.WaitGroup
	for j := range members {
		m := &members[j]
		if len(m.val) >= minMember {
			wg.Go(func() {
				var val ast.Value
				if val, m.err = decodeSpan(m.val, 1); m.err == nil {
					m.v = ast.NewTerm(val)
				}
			})
		}
	}
	for j := range members {
		if m := &members[j]; len(m.val) < minMember {
			var val ast.Value
			if val, m.err = small.decode(m.val, 1); m.err != nil {
				break
			}
			m.v = ast.NewTerm(val)
		}
	}
	wg.Wait()
	pairs := make([][2]*ast.Term, len(members))
	for j, m := range members {
		if m.err != nil {
			return nil, true, m.err
		}
		pairs[j] = [2]*ast.Term{m.k, m.v}
	}
	return ast.NewObject(dedupeKeys(pairs)...), true, nil
}

const (
	// maxValueDepth bounds nesting like encoding/json does (json.Valid rejects deeper text).
	maxValueDepth = 10000
	// internSlots is the size of the table of shared string terms (a power of two).
	internSlots = 1 << 14
	// maxInterned bounds the table of shared number terms.
	maxInterned = 1 << 12
	// maxInternedLen is the longest string value that is shared; keys are shared whatever their length.
	maxInternedLen = 64
	termChunk      = 1024
	arenaChunk     = 64 << 10
	sliceChunk     = 4096
)

type internSlot struct {
	s    string
	term *ast.Term
}

// termAlloc hands out terms carved from chunks, and shares the terms of repeated strings.
type termAlloc struct {
	lastSlot uint32 // the slot of the last string shared
	seed     maphash.Seed
	strs     *[internSlots]internSlot // shared string terms (see shared)
	terms    []ast.Term               // chunk new terms are carved from
	arena    []byte                   // chunk string bytes are carved from (see str)
}

type termDecoder struct {
	termAlloc
	data []byte
	pos  int

	nums  map[string]*ast.Term // shared number terms
	elems []*ast.Term          // chunk array element slices are carved from
	stack []*ast.Term          // elements of the arrays being read
	pairs [][2]*ast.Term       // members of the objects being read
	slots []uint32             // the table slots of their keys
	seen  *[internSlots]uint32 // see mayRepeat
	stamp uint32
	buf   []byte // scratch for unescaping
}

func (d *termDecoder) syntaxErr(what string) error {
	if d.pos >= len(d.data) {
		return fmt.Errorf("invalid JSON: unexpected end of input %s", what)
	}
	return fmt.Errorf("invalid JSON: unexpected character %q at offset %d %s", d.data[d.pos], d.pos, what)
}

func (d *termDecoder) skipSpace() {
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
func (d *termAlloc) newTerm(v ast.Value) *ast.Term {
	if len(d.terms) == 0 {
		d.terms = make([]ast.Term, termChunk)
	}
	t := &d.terms[0]
	d.terms = d.terms[1:]
	t.Value = v
	return t
}

// elemSlice returns a copy of elems carved from a chunk (capped, so appending to it copies).
func (d *termDecoder) elemSlice(elems []*ast.Term) []*ast.Term {
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

func (d *termDecoder) value(depth int) (*ast.Term, error) {
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

func (d *termDecoder) literal(lit string, t *ast.Term) (*ast.Term, error) {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return nil, d.syntaxErr("in literal " + lit)
	}
	d.pos += len(lit)
	return t, nil
}

func (d *termDecoder) object(depth int) (*ast.Term, error) {
	d.pos++ // '{'
	base := len(d.pairs)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return ast.InternedEmptyObject, nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.syntaxErr("looking for an object key")
		}
		k, err := d.stringTerm(true)
		if err != nil {
			return nil, err
		}
		slot := d.lastSlot // keys are always shared
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
		d.slots = append(d.slots, slot)
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
	pairs := d.pairs[base:]
	if d.mayRepeat(d.slots[base:]) {
		pairs = dedupeKeys(pairs)
	}
	obj := ast.NewObject(pairs...) // copies pairs
	clear(d.pairs[base:])
	d.pairs, d.slots = d.pairs[:base], d.slots[:base]
	return d.newTerm(obj), nil
}

// mayRepeat reports whether two keys of one object went to the same slot of the table of shared
// strings: only then can a key repeat, and dedupeKeys has a look. The check stamps each slot
// with a number that is new for every object.
func (d *termDecoder) mayRepeat(slots []uint32) bool {
	if len(slots) < 2 {
		return false
	}
	if d.seen == nil {
		d.seen = new([internSlots]uint32)
	}
	if d.stamp++; d.stamp == 0 {
		clear(d.seen[:])
		d.stamp = 1
	}
	for _, s := range slots {
		if d.seen[s] == d.stamp {
			return true
		}
		d.seen[s] = d.stamp
	}
	return false
}

// dedupeKeys drops all but the last member of each key, keeping the order of first appearance.
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

func (d *termDecoder) array(depth int) (*ast.Term, error) {
	d.pos++ // '['
	base := len(d.stack)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return ast.InternedEmptyArray, nil
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
func (d *termDecoder) stringTerm(key bool) (*ast.Term, error) {
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
			if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
				return d.shared(raw, key), nil
			}
			s, err := jsontext.AppendUnescaped(d.buf[:0], raw)
			if err != nil {
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

// shared returns the term of string s, shared within the decode when it is a key or short.
// The table is a direct-mapped cache: a slot holds the last string that hashed to it, so a
// lookup costs one hash and one comparison, and the table never grows. Keys and short values
// repeat so much in a plan (attribute names, types, providers, actions) that nearly every
// lookup hits.
func (d *termAlloc) shared(s []byte, key bool) *ast.Term {
	if !key && len(s) > maxInternedLen {
		return d.newTerm(ast.String(d.str(s)))
	}
	if d.strs == nil {
		d.seed, d.strs = maphash.MakeSeed(), new([internSlots]internSlot)
	}
	d.lastSlot = uint32(maphash.Bytes(d.seed, s) & (internSlots - 1))
	slot := &d.strs[d.lastSlot]
	if slot.term != nil && slot.s == string(s) {
		return slot.term
	}
	str := d.str(s)
	t := d.newTerm(ast.String(str))
	slot.s, slot.term = str, t
	return t
}

// sharedString is shared for a string that is already a Go string: no copy.
func (d *termAlloc) sharedString(s string) *ast.Term {
	if len(s) > maxInternedLen {
		return d.newTerm(ast.String(s))
	}
	if d.strs == nil {
		d.seed, d.strs = maphash.MakeSeed(), new([internSlots]internSlot)
	}
	slot := &d.strs[maphash.String(d.seed, s)&(internSlots-1)]
	if slot.term != nil && slot.s == s {
		return slot.term
	}
	t := d.newTerm(ast.String(s))
	slot.s, slot.term = s, t
	return t
}

// str returns a copy of b as a string. Short strings are carved from a chunk of bytes that is
// written once and never changed afterwards, which is what makes unsafe.String safe here: one
// allocation per arenaChunk bytes instead of one per string.
func (d *termAlloc) str(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if n > arenaChunk/8 {
		return string(b)
	}
	if cap(d.arena)-len(d.arena) < n {
		d.arena = make([]byte, 0, arenaChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[start], n)
}

func (d *termDecoder) number() (*ast.Term, error) {
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
			return nil, &jsontext.NumberError{Text: s, Err: err}
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
