package jsontext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
)

// Lexer is a validating, non-allocating JSON reader. It checks the full JSON grammar (RFC 8259:
// strings with their escapes and no control characters, numbers, literals, nesting up to
// MaxDepth) and rejects duplicate object keys, while the caller walks the parts it cares about and
// skips the rest (Value). A corrupted byte anywhere is still an error.
//
// It reads either a whole document held in b (NewText) or a stream (NewStream): then b is a
// window of the document that starts at byte off0 and more() slides it forward, so a document is
// never held whole. A slice of the window that a method returns is valid only until the next call
// that reads on; whatever must live longer is copied (object keys are, for the member function) or
// named by an absolute offset under a Pin, which keeps the bytes from that offset in the window.
type Lexer struct {
	b      []byte
	i      int
	depth  int
	path   []pathSeg // JSON path of the value being read, for errors: path[i] is at depth i+1
	levels []level   // per depth: the keys of the object being read there

	src       io.Reader // nil: b is the whole document
	window    int       // the window's initial size
	off0      int64     // offset in the document of b[0]
	read      int64     // bytes read from src
	max       int64     // more than this many bytes from src is an error
	eof       bool      // src has nothing more (or failed: rerr)
	rerr      error     // a read error or the size limit: reported instead of the syntax error it causes
	pins      []int64   // offsets the window must keep, oldest first
	total     int64     // bytes src holds from where the Lexer starts, when known (a file); -1 if not
	donated   bool      // the window's array now backs a kept span (donate): the next slide moves to a new one
	lines     int       // newlines before b[0]
	lineStart int64     // offset of the first byte after the last newline before b[0]

	anyNumber bool // accept numbers no float64 holds (DuplicateKey reads what encoding/json's UseNumber accepted)

	// Where the raw content of the key of the member being read is, for its member function.
	keyStart, keyEnd int64
	keyEscaped       bool

	// A section (NewSection): stop reports whether the top-level member starting
	// at an offset begins the next section, and abort, once set, ends the reading.
	stop  func(off int64) bool
	abort *atomic.Bool
}

// ErrStop ends a section (NewSection) at the start of the next one: it is not an error.
var ErrStop = errors.New("end of section")

// ErrAborted ends the reading of a section whose result is no longer wanted.
var ErrAborted = errors.New("section aborted")

// WindowSize is the initial size of a streaming Lexer's window; a token or pinned span larger than
// the window grows it. Reads of this size cost few system calls and the window stays in cache.
const WindowSize = 256 << 10

// NewText returns a Lexer over a whole document held in memory.
func NewText(b []byte) Lexer { return Lexer{b: b} }

// NewStream returns a Lexer that reads JSON text from r, at most limit bytes of it (more is a
// TooLargeError from ReadErr), through a window of the given initial size (at least 1; tests slide
// tiny windows over every document).
func NewStream(r io.Reader, limit int64, window int) Lexer {
	window = max(window, 1)
	return Lexer{src: r, max: limit, window: window, b: make([]byte, 0, window), total: sourceSize(r)}
}

// NewSection returns a streaming Lexer for a section of a document that starts at offset at
// (positions and errors count from the document's start) and reads size bytes from r. stop, called
// at each top-level member after the first, reports whether the member starting at an offset
// begins another section: reading then ends with ErrStop. Once abort is set, reading ends with
// ErrAborted as the read error. A section that starts inside the top-level object is read with
// ResumeObject.
func NewSection(r io.Reader, at, size int64, window int, stop func(off int64) bool, abort *atomic.Bool) Lexer {
	l := NewStream(r, size, window)
	l.off0, l.stop, l.abort = at, stop, abort
	return l
}

// ResumeObject reads the members of the top-level object from a key at the reading position to the
// closing brace, for a section that starts at a top-level member, as Object does.
func (l *Lexer) ResumeObject(member func(key []byte) error) error {
	l.depth = 1
	return l.members(member)
}

// HasPrefix reports whether the text at the reading position starts with s, reading on as needed.
func (l *Lexer) HasPrefix(s string) bool {
	return l.Need(len(s)) && string(l.b[l.i:l.i+len(s)]) == s
}

// SkipBOM drops a UTF-8 byte order mark at the start of a stream (offsets and columns then count
// from the first byte after it, as for text whose mark was stripped) and reports whether the
// stream starts with a UTF-16 mark instead: the caller transcodes such a document whole
// (Transcode), with Buffered and the rest of the reader.
func (l *Lexer) SkipBOM() (utf16 bool) {
	l.Need(3)
	switch {
	case bytes.HasPrefix(l.b, bomUTF8):
		l.i, l.off0 = 3, -3
	case bytes.HasPrefix(l.b, bomUTF16LE), bytes.HasPrefix(l.b, bomUTF16BE):
		return true
	}
	return false
}

