package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"

	tfjson "github.com/hashicorp/terraform-json"
)

// Keep selects the resources a fast parse materializes, by mode ("managed" or "data") and type.
type Keep func(mode, typ string) bool

// ParseStream reads one document like Parse, but validates it in a single pass over a window
// that slides along the input, so the document is never held whole, and materializes only the
// resources keep selects (and the configuration of those resources and of the module calls on
// their way). Everything else is validated as JSON (a corrupted byte anywhere, a duplicate key or
// a field karpgate reads with the wrong type is still an input error) and skipped without being
// decoded. Kept values stay as the checked text and are decoded attribute by attribute when read
// (Attrs). The Plan it returns indexes only the kept resources; for them it is identical to what
// Parse returns. Its Raw is nil: use ParseFast when the text itself is needed (input.plan).
//
// A large file (an *os.File or a *bytes.Reader that can be read at offsets) is read on all cores,
// in sections that start at the top-level members holding most of a plan (split.go); the result,
// and every error, is the single pass's.
func ParseStream(name string, r io.Reader, max int64, keep Keep) (*Plan, error) {
	return ParseStreamWith(name, r, max, keep, StreamOptions{Split: runtime.GOMAXPROCS(0) > 1})
}

// StreamOptions tunes ParseStreamWith.
type StreamOptions struct {
	// Split reads a file of at least SplitMinSize on several cores. Splitting costs CPU (the
	// searches for the sections' keys, more reading) that only idle cores make up for: a caller
	// that keeps every core busy with other documents reads each in one pass.
	Split bool
}

// ParseStreamWith is ParseStream with options.
func ParseStreamWith(name string, r io.Reader, max int64, keep Keep, opt StreamOptions) (*Plan, error) {
	return parseStream(name, r, max, keep, opt.config())
}

func (opt StreamOptions) config() streamConfig {
	cfg := streamConfig{window: windowSize, splitMin: SplitMinSize}
	if !opt.Split {
		cfg.splitMin = -1
	}
	return cfg
}

func parseStream(name string, r io.Reader, max int64, keep Keep, cfg streamConfig) (*Plan, error) {
	p, _, err := parseSections(name, r, max, keep, cfg)
	return p, err
}

// parseSections is parseStream, also returning how many sections were read in parallel (1: the
// single pass).
func parseSections(name string, r io.Reader, max int64, keep Keep, cfg streamConfig) (*Plan, int, error) {
	if max <= 0 {
		max = DefaultMaxSize
	}
	if p, n, ok, err := trySplit(name, r, max, keep, cfg); ok || err != nil {
		return p, n, err
	}
	p, err := parseOnePass(name, r, max, keep, cfg.window)
	return p, 1, err
}

// parseOnePass is the single pass over a stream.
func parseOnePass(name string, r io.Reader, max int64, keep Keep, window int) (*Plan, error) {
	f := &fastDoc{l: *newStreamLexer(r, max, window), keep: keep}
	l := &f.l
	l.need(3)
	switch {
	case bytes.HasPrefix(l.b, []byte{0xEF, 0xBB, 0xBF}):
		// Offsets and columns count from the first byte after the mark, as ParseFast's do.
		l.i, l.off0 = 3, -3
	case bytes.HasPrefix(l.b, []byte{0xFF, 0xFE}), bytes.HasPrefix(l.b, []byte{0xFE, 0xFF}):
		// UTF-16 is transcoded whole: rare enough not to stream.
		p, err := ParseFast(name, io.MultiReader(bytes.NewReader(l.b), r), max, keep)
		if p != nil {
			p.Raw = nil
		}
		return p, err
	}
	c := l.peek()
	if l.rerr != nil {
		return nil, f.inputError(name, l.rerr)
	}
	switch c {
	case 0:
		return nil, inputErr(name, "empty input: expected the output of terraform show -json")
	case '{':
	default:
		return nil, inputErr(name, "not a terraform show -json document: the top level is not a JSON object")
	}
	return f.parse(name, nil)
}

// ParseFast is ParseStream over the whole document read into memory, which the Plan keeps as Raw.
func ParseFast(name string, r io.Reader, max int64, keep Keep) (*Plan, error) {
	b, err := readText(name, r, max)
	if err != nil {
		return nil, err
	}
	return ParseBytesFast(name, b, keep)
}

