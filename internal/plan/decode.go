package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// DefaultMaxSize is the largest plan karpgate reads unless told otherwise: 1 GiB.
const DefaultMaxSize int64 = 1 << 30

// ErrInput marks every problem with the input itself (unreadable, not JSON, not a plan or state,
// unsupported format). Callers map it to exit code 3.
var ErrInput = errors.New("invalid input")

// InputError describes a problem with one input file.
type InputError struct {
	File    string // the file name as given ("-" for stdin)
	Problem string // one line, no file name
}

func (e *InputError) Error() string { return e.File + ": " + e.Problem }

// Is makes errors.Is(err, ErrInput) true for every InputError.
func (e *InputError) Is(target error) bool { return target == ErrInput }

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

// ReadAll reads at most max bytes from r (max <= 0 means DefaultMaxSize) and returns them as UTF-8:
// a UTF-8 BOM is dropped, UTF-16 with a BOM is transcoded, and anything that is not valid UTF-8
// afterwards is an input error.
func ReadAll(name string, r io.Reader, max int64) ([]byte, error) {
	raw, err := readBounded(name, r, max)
	if err != nil {
		return nil, err
	}
	return Transcode(name, raw)
}

// readText reads like ReadAll but leaves checking UTF-8 to the caller, whose own pass over the
// text does it (the fast parser validates every string): a BOM is dropped and UTF-16 transcoded.
func readText(name string, r io.Reader, max int64) ([]byte, error) {
	raw, err := readBounded(name, r, max)
	if err != nil {
		return nil, err
	}
	b, _, err := stripBOM(name, raw)
	return b, err
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
		return nil, inputErr(name, "larger than the limit of %d bytes (--max-plan-size)", max)
	}
	return raw, nil
}

// stripBOM drops a UTF-8 byte order mark and transcodes UTF-16 with one; transcoded reports
// whether the result came from UTF-16 (and so is valid UTF-8 already).
func stripBOM(name string, raw []byte) (b []byte, transcoded bool, err error) {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		return raw[3:], false, nil
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}):
		b, err := fromUTF16(name, raw[2:], false)
		return b, true, err
	case bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		b, err := fromUTF16(name, raw[2:], true)
		return b, true, err
	}
	return raw, false, nil
}

// Transcode turns raw bytes into UTF-8 JSON text, handling BOMs as ReadAll describes.
func Transcode(name string, raw []byte) ([]byte, error) {
	b, transcoded, err := stripBOM(name, raw)
	if err != nil || transcoded {
		return b, err
	}
	if i := invalidUTF8(b); i >= 0 {
		return nil, inputErr(name, "not valid UTF-8 at byte %d (UTF-16 needs a byte order mark)", i)
	}
	return b, nil
}

func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

func fromUTF16(name string, b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, inputErr(name, "UTF-16 text has an odd number of bytes")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	out := make([]byte, 0, len(u))
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case utf16.IsSurrogate(rune(c)):
			if c >= 0xDC00 || i+1 >= len(u) || u[i+1] < 0xDC00 || u[i+1] > 0xDFFF {
				return nil, inputErr(name, "invalid UTF-16 surrogate at byte %d", 2+2*i)
			}
			out = utf8.AppendRune(out, utf16.DecodeRune(rune(c), rune(u[i+1])))
			i++
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out, nil
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