// Buffered returns what a stream has read so far and not dropped (for SkipBOM's caller).
func (l *Lexer) Buffered() []byte { return l.b }

// ReadErr is what stopped a stream other than its end: a read error, a TooLargeError, or
// ErrAborted. It explains whatever the Lexer made of the text that did not arrive, so a caller
// reports it before a syntax error.
func (l *Lexer) ReadErr() error { return l.rerr }

// Streaming reports whether the Lexer reads a stream (its slices move) rather than whole text.
func (l *Lexer) Streaming() bool { return l.src != nil }

// KeyRange returns where the raw content (without quotes) of the key of the member being read is
// in the document, and whether it has escapes, for the member function of Object.
func (l *Lexer) KeyRange() (start, end int64, escaped bool) {
	return l.keyStart, l.keyEnd, l.keyEscaped
}

// LastSegment returns the innermost step of the JSON path being read (".key" or "[3]").
func (l *Lexer) LastSegment() string {
	if len(l.path) == 0 {
		return ""
	}
	return l.segString(len(l.path) - 1)
}

// sourceSize is how many bytes r holds from its current position, when r says (a regular file, a
// section of one), or -1.
func sourceSize(r io.Reader) int64 {
	switch s := r.(type) {
	case *io.SectionReader:
		return s.Size() // sections are read from their start
	case *os.File:
		fi, err := s.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		pos, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return fi.Size() - pos
	}
	return -1
}

// BigSpan is the window length from which growing it for a pinned span (a huge kept value) aims
// at what the source has left, rather than doubling: see grow.
const BigSpan = 16 << 20

// grow returns the capacity of the next window. It doubles, except when the window already holds
// a large pinned span and the source's remaining bytes fit in eight times that: then it grows once
// to hold them all, so a value that fills most of a file costs about its size once, not the two
// copies a doubling step holds at the same time.
func (l *Lexer) grow() int {
	next := 2 * cap(l.b)
	if l.total < 0 || len(l.b) < BigSpan {
		return next
	}
	rest := min(l.total, l.max+1) - l.read
	if rest <= 0 || rest > 8*int64(len(l.b)) {
		return next
	}
	return len(l.b) + int(rest) + 1 // +1: a source that grew shows as more than expected
}

// Donate hands the window's array to a span the caller took from it and keeps (a huge value): the
// bytes stay where they are, and the next slide copies what the window still needs into a new
// array instead of moving it within this one.
func (l *Lexer) Donate() { l.donated = true }

// TooLargeError is a stream longer than the Lexer's limit.
type TooLargeError struct{ Max int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than the limit of %d bytes", e.Max)
}

// more reads more of a stream into the window and reports whether any arrived. Bytes before the
// oldest pin (or before l.i when nothing is pinned) are dropped, and the rest moves to the front
// of the buffer: no slice taken from the window before the call is valid after it.
func (l *Lexer) more() bool {
	if l.src == nil || l.eof {
		return false
	}
	if l.abort != nil && l.abort.Load() {
		l.eof, l.rerr = true, ErrAborted
		return false
	}
	keep := l.i
	if len(l.pins) > 0 {
		keep = int(l.pins[0] - l.off0)
	}
	if keep > 0 {
		dropped := l.b[:keep]
		if n := bytes.Count(dropped, newline); n > 0 {
			l.lines += n
			l.lineStart = l.off0 + int64(bytes.LastIndexByte(dropped, '\n')) + 1
		}
		if l.donated {
			// The array belongs to a kept span now: move what is left to a new window.
			fresh := make([]byte, len(l.b)-keep, max(l.window, 2*(len(l.b)-keep)))
			copy(fresh, l.b[keep:])
			l.b, l.donated = fresh, false
		} else {
			n := copy(l.b, l.b[keep:])
			l.b = l.b[:n]
		}
		l.i -= keep
		l.off0 += int64(keep)
	}
	if free := cap(l.b) - len(l.b); free < max(l.window/4, 1) {
		grown := make([]byte, len(l.b), max(l.grow(), len(l.b)+l.window))
		copy(grown, l.b)
		l.b, l.donated = grown, false
	}
	for empty := 0; ; empty++ {
		n, err := l.src.Read(l.b[len(l.b):cap(l.b)])
		l.b = l.b[:len(l.b)+n]
		l.read += int64(n)
		switch {
		case l.read > l.max:
			l.eof, l.rerr = true, &TooLargeError{l.max}
			return false
		case err == io.EOF:
			l.eof = true
			return n > 0
		case err != nil:
			l.eof, l.rerr = true, err
			return false
		case n > 0:
			return true
		case empty == 100:
			l.eof, l.rerr = true, io.ErrNoProgress
			return false
		}
	}
}

