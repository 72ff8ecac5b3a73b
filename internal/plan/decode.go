package plan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// DefaultMaxSize is the largest plan karpgate reads unless told otherwise: 1 GiB.
const DefaultMaxSize int64 = 1 << 30

// ErrInput marks every problem with the input itself (unreadable, not JSON, not a plan or state,
// unsupported format), as opposed to a problem with the program's settings or policies.
var ErrInput = errors.New("invalid input")

// InputError describes a problem with one input file.
type InputError struct {
	File    string // the file name as given ("-" for stdin)
	Problem string // one line, no file name
	Err     error  // the typed cause, when there is one (*SizeError)
}

func (e *InputError) Error() string { return e.File + ": " + e.Problem }

// Is makes errors.Is(err, ErrInput) true for every InputError.
func (e *InputError) Is(target error) bool { return target == ErrInput }

// Unwrap returns the typed cause.
func (e *InputError) Unwrap() error { return e.Err }

// SizeError is a document larger than Options.MaxSize. A caller that lets people set the limit
// can say how.
type SizeError struct{ Max int64 }

func (e *SizeError) Error() string { return fmt.Sprintf("larger than the limit of %d bytes", e.Max) }

// sizeErr is the InputError of a document larger than max.
func sizeErr(name string, max int64) error {
	se := &SizeError{Max: max}
	return &InputError{File: name, Problem: se.Error(), Err: se}
}

// maxProblem bounds the length of InputError.Problem: values quoted from a hostile document
// (a 10 MB format_version) must not flood stderr.
const maxProblem = 512

func inputErr(file, format string, args ...any) error {
	// One line, whatever the input holds (addresses and keys come from the document).
	p := strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(fmt.Sprintf(format, args...))
	if len(p) > maxProblem {
		// Keep both ends: the start says where, the end says what is wrong.
		head, tail := strings.ToValidUTF8(p[:maxProblem/2], ""), strings.ToValidUTF8(p[len(p)-maxProblem/2:], "")
		p = fmt.Sprintf("%s ...[%d bytes left out]... %s", head, len(p)-len(head)-len(tail), tail)
	}
	return &InputError{File: file, Problem: p}
}

// readText reads at most max bytes and returns them as JSON text, leaving checking UTF-8 to the
// caller, whose own pass over the text does it (the lexer validates every string): a UTF-8 BOM is
// dropped and UTF-16 with a BOM transcoded.
func readText(name string, r io.Reader, max int64) ([]byte, error) {
	raw, err := readBounded(name, r, max)
	if err != nil {
		return nil, err
	}
	b, _, err := jsontext.StripBOM(raw)
	if err != nil {
		return nil, inputErr(name, "%v", err)
	}
	return b, nil
}

// readBounded reads at most max bytes (<= 0: DefaultMaxSize); more is an input error.
func readBounded(name string, r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxSize
	}
	raw, err := readLimited(r, max)
	if err != nil {
		return nil, inputErr(name, "read: %v", err)
	}
	if int64(len(raw)) > max {
		return nil, sizeErr(name, max)
	}
	return raw, nil
}

// readLimited reads up to max+1 bytes. A file is read into one buffer of its size instead of a
// buffer that doubles as it grows (which costs up to twice the plan's size in garbage).
func readLimited(r io.Reader, max int64) ([]byte, error) {
	if st, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= max {
			buf := make([]byte, fi.Size()+1) // +1 sees a file that grew since Stat
			n, err := io.ReadFull(r, buf)
			switch {
			case err == io.ErrUnexpectedEOF || err == io.EOF:
				return buf[:n], nil
			case err != nil:
				return nil, err
			}
			rest, err := io.ReadAll(io.LimitReader(r, max+1-int64(n)))
			return append(buf[:n], rest...), err
		}
	}
	return io.ReadAll(io.LimitReader(r, max+1))
}
