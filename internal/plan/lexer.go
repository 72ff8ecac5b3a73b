package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// lexer is a validating, non-allocating JSON reader over a whole document. It checks the full
// JSON grammar (RFC 8259: strings with their escapes and no control characters, numbers, literals,
// nesting up to MaxDepth) and rejects duplicate object keys, while the caller walks the parts it
// cares about and skips the rest. The fast path decodes a plan in one pass over the bytes with it,
// materializing only the resources the caller keeps; a corrupted byte anywhere is still an error.
type lexer struct {
	b     []byte
	i     int
	depth int
	path  []pathSeg             // JSON path of the value being read, for errors (no allocation per member)
	keys  [][][]byte            // per depth: the keys of the object being read
	sets  []map[string]struct{} // per depth: a reused key set for large objects
}

// pathSeg is one step of a JSON path: an object key or an array index.
type pathSeg struct {
	key   []byte
	index int // -1 for keys
}

func (p pathSeg) String() string {
	if p.index >= 0 {
		return "[" + strconv.Itoa(p.index) + "]"
	}
	return "." + string(p.key)
}

// MaxDepth is the deepest nesting of arrays and objects karpgate reads (encoding/json's limit).
const MaxDepth = 10000

// lexError is a syntax or shape problem at a byte offset.
type lexError struct {
	off    int
	path   string
	msg    string
	syntax bool // not JSON at all, as opposed to JSON of the wrong shape
	utf8   bool // not UTF-8 text
}

func (e *lexError) Error() string { return e.msg }

// fail reports JSON of the wrong shape (a type, a duplicate key, a missing member).
func (l *lexer) fail(format string, args ...any) error {
	return &lexError{off: l.i, path: l.pathString(), msg: fmt.Sprintf(format, args...)}
}

// bad reports text that is not JSON.
func (l *lexer) bad(format string, args ...any) error {
	return &lexError{off: l.i, path: l.pathString(), msg: fmt.Sprintf(format, args...), syntax: true}
}

// maxPathSegments bounds the JSON path quoted in an error (a hostile document nests 100,000 deep).
const maxPathSegments = 12

func (l *lexer) pathString() string {
	var b bytes.Buffer
	b.WriteString("$")
	segs := l.path
	for i, p := range segs {
		if len(segs) > maxPathSegments && i == maxPathSegments/2 {
			fmt.Fprintf(&b, "...(%d levels)...", len(segs)-maxPathSegments)
		}
		if len(segs) > maxPathSegments && i >= maxPathSegments/2 && i < len(segs)-maxPathSegments/2 {
			continue
		}
		b.WriteString(p.String())
	}
	return b.String()
}

func (l *lexer) ws() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (l *lexer) peek() byte {
	l.ws()
	if l.i >= len(l.b) {
		return 0
	}
	return l.b[l.i]
}

// value validates and skips one value.
func (l *lexer) value() error {
	switch l.peek() {
	case '{':
		return l.object(func([]byte) error { return l.value() })
	case '[':
		return l.array(func(int) error { return l.value() })
	case '"':
		_, _, err := l.str()
		return err
	case 't':
		return l.literal("true")
	case 'f':
		return l.literal("false")
	case 'n':
		return l.literal("null")
	case 0:
		return l.bad("unexpected end of JSON input")
	}
	return l.number()
}

func (l *lexer) literal(word string) error {
	if !bytes.HasPrefix(l.b[l.i:], []byte(word)) {
		return l.bad("invalid character %q looking for beginning of value", l.b[l.i])
	}
	l.i += len(word)
	return nil
}

func (l *lexer) number() error {
	start := l.i
	if l.i < len(l.b) && l.b[l.i] == '-' {
		l.i++
	}
	switch {
	case l.i < len(l.b) && l.b[l.i] == '0':
		l.i++
	case l.i < len(l.b) && l.b[l.i] >= '1' && l.b[l.i] <= '9':
		for l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '9' {
			l.i++
		}
	default:
		if l.i >= len(l.b) {
			return l.bad("unexpected end of JSON input")
		}
		return l.bad("invalid character %q looking for beginning of value", l.b[l.i])
	}
	if l.i < len(l.b) && l.b[l.i] == '.' {
		l.i++
		d := l.i
		for l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '9' {
			l.i++
		}
		if l.i == d {
			return l.bad("invalid number %q: no digits after the decimal point", l.b[start:l.i])
		}
	}
	if l.i < len(l.b) && (l.b[l.i] == 'e' || l.b[l.i] == 'E') {
		l.i++
		if l.i < len(l.b) && (l.b[l.i] == '+' || l.b[l.i] == '-') {
			l.i++
		}
		d := l.i
		for l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '9' {
			l.i++
		}
		if l.i == d {
			return l.bad("invalid number %q: no digits in the exponent", l.b[start:l.i])
		}
	}
	return nil
}