// ParseBytesFast is ParseFast over JSON text without a byte order mark. It checks UTF-8 itself
// (inside strings; outside them JSON is ASCII), so the text need not go through Transcode.
func ParseBytesFast(name string, b []byte, keep Keep) (*Plan, error) {
	if err := checkShape(name, b); err != nil {
		return nil, err
	}
	f := &fastDoc{l: lexer{b: b}, keep: keep}
	return f.parse(name, b)
}

// parse reads the document and the end of the input after it; raw is the whole text, if held.
func (f *fastDoc) parse(name string, raw []byte) (*Plan, error) {
	if err := f.document(); err != nil {
		return nil, f.inputError(name, err)
	}
	c := f.l.peek() // a stream is read to its end: the size limit and trailing bytes count
	if f.l.rerr != nil {
		return nil, f.inputError(name, f.l.rerr)
	}
	if c != 0 {
		line, col := f.l.lineCol(f.l.offset())
		return nil, inputErr(name, "not valid JSON at line %d, column %d: invalid character after top-level value", line, col)
	}
	return f.plan(name, raw)
}

// inputError turns what stopped the single pass into an InputError. A read error or the size
// limit explains whatever the lexer made of the text that did not arrive, so it comes first.
func (f *fastDoc) inputError(name string, err error) error {
	var tl errTooLarge
	switch {
	case errors.As(f.l.rerr, &tl):
		return inputErr(name, "%v", tl)
	case f.l.rerr != nil:
		return inputErr(name, "read: %v", f.l.rerr)
	}
	var le *lexError
	if !errors.As(err, &le) {
		return inputErr(name, "%v", err)
	}
	if le.utf8 {
		return inputErr(name, "not valid UTF-8 at byte %d (UTF-16 needs a byte order mark)", le.off)
	}
	line, col := f.l.lineCol(le.off)
	if le.syntax {
		return inputErr(name, "not valid JSON at line %d, column %d: %s (in %s)", line, col, le.msg, le.path)
	}
	return inputErr(name, "%s: %s (line %d, column %d)", le.path, le.msg, line, col)
}

// fastDoc collects what the single pass keeps.
type fastDoc struct {
	l    lexer
	keep Keep

	formatVersion    *string
	terraformVersion string
	hasValues        bool
	isPlan           bool
	state            []kept // values (states)
	prior            []kept // prior_state.values
	planned          []kept // planned_values
	changes          []*tfjson.ResourceChange
	config           *tfjson.Config
	variables        map[string]any
	errored          bool
	complete         *bool
	deferred         []*tfjson.DeferredResourceChange
	strs             map[string]string         // interned modes and types
	actions          map[string]tfjson.Actions // distinct change.actions lists, by their text
	scratch          []byte                    // streaming: the spans of the resource being read
	indexScratch     memberIndex               // where indexedSpanOf records member offsets
	indexBlock       memberIndex               // where ownIndex copies them
	block            []byte                    // streaming: where own copies the spans the Plan keeps
	section          bool                      // a section of a split parse (split.go)
	top              []string                  // a section's top-level keys
}

// kept is a resource of a state section (values, planned_values, prior_state.values).
type kept struct {
	address, mode, typ, name string
	index                    any
	deposed                  bool
	values                   []byte // the span of "values", kept as text
	module                   string
}

func (f *fastDoc) document() error {
	l := &f.l
	if err := l.expect("an object"); err != nil {
		return err
	}
	return l.object(f.member)
}

// member reads a top-level member of the document.
func (f *fastDoc) member(key []byte) error {
	l := &f.l
	if f.section {
		f.top = append(f.top, string(key))
	}
	switch string(key) {
	case "format_version":
		if err := l.expect("a string"); err != nil {
			return err
		}
		s, err := l.text()
		f.formatVersion = &s
		return err
	case "terraform_version":
		if err := l.expect("a string", "null"); err != nil {
			return err
		}
		if l.kind() == "null" {
			return l.value()
		}
		s, err := l.text()
		f.terraformVersion = s
		return err
	case "values":
		f.hasValues = true
		return f.stateValues(&f.state)
	case "planned_values":
		f.isPlan = true
		return f.stateValues(&f.planned)
	case "prior_state":
		f.isPlan = true
		return f.nullOr(func() error {
			return l.object(func(k []byte) error {
				if string(k) == "values" {
					return f.stateValues(&f.prior)
				}
				return f.other(k)
			})
		})
	case "resource_changes":
		f.isPlan = true
		return f.nullOr(func() error { return l.array(func(int) error { return f.change() }) })
	case "configuration":
		f.isPlan = true
		return f.configuration()
	case "variables":
		span, err := l.span()
		if err != nil {
			return err
		}
		return f.decodeVariables(span)
	case "errored", "complete":
		if err := l.expect("a boolean", "null"); err != nil {
			return err
		}
		isTrue := l.peek() == 't'
		if l.kind() == "a boolean" {
			if string(key) == "errored" {
				f.errored = isTrue
			} else {
				f.complete = &isTrue
			}
		}
		return l.value()
	case "deferred_changes":
		span, err := l.span()
		if err != nil {
			return err
		}
		// Rare and small: decoded whole.
		var d []*tfjson.DeferredResourceChange
		if err := json.Unmarshal(span, &d); err != nil {
			return f.l.fail("%s", describeDecodeError(err))
		}
		f.deferred = d
		return nil
	}
	return f.other(key)
}

