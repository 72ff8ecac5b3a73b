package plan

import (
	"bytes"
	"errors"
	"io"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// Keep selects the resources a Plan holds, by mode ("managed" or "data") and type.
type Keep func(mode, typ string) bool

// Options says how Read reads a document.
type Options struct {
	// MaxSize limits the document's size in bytes; <= 0: DefaultMaxSize. More is an InputError
	// that wraps a *SizeError.
	MaxSize int64
	// Keep selects the resources the Plan holds (and the configuration of those resources and of
	// the module calls on their way); nil keeps every resource. Everything else is validated and
	// skipped without being decoded. With a Keep, the planned and prior values of a resource whose
	// change has an "after" are left out (but for the prior state of a helm_release, whose chart
	// version is the one an upgrade starts from): every reader of the IAM model reads "after" first.
	Keep Keep
	// Text reads the document into memory whole and keeps it as Plan.Raw (input.plan is built
	// from it). Without it the document slides through a window and is never held whole.
	Text bool
	// Split reads a large file (at least SplitMinSize, an *os.File or a *bytes.Reader, which can
	// be read at offsets) on several cores, in sections that start at the top-level members holding
	// most of a plan (split.go); the result, and every error, is the single pass's. Splitting costs
	// CPU (the searches for the sections' keys, more reading) that only idle cores make up for: a
	// caller that keeps every core busy with other documents reads each in one pass.
	Split bool
}

// Read reads and validates one `terraform show -json` document (a plan or a state) from r and
// indexes it. name is used in errors. The whole document is validated in one pass (a corrupted
// byte anywhere, a duplicate key, a key karpgate reads in another case, or a field it reads with
// the wrong type is an input error), and only what Options.Keep selects is kept; kept values stay
// as the checked text, decoded attribute by attribute when read (Attrs). The text may be UTF-8,
// with or without a byte order mark, or UTF-16 with one. Every problem with the input is an
// *InputError (errors.Is(err, ErrInput)).
func Read(name string, r io.Reader, opt Options) (*Plan, error) {
	max := opt.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	if opt.Text {
		return parseWhole(name, r, max, opt.Keep)
	}
	return parseStream(name, r, max, opt.Keep, opt.config())
}

func (opt Options) config() streamConfig {
	cfg := streamConfig{window: jsontext.WindowSize, splitMin: SplitMinSize}
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
	f := &fastDoc{l: jsontext.NewStream(r, max, window), keep: keep}
	l := &f.l
	if l.SkipBOM() {
		// UTF-16 is transcoded whole: rare enough not to stream.
		p, err := parseWhole(name, io.MultiReader(bytes.NewReader(l.Buffered()), r), max, keep)
		if p != nil {
			p.Raw = nil
		}
		return p, err
	}
	c := l.Peek()
	if l.ReadErr() != nil {
		return nil, f.inputError(name, l.ReadErr())
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

// parseWhole is the single pass over the whole document read into memory, which the Plan keeps as
// Raw.
func parseWhole(name string, r io.Reader, max int64, keep Keep) (*Plan, error) {
	b, err := readText(name, r, max)
	if err != nil {
		return nil, err
	}
	return parseText(name, b, keep)
}

// parseText is parseWhole over JSON text without a byte order mark. It checks UTF-8 itself
// (inside strings; outside them JSON is ASCII), so the text need not be checked before.
func parseText(name string, b []byte, keep Keep) (*Plan, error) {
	if err := checkShape(name, b); err != nil {
		return nil, err
	}
	f := &fastDoc{l: jsontext.NewText(b), keep: keep}
	return f.parse(name, b)
}

// parse reads the document and the end of the input after it; raw is the whole text, if held.
func (f *fastDoc) parse(name string, raw []byte) (*Plan, error) {
	if err := f.document(); err != nil {
		return nil, f.inputError(name, err)
	}
	c := f.l.Peek() // a stream is read to its end: the size limit and trailing bytes count
	if f.l.ReadErr() != nil {
		return nil, f.inputError(name, f.l.ReadErr())
	}
	if c != 0 {
		line, col := f.l.LineCol(f.l.Offset())
		return nil, inputErr(name, "not valid JSON at line %d, column %d: invalid character after top-level value", line, col)
	}
	return f.plan(name, raw)
}

// inputError turns what stopped the single pass into an InputError. A read error or the size
// limit explains whatever the lexer made of the text that did not arrive, so it comes first.
func (f *fastDoc) inputError(name string, err error) error {
	var tl *jsontext.TooLargeError
	rerr := f.l.ReadErr()
	switch {
	case errors.As(rerr, &tl):
		return sizeErr(name, tl.Max)
	case rerr != nil:
		return inputErr(name, "read: %v", rerr)
	}
	var le *jsontext.Error
	if !errors.As(err, &le) {
		return inputErr(name, "%v", err)
	}
	if le.UTF8 {
		return inputErr(name, "%v", jsontext.NotUTF8(le))
	}
	if le.Syntax {
		return inputErr(name, "not valid JSON at line %d, column %d: %s (in %s)", le.Line, le.Col, le.Msg, le.Path)
	}
	return inputErr(name, "%s: %s (line %d, column %d)", le.Path, le.Msg, le.Line, le.Col)
}

// checkShape rejects what is not a JSON object before any work, with the messages Parse gives.
func checkShape(name string, b []byte) error {
	l := jsontext.NewText(b)
	switch l.Peek() {
	case 0:
		return inputErr(name, "empty input: expected the output of terraform show -json")
	case '{':
		return nil
	}
	return inputErr(name, "not a terraform show -json document: the top level is not a JSON object")
}