var newline = []byte{'\n'}

// need makes n bytes from l.i available and reports whether there are that many.
func (l *Lexer) Need(n int) bool {
	for l.i+n > len(l.b) {
		if !l.more() {
			return false
		}
	}
	return true
}

// needFrom is need for a caller holding *start, an index in the window that must stay in it: it
// is pinned while the window moves and updated after.
func (l *Lexer) needFrom(start *int, n int) bool {
	if l.i+n <= len(l.b) {
		return true
	}
	off := l.off0 + int64(*start)
	l.pins = append(l.pins, off)
	ok := l.Need(n)
	l.pins = l.pins[:len(l.pins)-1]
	*start = int(off - l.off0)
	return ok
}

// pin keeps the window from dropping the bytes from l.i on, until unpin, and returns the offset
// of l.i in the document for from.
func (l *Lexer) Pin() int64 {
	off := l.off0 + int64(l.i)
	if l.src != nil {
		l.pins = append(l.pins, off)
	}
	return off
}

func (l *Lexer) Unpin() {
	if l.src != nil {
		l.pins = l.pins[:len(l.pins)-1]
	}
}

// from returns the bytes from the pinned offset off up to l.i.
func (l *Lexer) From(off int64) []byte { return l.b[off-l.off0 : l.i] }

// offset is the position of l.i in the document.
func (l *Lexer) Offset() int64 { return l.off0 + int64(l.i) }

// lineCol returns the 1-based line and column of a document offset at or after the window's
// start.
func (l *Lexer) LineCol(off int64) (int, int) {
	idx := int(min(max(off-l.off0, 0), int64(len(l.b))))
	line, start := l.lines+1, l.lineStart
	seen := l.b[:idx]
	if n := bytes.Count(seen, newline); n > 0 {
		line += n
		start = l.off0 + int64(bytes.LastIndexByte(seen, '\n')) + 1
	}
	return line, int(l.off0+int64(idx)-start) + 1
}

// level is the scratch space of the object being read at one depth, reused by every object at
// that depth: no allocation per object. It holds no pointer per key, and the members loop keeps
// its slices in locals and stores them back only when they grow, so reading a member writes no
// pointer to the heap: no write barrier while the collector runs, which it does for much of the
// parse of a large plan.
type level struct {
	arena []byte              // the keys of the object, copied (a stream's window moves on) and unescaped
	keys  []keySpan           // where each key is in arena
	set   map[string]struct{} // the keys of an object with more than smallObject of them
}

// keySpan is where a key is in its level's arena.
type keySpan struct{ start, end int }

// pathSeg is one step of a JSON path: an object key (in the arena of the step's depth) or an
// array index.
type pathSeg struct {
	key   keySpan
	index int // -1 for keys
}

// segString formats path[i]: "[3]", ".key", or `["a.b"]` for a key that is not a plain name.
func (l *Lexer) segString(i int) string {
	p := l.path[i]
	if p.index >= 0 {
		return "[" + strconv.Itoa(p.index) + "]"
	}
	// The arena stored for the level may be shorter than the local one that holds the key, but
	// not smaller: it is the same array.
	a := l.levels[i+1].arena
	return keySegment(string(a[p.key.start:p.key.end:cap(a)]))
}

// keySegment is the step of a JSON path to a member: .key, or ["key"] when key is not a plain
// name (letters, digits, '_', '-').
func keySegment(key string) string {
	plain := key != ""
	for _, c := range key {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return "." + key
	}
	return "[" + strconv.Quote(key) + "]"
}

// MaxDepth is the deepest nesting of arrays and objects a Lexer reads (encoding/json's limit).
const MaxDepth = 10000

// Error is a problem at a position in a document: text that is not JSON (Syntax), text that is
// not UTF-8 (UTF8), or JSON of the wrong shape (a type, a duplicate key, a missing member).
type Error struct {
	Offset    int64  // bytes from the start of the document
	Line, Col int    // 1-based; the column counts bytes
	Path      string // the JSON path of the value being read: "$", "$.a[0].b"
	Msg       string // what is wrong, without the position
	Syntax    bool   // not JSON at all, as opposed to JSON of the wrong shape
	UTF8      bool   // not UTF-8 text
	Key       string // the key, for a duplicate key
}