// readKeys are the keys of terraform's fixed-shape objects (the document, state modules,
// resources, changes, the configuration's modules and module calls) that the parser reads.
var readKeys = []string{
	"format_version", "terraform_version", "values", "planned_values", "prior_state", "resource_changes",
	"configuration", "variables", "root_module", "resources", "child_modules", "address", "mode", "type",
	"name", "module_address", "action_reason", "provider_name", "previous_address", "index", "deposed",
	"deposed_key", "change", "actions", "before", "after", "after_unknown", "provider_config", "outputs",
	"module_calls", "source", "expressions", "module", "errored", "complete", "deferred_changes",
}

// other skips the value of a member of a fixed-shape object that the parser does not read. Its key
// must not be one the parser reads, in another case ("Address"): encoding/json, and the tools built
// on it such as terraform-json, match keys to struct fields whatever their case, so the document
// would mean one thing to them and another to karpgate. Like a duplicate key, that is an error.
func (f *fastDoc) other(key []byte) error {
	if foldable(key) {
		for _, k := range readKeys {
			if strings.EqualFold(string(key), k) {
				return f.l.fail("key %q is %q in another case (JSON keys are case-sensitive, but parsers that ignore case read it as %q)", key, k, k)
			}
		}
	}
	return f.l.value()
}