// str validates a string at l.i and returns its raw content (without quotes) and whether it holds
// escapes. The document is valid UTF-8 already (Transcode checks it).
func (l *lexer) str() (raw []byte, escaped bool, err error) {
	if l.peek() != '"' {
		if l.i >= len(l.b) {
			return nil, false, l.bad("unexpected end of JSON input")
		}
		return nil, false, l.bad("invalid character %q looking for a string", l.b[l.i])
	}
	l.i++
	start := l.i
	for l.i < len(l.b) {
		// Skip the plain bytes fast; stop at a quote, a backslash or a control character.
		for l.i < len(l.b) && !strSpecial[l.b[l.i]] {
			l.i++
		}
		if l.i >= len(l.b) {
			break
		}
		c := l.b[l.i]
		switch {
		case c == '"':
			raw = l.b[start:l.i]
			l.i++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if l.i+1 >= len(l.b) {
				return nil, false, l.bad("unexpected end of JSON input")
			}
			switch l.b[l.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.i += 2
			case 'u':
				if l.i+6 > len(l.b) {
					return nil, false, l.bad("unexpected end of JSON input")
				}
				for _, h := range l.b[l.i+2 : l.i+6] {
					if !isHex(h) {
						return nil, false, l.bad("invalid character %q in \\u escape", h)
					}
				}
				l.i += 6
			default:
				return nil, false, l.bad("invalid escape \\%c in string", l.b[l.i+1])
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(l.b[l.i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false, &lexError{off: l.i, path: l.pathString(), msg: "not valid UTF-8", utf8: true}
			}
			l.i += size
		default:
			return nil, false, l.bad("invalid control character %#02x in string", c)
		}
	}
	return nil, false, l.bad("unexpected end of JSON input in a string")
}

// strSpecial marks the bytes that end the fast scan of a string.
var strSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true // validated as UTF-8 one rune at a time
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// text reads a string value and unescapes it.
func (l *lexer) text() (string, error) {
	raw, escaped, err := l.str()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw), nil
	}
	return unescape(raw)
}

func unescape(raw []byte) (string, error) {
	q := make([]byte, 0, len(raw)+2)
	q = append(q, '"')
	q = append(q, raw...)
	q = append(q, '"')
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", err
	}
	return s, nil
}

// smallObject is how many keys an object holds before duplicate detection switches to a map.
const smallObject = 64

// object reads an object at l.i, calling member for each key with l.i at the member's value;
// member must consume the value. Duplicate keys are an error.
func (l *lexer) object(member func(key []byte) error) error {
	if l.peek() != '{' {
		return l.expect("an object")
	}
	if l.depth++; l.depth > MaxDepth {
		return l.bad("nested more than %d levels deep (exceeded max depth)", MaxDepth)
	}
	l.i++
	// Keys seen so far, in scratch space reused by every object at this depth: no allocation
	// per object. Large objects switch to a reused set.
	for len(l.keys) <= l.depth {
		l.keys = append(l.keys, nil)
		l.sets = append(l.sets, nil)
	}
	keys := l.keys[l.depth][:0]
	var seen map[string]struct{}
	if l.peek() == '}' {
		l.i++
		l.depth--
		return nil
	}
	for {
		raw, escaped, err := l.str()
		if err != nil {
			return err
		}
		key := raw
		if escaped {
			s, err := unescape(raw)
			if err != nil {
				return l.bad("invalid key: %v", err)
			}
			key = []byte(s)
		}
		switch {
		case seen != nil:
			if _, dup := seen[string(key)]; dup {
				return l.fail("duplicate key %q (JSON parsers disagree on which value counts)", key)
			}
			seen[string(key)] = struct{}{}
		default:
			for _, k := range keys {
				if bytes.Equal(k, key) {
					return l.fail("duplicate key %q (JSON parsers disagree on which value counts)", key)
				}
			}
			keys = append(keys, key)
			if len(keys) > smallObject {
				seen = l.sets[l.depth]
				if seen == nil {
					seen = make(map[string]struct{}, 4*smallObject)
					l.sets[l.depth] = seen
				}
				clear(seen)
				for _, k := range keys {
					seen[string(k)] = struct{}{}
				}
			}
		}
		l.keys[l.depth] = keys
		if l.peek() != ':' {
			return l.bad("expected ':' after object key")
		}
		l.i++
		l.path = append(l.path, pathSeg{key: key, index: -1})
		if err := member(key); err != nil {
			return err
		}
		l.path = l.path[:len(l.path)-1]
		switch l.peek() {
		case ',':
			l.i++
		case '}':
			l.i++
			l.depth--
			return nil
		case 0:
			return l.bad("unexpected end of JSON input")
		default:
			return l.bad("invalid character %q after object key:value pair", l.b[l.i])
		}
	}
}

// array reads an array at l.i, calling elem for each element with l.i at the element.
func (l *lexer) array(elem func(i int) error) error {
	if l.peek() != '[' {
		return l.expect("a list")
	}
	if l.depth++; l.depth > MaxDepth {
		return l.bad("nested more than %d levels deep (exceeded max depth)", MaxDepth)
	}
	l.i++
	if l.peek() == ']' {
		l.i++
		l.depth--
		return nil
	}
	for n := 0; ; n++ {
		l.path = append(l.path, pathSeg{index: n})
		if err := elem(n); err != nil {
			return err
		}
		l.path = l.path[:len(l.path)-1]
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			l.depth--
			return nil
		case 0:
			return l.bad("unexpected end of JSON input")
		default:
			return l.bad("invalid character %q after array element", l.b[l.i])
		}
	}
}

// kind names the JSON type of the value at l.i without consuming it.
func (l *lexer) kind() string {
	switch l.peek() {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// expect checks the kind of the value at l.i before it is consumed.
func (l *lexer) expect(want ...string) error {
	k := l.kind()
	for _, w := range want {
		if k == w {
			return nil
		}
	}
	if len(want) == 1 {
		return l.fail("expected %s, found %s", want[0], k)
	}
	return l.fail("expected %s or %s, found %s", want[0], want[1], k)
}

// span consumes a value and returns its bytes.
func (l *lexer) span() ([]byte, error) {
	l.ws()
	start := l.i
	if err := l.value(); err != nil {
		return nil, err
	}
	return l.b[start:l.i], nil
}