func (e *Error) Error() string { return e.Msg }

func (l *Lexer) errorAt(msg string) *Error {
	off := l.Offset()
	line, col := l.LineCol(off)
	return &Error{Offset: off, Line: line, Col: col, Path: l.pathString(), Msg: msg}
}

// Fail reports JSON of the wrong shape at the reading position.
func (l *Lexer) Fail(format string, args ...any) error {
	return l.errorAt(fmt.Sprintf(format, args...))
}

// bad reports text that is not JSON.
func (l *Lexer) bad(format string, args ...any) error {
	e := l.errorAt(fmt.Sprintf(format, args...))
	e.Syntax = true
	return e
}

// notUTF8 reports a byte that is not part of valid UTF-8.
func (l *Lexer) notUTF8() error {
	e := l.errorAt("not valid UTF-8")
	e.UTF8 = true
	return e
}

// duplicate reports a key that its object already holds.
func (l *Lexer) duplicate(key []byte) error {
	e := l.errorAt(fmt.Sprintf("duplicate key %q (JSON parsers disagree on which value counts)", key))
	e.Key = string(key)
	return e
}

// maxPathSegments bounds the JSON path quoted in an error (a hostile document nests 100,000 deep).
const maxPathSegments = 12

func (l *Lexer) pathString() string {
	var b bytes.Buffer
	b.WriteString("$")
	segs := l.path
	for i := range segs {
		if len(segs) > maxPathSegments && i == maxPathSegments/2 {
			fmt.Fprintf(&b, "...(%d levels)...", len(segs)-maxPathSegments)
		}
		if len(segs) > maxPathSegments && i >= maxPathSegments/2 && i < len(segs)-maxPathSegments/2 {
			continue
		}
		b.WriteString(l.segString(i))
	}
	return b.String()
}