// foldable reports whether a key can differ from a lower-case ASCII key only in case: it has an
// upper-case letter, or a non-ASCII byte (Unicode folds the Kelvin sign to k, the long s to s).
func foldable(key []byte) bool {
	for _, c := range key {
		if c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func (f *fastDoc) nullOr(fn func() error) error {
	if f.l.kind() == "null" {
		return f.l.value()
	}
	return fn()
}

func (f *fastDoc) stateValues(into *[]kept) error {
	l := &f.l
	return f.nullOr(func() error {
		if err := l.expect("an object"); err != nil {
			return err
		}
		return l.object(func(key []byte) error {
			if string(key) == "root_module" {
				return f.module(into, "", 0)
			}
			return f.other(key)
		})
	})
}

func (f *fastDoc) module(into *[]kept, module string, depth int) error {
	l := &f.l
	return f.nullOr(func() error {
		if err := l.expect("an object"); err != nil {
			return err
		}
		// Everything is appended to into where it is read, so nothing is copied once per level
		// of nesting. A module's address may come after its resources: it is filled in at the
		// end. Its own resources go before its children's, as in the full decode (old plans can
		// hold the same address in two modules; the last one written wins in both): terraform
		// writes resources first, and the other order is rotated at the end.
		first := len(*into) // where this module's entries start
		own, nOwn := first, 0
		address := module
		err := l.object(func(key []byte) error {
			switch string(key) {
			case "resources":
				return f.nullOr(func() error {
					if err := l.expect("a list"); err != nil {
						return err
					}
					own = len(*into)
					return l.array(func(int) error {
						k, ok, err := f.stateResource()
						if ok {
							*into = append(*into, k)
							nOwn++
						}
						return err
					})
				})
			case "child_modules":
				return f.nullOr(func() error {
					if err := l.expect("a list"); err != nil {
						return err
					}
					return l.array(func(int) error {
						if depth >= maxModuleDepth {
							return l.value()
						}
						return f.module(into, "", depth+1)
					})
				})
			case "address":
				if err := l.expect("a string"); err != nil {
					return err
				}
				s, err := l.text()
				address = s
				return err
			}
			return f.other(key)
		})
		mine := (*into)[own : own+nOwn]
		for i := range mine {
			mine[i].module = address
		}
		if own > first { // child_modules came first
			mine = slices.Clone(mine)
			copy((*into)[first+nOwn:], (*into)[first:own])
			copy((*into)[first:], mine)
		}
		return err
	})
}

// header is what a resource object's members say, read in one pass: the fields that decide whether
// it is kept, and the byte spans of the values a kept resource needs. Nothing is allocated for a
// resource that is not kept, and once its mode and type say it is not (terraform writes them
// first), its spans are not even recorded.
type header struct {
	mode, typ      string // interned
	typed          bool   // mode and type have been read
	want           bool   // typed, and keep selects it
	address        []byte // raw (unescaped only when kept)
	addressEscaped bool
	deposed        bool
	hasChange      bool
	name, index    []byte // spans
	values         []byte
	moduleAddress  []byte
	actionReason   []byte
	actions        []byte // change members
	after          []byte
	afterUnknown   []byte

	afterIndex, afterUnknownIndex memberIndex
}

// resourceObject reads a resource object. With whole, it also returns the whole object's span
// (for a wanted resource), valid until the lexer reads on; the header's spans are valid until the
// next resource object.
func (f *fastDoc) resourceObject(change, whole bool) (header, []byte, error) {
	l := &f.l
	var h header
	if err := l.expect("an object"); err != nil {
		return h, nil, err
	}
	f.scratch = f.scratch[:0]
	l.ws()
	// The pin keeps the whole object for a resource the caller wants; it is dropped as soon as mode
	// and type say the resource is not wanted, so the window need not hold a skipped resource.
	start := l.pin()
	pinned := true
	if !whole {
		l.unpin()
		pinned = false
	}
	defer func() {
		if pinned {
			l.unpin()
		}
	}()
	release := func() {
		if pinned && h.typed && !h.want {
			l.unpin()
			pinned = false
		}
	}
	var haveMode, haveType bool
	err := l.object(func(key []byte) error {
		record := !h.typed || h.want
		switch string(key) {
		case "mode":
			if err := l.expect("a string"); err != nil {
				return err
			}
			raw, esc, err := l.str()
			h.mode, haveMode = f.intern(raw, esc), true
			h.typed = haveMode && haveType
			h.want = h.typed && f.wanted(h)
			release()
			return err
		case "type":
			if err := l.expect("a string"); err != nil {
				return err
			}
			raw, esc, err := l.str()
			h.typ, haveType = f.intern(raw, esc), true
			h.typed = haveMode && haveType
			h.want = h.typed && f.wanted(h)
			release()
			return err
		case "address":
			if err := l.expect("a string", "null"); err != nil {
				return err
			}
			if l.kind() == "a string" {
				raw, esc, err := l.str()
				h.address, h.addressEscaped = f.keepSpan(raw), esc
				return err
			}
			return l.value()
		case "name":
			return f.spanOf(&h.name, record, "a string", "null")
		case "module_address":
			return f.spanOf(&h.moduleAddress, record, "a string", "null")
		case "action_reason":
			return f.spanOf(&h.actionReason, record, "a string", "null")
		case "provider_name", "previous_address":
			if err := l.expect("a string", "null"); err != nil {
				return err
			}
			return l.value()
		case "index":
			if l.kind() == "null" {
				return l.value()
			}
			return f.spanOf(&h.index, record, "a number", "a string")
		case "deposed", "deposed_key":
			if l.kind() == "a string" {
				raw, _, err := l.str()
				h.deposed = len(raw) > 0
				return err
			}
			return l.value()
		case "values":
			if change {
				return l.value()
			}
			return f.ownedSpanOf(&h.values, record, "an object", "null")
		case "change":
			if !change {
				return l.value()
			}
			h.hasChange = true
			return f.checkChange(&h, record)
		}
		return f.other(key)
	})
	if err != nil || !pinned {
		return h, nil, err
	}
	return h, l.from(start), nil
}

// intern returns a string for a short raw string (a mode or a type), allocating once per distinct
// value in the document.
func (f *fastDoc) intern(raw []byte, escaped bool) string {
	if escaped {
		s, err := unescape(raw)
		if err != nil {
			return string(raw)
		}
		return s
	}
	if s, ok := f.strs[string(raw)]; ok {
		return s
	}
	if f.strs == nil {
		f.strs = map[string]string{}
	}
	s := string(raw)
	f.strs[s] = s
	return s
}

// spanOf checks a member's kind and, if record, keeps its bytes until the next resource object
// (keepSpan).
func (f *fastDoc) spanOf(dst *[]byte, record bool, kinds ...string) error {
	return f.span(dst, record, f.keepSpan, kinds...)
}

// ownedSpanOf is spanOf for the values the Plan keeps as text: their bytes are copied once, into
// the blocks own carves from.
func (f *fastDoc) ownedSpanOf(dst *[]byte, record bool, kinds ...string) error {
	return f.span(dst, record, f.own, kinds...)
}

func (f *fastDoc) span(dst *[]byte, record bool, keep func([]byte) []byte, kinds ...string) error {
	l := &f.l
	if err := l.expect(kinds...); err != nil {
		return err
	}
	if !record {
		return l.value()
	}
	span, err := l.span()
	if err != nil {
		return err
	}
	*dst = keep(span)
	return nil
}

// keepSpan makes bytes of the window last until the next resource object: a whole document
// never moves, so its bytes are returned as they are; a stream's are copied to scratch space that
// every resource reuses.
func (f *fastDoc) keepSpan(b []byte) []byte {
	if f.l.src == nil {
		return b
	}
	n := len(f.scratch)
	f.scratch = append(f.scratch, b...)
	return f.scratch[n:len(f.scratch):len(f.scratch)]
}

// indexedSpanOf is ownedSpanOf for an object (or null) whose members Attrs reads: the walk that
// checks the object also records where its members are, so Attrs need not find them again on its
// first read, alone on one core after the parse.
func (f *fastDoc) indexedSpanOf(dst *[]byte, index *memberIndex, record bool, kinds ...string) error {
	l := &f.l
	if err := l.expect(kinds...); err != nil {
		return err
	}
	if !record || l.kind() != "an object" {
		return f.span(dst, record, f.own, kinds...)
	}
	l.ws()
	start := l.pin()
	defer l.unpin()
	scratch := f.indexScratch[:0]
	err := l.object(func([]byte) error {
		key, keyEnd := uint32(l.keyStart-start), uint32(l.keyEnd-start) // before the value's keys
		if l.keyEscaped {
			keyEnd |= keyEscaped
		}
		l.ws()
		value := l.offset()
		if err := l.value(); err != nil {
			return err
		}
		scratch = append(scratch, key, keyEnd, uint32(value-start), uint32(l.offset()-start))
		return nil
	})
	f.indexScratch = scratch
	if err != nil {
		return err
	}
	span := l.from(start)
	*dst = f.own(span)
	if len(span) <= maxIndexed {
		*index = f.ownIndex(scratch)
	}
	return nil
}

// ownIndex copies a member index into blocks shared by every index the Plan keeps, as own does
// for text.
func (f *fastDoc) ownIndex(index memberIndex) memberIndex {
	if len(index) == 0 {
		return memberIndex{} // indexed, with no members
	}
	if len(f.indexBlock)+len(index) > cap(f.indexBlock) {
		f.indexBlock = make(memberIndex, 0, max(ownBlock/4, len(index)))
	}
	n := len(f.indexBlock)
	f.indexBlock = append(f.indexBlock, index...)
	return f.indexBlock[n:len(f.indexBlock):len(f.indexBlock)]
}

// own makes a kept span last as long as the Plan. A whole document's span is returned as it is;
// a stream's is copied into blocks shared by every kept span (one allocation a megabyte, and no
// pointers for the collector to trace).
func (f *fastDoc) own(b []byte) []byte {
	if f.l.src == nil || b == nil {
		return b
	}
	if len(b) >= donateMin {
		// A huge span keeps the window's array rather than a copy of it (lexer.donate).
		f.l.donate()
		return b[:len(b):len(b)]
	}
	if len(b) > ownBlock/4 {
		return bytes.Clone(b)
	}
	if len(f.block)+len(b) > cap(f.block) {
		f.block = make([]byte, 0, ownBlock)
	}
	n := len(f.block)
	f.block = append(f.block, b...)
	return f.block[n:len(f.block):len(f.block)]
}

// ownBlock is the size of the blocks own copies spans into.
const ownBlock = 1 << 20

// donateMin is the span from which own keeps the window's array instead of copying: the array
// (the window's capacity) is kept as long as the Plan, so only spans that fill most of it qualify.
const donateMin = bigSpan

// attrs is what a change member's span stands for, as the full decode has it: nil for null or
// absent, an object's attributes kept as text (decoded when read), else the decoded scalar (which
// indexChanges rejects, or accepts for after_unknown = true, as it does for the full decode).
func (f *fastDoc) attrs(span []byte, index memberIndex) any {
	switch {
	case span == nil || span[0] == 'n':
		return nil
	case span[0] == '{':
		return attrsText(span, index) // owned by indexedSpanOf
	}
	v, _ := decodeAny(span)
	return v
}

// checkChange validates the shape of a change object's members that karpgate reads and, if
// record, keeps their spans.
func (f *fastDoc) checkChange(h *header, record bool) error {
	l := &f.l
	if err := l.expect("an object"); err != nil {
		return err
	}
	return l.object(func(key []byte) error {
		switch string(key) {
		case "actions":
			if err := l.expect("a list"); err != nil {
				return err
			}
			l.ws()
			start := l.pin()
			defer l.unpin()
			err := l.array(func(int) error {
				if err := l.expect("a string"); err != nil {
					return err
				}
				return l.value()
			})
			if err == nil && record {
				h.actions = f.keepSpan(l.from(start))
			}
			return err
		case "before":
			return f.spanOf(nil, false, "an object", "null") // checked, never read
		case "after":
			return f.indexedSpanOf(&h.after, &h.afterIndex, record, "an object", "null")
		case "after_unknown":
			if k := l.kind(); k == "a boolean" || k == "null" {
				return f.spanOf(&h.afterUnknown, record, k)
			}
			return f.indexedSpanOf(&h.afterUnknown, &h.afterUnknownIndex, record, "an object")
		}
		return f.other(key)
	})
}

// keepsPrior names the resource types whose prior state a lazy parse keeps although they have a
// change: a Helm release's prior chart version is the version an upgrade starts from.
func keepsPrior(typ string) bool { return typ == "helm_release" }

func (f *fastDoc) wanted(h header) bool { return f.keep == nil || f.keep(h.mode, h.typ) }

// spanValue decodes a recorded span (absent: nil); address and field name it in an error.
func (f *fastDoc) spanValue(span []byte, address, field string) (any, error) {
	if span == nil {
		return nil, nil
	}
	v, err := decodeAny(span)
	if err != nil {
		return nil, f.l.fail("%s%s: %v", address, field, err)
	}
	return v, nil
}

func (f *fastDoc) spanString(span []byte, address, field string) (string, error) {
	if len(span) > 1 && span[0] == '"' && !bytes.ContainsRune(span, '\\') {
		return string(span[1 : len(span)-1]), nil // checked text: nothing to decode
	}
	v, err := f.spanValue(span, address, field)
	s, _ := v.(string)
	return s, err
}

// addr returns the resource's address. It is not interned: a map of every kept address cost more
// (12% of a 100k plan's parse) than the short-lived copies it saved, and the sections of a split
// parse would each need their own.
func (f *fastDoc) addr(h header) string {
	return rawString(h.address, h.addressEscaped)
}

// rawString returns the string a JSON string's raw content (between the quotes) stands for.
func rawString(raw []byte, escaped bool) string {
	if escaped {
		if u, err := unescape(raw); err == nil {
			return u
		}
	}
	return string(raw)
}

// changeActions decodes a change's actions. A plan has a handful of distinct lists (["no-op"],
// ["update"], ["delete","create"] ...): each is decoded once and shared, read only.
func (f *fastDoc) changeActions(span []byte, address string) (tfjson.Actions, error) {
	if list, ok := f.actions[string(span)]; ok {
		return list, nil
	}
	v, err := f.spanValue(span, address, ".change.actions")
	if err != nil {
		return nil, err
	}
	var list tfjson.Actions
	items, _ := v.([]any) // null or absent: no actions
	for _, x := range items {
		s, _ := x.(string)
		list = append(list, tfjson.Action(s))
	}
	if f.actions == nil {
		f.actions = map[string]tfjson.Actions{}
	}
	f.actions[string(span)] = list
	return list, nil
}

// stateResource reads a resource of a state section; ok says it is kept.
func (f *fastDoc) stateResource() (k kept, ok bool, err error) {
	h, _, err := f.resourceObject(false, false)
	if err != nil || !f.wanted(h) || len(h.address) == 0 {
		return k, false, err
	}
	a := f.addr(h)
	k = kept{address: a, mode: h.mode, typ: h.typ, deposed: h.deposed, values: h.values}
	if k.name, err = f.spanString(h.name, a, ".name"); err != nil {
		return k, false, err
	}
	if k.index, err = f.spanValue(h.index, a, ".index"); err != nil {
		return k, false, err
	}
	return k, true, nil
}

func (f *fastDoc) change() error {
	n := len(f.l.path)
	h, _, err := f.resourceObject(true, false)
	if err != nil {
		return err
	}
	if len(h.address) == 0 {
		return f.l.fail("resource_changes%s has no address", f.l.segString(n-1))
	}
	if !h.hasChange {
		return f.l.fail("resource_changes%s (%s) has no change", f.l.segString(n-1), f.addr(h))
	}
	if !f.wanted(h) {
		return nil
	}
	a := f.addr(h)
	rc := &tfjson.ResourceChange{Address: a, Mode: tfjson.ResourceMode(h.mode), Type: h.typ, Change: &tfjson.Change{}}
	if h.deposed {
		rc.DeposedKey = "deposed"
	}
	if rc.Name, err = f.spanString(h.name, a, ".name"); err != nil {
		return err
	}
	if rc.ModuleAddress, err = f.spanString(h.moduleAddress, a, ".module_address"); err != nil {
		return err
	}
	reason, err := f.spanString(h.actionReason, a, ".action_reason")
	if err != nil {
		return err
	}
	rc.ActionReason = tfjson.ActionReason(reason)
	if rc.Index, err = f.spanValue(h.index, a, ".index"); err != nil {
		return err
	}
	if rc.Change.Actions, err = f.changeActions(h.actions, a); err != nil {
		return err
	}
	rc.Change.After = f.attrs(h.after, h.afterIndex)
	rc.Change.AfterUnknown = f.attrs(h.afterUnknown, h.afterUnknownIndex)
	f.changes = append(f.changes, rc)
	return nil
}

// configuration keeps provider_config whole and, of the module tree, the kept resources, every
// module call (source, expressions) and the outputs.
func (f *fastDoc) configuration() error {
	l := &f.l
	return f.nullOr(func() error {
		if err := l.expect("an object"); err != nil {
			return err
		}
		cfg := &tfjson.Config{}
		err := l.object(func(key []byte) error {
			switch string(key) {
			case "provider_config":
				span, err := l.span()
				if err != nil {
					return err
				}
				if err := json.Unmarshal(span, &cfg.ProviderConfigs); err != nil {
					return l.fail("%s", describeDecodeError(err))
				}
				return nil
			case "root_module":
				m, err := f.configModule(0)
				cfg.RootModule = m
				return err
			}
			return f.other(key)
		})
		f.config = cfg
		return err
	})
}

func (f *fastDoc) configModule(depth int) (*tfjson.ConfigModule, error) {
	l := &f.l
	if l.kind() == "null" {
		return nil, l.value()
	}
	if err := l.expect("an object"); err != nil {
		return nil, err
	}
	m := &tfjson.ConfigModule{}
	err := l.object(func(key []byte) error {
		switch string(key) {
		case "resources":
			return f.nullOr(func() error {
				if err := l.expect("a list"); err != nil {
					return err
				}
				return l.array(func(int) error {
					h, span, err := f.resourceObject(false, true)
					if err != nil || !f.wanted(h) {
						return err
					}
					var cr tfjson.ConfigResource
					if err := json.Unmarshal(span, &cr); err != nil {
						return l.fail("%s", describeDecodeError(err))
					}
					m.Resources = append(m.Resources, &cr)
					return nil
				})
			})
		case "outputs":
			span, err := l.span()
			if err != nil {
				return err
			}
			if err := json.Unmarshal(span, &m.Outputs); err != nil {
				return l.fail("%s", describeDecodeError(err))
			}
			return nil
		case "module_calls":
			return f.nullOr(func() error {
				if err := l.expect("an object"); err != nil {
					return err
				}
				m.ModuleCalls = map[string]*tfjson.ModuleCall{}
				return l.object(func(name []byte) error {
					call, err := f.moduleCall(depth)
					if call != nil {
						m.ModuleCalls[string(name)] = call
					}
					return err
				})
			})
		}
		return f.other(key)
	})
	return m, err
}

func (f *fastDoc) moduleCall(depth int) (*tfjson.ModuleCall, error) {
	l := &f.l
	if err := l.expect("an object"); err != nil {
		return nil, err
	}
	call := &tfjson.ModuleCall{}
	err := l.object(func(key []byte) error {
		switch string(key) {
		case "source":
			if err := l.expect("a string"); err != nil {
				return err
			}
			s, err := l.text()
			call.Source = s
			return err
		case "expressions":
			span, err := l.span()
			if err != nil {
				return err
			}
			if err := json.Unmarshal(span, &call.Expressions); err != nil {
				return l.fail("%s", describeDecodeError(err))
			}
			return nil
		case "module":
			if depth >= maxModuleDepth {
				return l.value()
			}
			m, err := f.configModule(depth + 1)
			call.Module = m
			return err
		}
		return f.other(key)
	})
	return call, err
}

func (f *fastDoc) decodeVariables(span []byte) error {
	var vars map[string]*struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal(span, &vars); err != nil {
		return f.l.fail("%s", describeDecodeError(err))
	}
	if len(vars) > 0 {
		f.variables = map[string]any{}
		for k, v := range vars {
			if v != nil {
				f.variables[k] = v.Value
			}
		}
	}
	return nil
}

// plan assembles the Plan exactly as index does for the full decode.
func (f *fastDoc) plan(name string, b []byte) (*Plan, error) {
	if f.formatVersion == nil {
		return nil, inputErr(name, "no format_version: not the output of terraform show -json")
	}
	if err := checkFormatVersion(*f.formatVersion); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	if f.errored {
		return nil, erroredPlan(name)
	}
	p := &Plan{
		Name:             name,
		FormatVersion:    *f.formatVersion,
		TerraformVersion: f.terraformVersion,
		Resources:        map[string]*Resource{},
		Raw:              b,
		Variables:        f.variables,
	}
	switch {
	case f.isPlan:
		p.Kind = KindPlan
	case f.hasValues || f.terraformVersion != "":
		p.Kind = KindState
	default:
		return nil, inputErr(name, "neither a plan (planned_values, resource_changes) nor a state (values)")
	}
	doc := &document{FormatVersion: f.formatVersion, TerraformVersion: f.terraformVersion, ResourceChanges: f.changes, Configuration: f.config}
	if err := p.indexKept(doc, f.state, f.prior, f.planned, f.keep != nil); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	if err := p.status(f.complete, f.deferred); err != nil {
		return nil, inputErr(name, "%v", err)
	}
	return p, nil
}

// indexKept is index for resources already collected with their module paths. With a filter, the
// planned and prior values of a resource whose change has an "after" are not kept: Values and
// every reader of the IAM model use "after" first, and prior state only for resources without a
// change.
func (p *Plan) indexKept(doc *document, state, prior, planned []kept, lazy bool) error {
	get := func(k kept) *Resource {
		r := p.Resources[k.address]
		if r == nil {
			r = &Resource{Address: k.address, Module: k.module, Mode: k.mode, Type: k.typ, Name: k.name, Index: normIndex(k.index)}
			p.Resources[k.address] = r
		}
		return r
	}
	type pending struct {
		r      *Resource
		values []byte
		prior  bool
	}
	var todo []pending
	for _, set := range [][]kept{state, prior} {
		for _, k := range set {
			if !k.deposed {
				todo = append(todo, pending{get(k), k.values, true})
			}
		}
	}
	for _, k := range planned {
		todo = append(todo, pending{get(k), k.values, false})
	}
	if err := p.indexChanges(doc.ResourceChanges); err != nil {
		return err
	}
	for _, t := range todo {
		if lazy && t.r.After != nil && !(t.prior && keepsPrior(t.r.Type)) {
			continue
		}
		var m *Attrs
		if t.values != nil && t.values[0] == '{' {
			m = attrsText(t.values, nil)
		}
		if t.prior {
			t.r.Prior = m
		} else {
			t.r.Planned = m
		}
	}
	p.finishIndex(doc)
	return nil
}

// checkShape rejects what is not a JSON object before any work, with the messages Parse gives.
func checkShape(name string, b []byte) error {
	l := lexer{b: b}
	switch l.peek() {
	case 0:
		return inputErr(name, "empty input: expected the output of terraform show -json")
	case '{':
		return nil
	}
	return inputErr(name, "not a terraform show -json document: the top level is not a JSON object")
}