func (l *Lexer) SkipSpace() {
	for {
		b, i := l.b, l.i
		for i < len(b) {
			switch b[i] {
			case ' ', '\t', '\n', '\r':
				i++
				continue
			}
			l.i = i
			return
		}
		l.i = i
		if !l.more() {
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end. terraform writes compact JSON, so the
// next byte is usually the answer (this part is inlined).
func (l *Lexer) Peek() byte {
	if l.i < len(l.b) && l.b[l.i] > ' ' {
		return l.b[l.i]
	}
	return l.peekSlow()
}

func (l *Lexer) peekSlow() byte {
	l.SkipSpace()
	if l.i >= len(l.b) {
		return 0
	}
	return l.b[l.i]
}

// cur returns the byte at l.i, reading on if needed, or -1 at the end.
func (l *Lexer) cur() int {
	if l.i < len(l.b) || l.more() {
		return int(l.b[l.i])
	}
	return -1
}

// value validates and skips one value.
func (l *Lexer) Value() error {
	switch l.Peek() {
	case '{':
		return l.Object(func([]byte) error { return l.Value() })
	case '[':
		return l.Array(func(int) error { return l.Value() })
	case '"':
		return l.skipStr()
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

func (l *Lexer) literal(word string) error {
	l.Need(len(word))
	if !bytes.HasPrefix(l.b[l.i:], []byte(word)) {
		return l.bad("invalid character %q looking for beginning of value", l.b[l.i])
	}
	l.i += len(word)
	return nil
}

func (l *Lexer) number() error {
	start := l.Pin()
	defer l.Unpin()
	if l.cur() == '-' {
		l.i++
	}
	switch c := l.cur(); {
	case c == '0':
		l.i++
	case c >= '1' && c <= '9':
		l.digits()
	case c < 0:
		return l.bad("unexpected end of JSON input")
	default:
		return l.bad("invalid character %q looking for beginning of value", byte(c))
	}
	if l.cur() == '.' {
		l.i++
		if l.digits() == 0 {
			return l.bad("invalid number %q: no digits after the decimal point", l.From(start))
		}
	}
	exp := false
	if c := l.cur(); c == 'e' || c == 'E' {
		exp = true
		l.i++
		if c := l.cur(); c == '+' || c == '-' {
			l.i++
		}
		if l.digits() == 0 {
			return l.bad("invalid number %q: no digits in the exponent", l.From(start))
		}
	}
	// encoding/json refuses numbers no float64 can hold (1e999999), wherever they are; so does
	// the Lexer, which makes every value Decode later decodes from checked text decodable. Only an
	// exponent or more than 300 digits can overflow.
	if text := l.From(start); (exp || len(text) > 300) && !l.anyNumber {
		if _, err := strconv.ParseFloat(string(text), 64); err != nil {
			return l.Fail("%v", &NumberError{Text: string(text)})
		}
	}
	return nil
}

// digits skips decimal digits and returns how many there were.
func (l *Lexer) digits() int {
	n := 0
	for {
		for l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '9' {
			l.i++
			n++
		}
		if l.i < len(l.b) || !l.more() {
			return n
		}
	}
}

// str validates a string at l.i and returns its raw content (without quotes; valid until the
// Lexer reads on) and whether it holds escapes. It checks that the content is UTF-8.
func (l *Lexer) Str() (raw []byte, escaped bool, err error) {
	if l.Peek() != '"' {
		if l.i >= len(l.b) {
			return nil, false, l.bad("unexpected end of JSON input")
		}
		return nil, false, l.bad("invalid character %q looking for a string", l.b[l.i])
	}
	l.i++
	// start is an index in the window; a string pins it only while the window moves under it,
	// which most strings never see.
	start := l.i
	for {
		l.i = plainRun(l.b, l.i)
		if l.i >= len(l.b) {
			if l.needFrom(&start, 1) {
				continue
			}
			return nil, false, l.bad("unexpected end of JSON input in a string")
		}
		c := l.b[l.i]
		switch {
		case c == '"':
			raw = l.b[start:l.i]
			l.i++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if !l.needFrom(&start, 2) {
				return nil, false, l.bad("unexpected end of JSON input")
			}
			switch l.b[l.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.i += 2
			case 'u':
				if !l.needFrom(&start, 6) {
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
			l.needFrom(&start, utf8.UTFMax) // a rune cut by the window's end; at the text's end, too short is invalid
			r, size := utf8.DecodeRune(l.b[l.i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false, l.notUTF8()
			}
			l.i += size
		default:
			return nil, false, l.bad("invalid control character %#02x in string", c)
		}
	}
}

// skipStr validates a string at l.i as str does, for a caller that does not want its content: it
// pins nothing, so the window slides along a string of any length instead of growing to hold it
// (a gigabyte string in a value the caller skips costs a window, not a gigabyte).
func (l *Lexer) skipStr() error {
	if l.Peek() != '"' {
		if l.i >= len(l.b) {
			return l.bad("unexpected end of JSON input")
		}
		return l.bad("invalid character %q looking for a string", l.b[l.i])
	}
	l.i++
	for {
		l.i = plainRun(l.b, l.i)
		if l.i >= len(l.b) {
			if l.Need(1) {
				continue
			}
			return l.bad("unexpected end of JSON input in a string")
		}
		c := l.b[l.i]
		switch {
		case c == '"':
			l.i++
			return nil
		case c == '\\':
			if !l.Need(2) {
				return l.bad("unexpected end of JSON input")
			}
			switch l.b[l.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.i += 2
			case 'u':
				if !l.Need(6) {
					return l.bad("unexpected end of JSON input")
				}
				for _, h := range l.b[l.i+2 : l.i+6] {
					if !isHex(h) {
						return l.bad("invalid character %q in \\u escape", h)
					}
				}
				l.i += 6
			default:
				return l.bad("invalid escape \\%c in string", l.b[l.i+1])
			}
		case c >= utf8.RuneSelf:
			l.Need(utf8.UTFMax)
			r, size := utf8.DecodeRune(l.b[l.i:])
			if r == utf8.RuneError && size <= 1 {
				return l.notUTF8()
			}
			l.i += size
		default:
			return l.bad("invalid control character %#02x in string", c)
		}
	}
}

// plainRun returns the index of the first byte at or after i that ends the fast scan of a string
// (strSpecial), or len(b). It tests eight bytes at a time: a word with no quote, backslash,
// control character or non-ASCII byte is skipped whole.
func plainRun(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ ('"' * ones)
		bs := w ^ ('\\' * ones)
		special := (w | // non-ASCII
			(w-0x20*ones)&^w | // below 0x20
			(q-ones)&^q | // a quote
			(bs-ones)&^bs) & highs // a backslash
		if special != 0 {
			// The lowest flagged byte is exact (borrows only run upwards).
			return i + bits.TrailingZeros64(special)/8
		}
	}
	for i < len(b) && !strSpecial[b[i]] {
		i++
	}
	return i
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
func (l *Lexer) Text() (string, error) {
	raw, escaped, err := l.Str()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw), nil
	}
	return Unescape(raw)
}

// smallObject is how many keys an object holds before duplicate detection switches to a map.
const smallObject = 64

// object reads an object at l.i, calling member for each key with l.i at the member's value;
// member must consume the value. Duplicate keys are an error. The key member gets stays valid
// until the object ends.
func (l *Lexer) Object(member func(key []byte) error) error {
	if l.Peek() != '{' {
		return l.Expect(KindObject)
	}
	if l.depth++; l.depth > MaxDepth {
		return l.bad("nested more than %d levels deep (exceeded max depth)", MaxDepth)
	}
	l.i++
	if l.Peek() == '}' {
		l.i++
		l.depth--
		return nil
	}
	return l.members(member)
}

// members reads the members of the object at l.depth from the key at l.i to the closing brace,
// as Object does. ResumeObject starts a section of the document here, at depth 1.
func (l *Lexer) members(member func(key []byte) error) error {
	d := l.depth
	for len(l.levels) <= d {
		l.levels = append(l.levels, level{})
	}
	arena, keys := l.levels[d].arena[:0], l.levels[d].keys[:0]
	var seen map[string]struct{}
	for {
		raw, escaped, err := l.Str()
		if err != nil {
			return err
		}
		l.keyEnd = l.Offset() - 1
		l.keyStart, l.keyEscaped = l.keyEnd-int64(len(raw)), escaped
		n := len(arena)
		if escaped {
			s, err := Unescape(raw)
			if err != nil {
				return l.bad("invalid key: %v", err)
			}
			arena = append(arena, s...)
		} else {
			arena = append(arena, raw...)
		}
		if cap(arena) != cap(l.levels[d].arena) {
			l.levels[d].arena = arena
		}
		ks := keySpan{n, len(arena)}
		key := arena[n:len(arena):len(arena)]
		switch {
		case seen != nil:
			if _, dup := seen[string(key)]; dup {
				return l.duplicate(key)
			}
			seen[string(key)] = struct{}{}
		default:
			for _, k := range keys {
				if string(arena[k.start:k.end]) == string(key) {
					return l.duplicate(key)
				}
			}
			keys = append(keys, ks)
			if cap(keys) != cap(l.levels[d].keys) {
				l.levels[d].keys = keys
			}
			if len(keys) > smallObject {
				seen = l.levels[d].set
				if seen == nil {
					seen = make(map[string]struct{}, 4*smallObject)
					l.levels[d].set = seen
				}
				clear(seen)
				for _, k := range keys {
					seen[string(arena[k.start:k.end])] = struct{}{}
				}
			}
		}
		if l.Peek() != ':' {
			return l.bad("expected ':' after object key")
		}
		l.i++
		l.path = append(l.path, pathSeg{key: ks, index: -1})
		if err := member(key); err != nil {
			return err
		}
		l.path = l.path[:len(l.path)-1]
		switch l.Peek() {
		case ',':
			l.i++
			if l.stop != nil && l.depth == 1 && l.Peek() != 0 && l.stop(l.Offset()) {
				return ErrStop
			}
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
func (l *Lexer) Array(elem func(i int) error) error {
	if l.Peek() != '[' {
		return l.Expect(KindArray)
	}
	if l.depth++; l.depth > MaxDepth {
		return l.bad("nested more than %d levels deep (exceeded max depth)", MaxDepth)
	}
	l.i++
	if l.Peek() == ']' {
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
		switch l.Peek() {
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
func (l *Lexer) Kind() string {
	switch l.Peek() {
	case '{':
		return KindObject
	case '[':
		return KindArray
	case '"':
		return KindString
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	}
	return KindNumber
}

// expect checks the kind of the value at l.i before it is consumed.
func (l *Lexer) Expect(want ...string) error {
	k := l.Kind()
	for _, w := range want {
		if k == w {
			return nil
		}
	}
	if len(want) == 1 {
		return l.Fail("expected %s, found %s", want[0], k)
	}
	return l.Fail("expected %s or %s, found %s", want[0], want[1], k)
}

// span consumes a value and returns its bytes, valid until the Lexer reads on.
func (l *Lexer) Span() ([]byte, error) {
	l.SkipSpace()
	start := l.Pin()
	defer l.Unpin()
	if err := l.Value(); err != nil {
		return nil, err
	}
	return l.From(start), nil
}
