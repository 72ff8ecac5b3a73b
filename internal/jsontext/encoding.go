package jsontext

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// The byte order marks a document may start with.
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// EncodingError is text that is not in an encoding JSON text may have: invalid UTF-8, or UTF-16
// that does not decode.
type EncodingError struct {
	Offset int64 // the byte of the input where it goes wrong
	Msg    string
}

func (e *EncodingError) Error() string { return e.Msg }

// StripBOM drops a UTF-8 byte order mark and transcodes UTF-16 with one (little or big endian);
// transcoded reports whether the result came from UTF-16 (and so is valid UTF-8 already). Other
// text is returned as it is, unchecked: a Lexer checks UTF-8 inside strings as it reads them.
func StripBOM(raw []byte) (b []byte, transcoded bool, err error) {
	switch {
	case bytes.HasPrefix(raw, bomUTF8):
		return raw[3:], false, nil
	case bytes.HasPrefix(raw, bomUTF16LE):
		b, err := fromUTF16(raw[2:], false)
		return b, true, err
	case bytes.HasPrefix(raw, bomUTF16BE):
		b, err := fromUTF16(raw[2:], true)
		return b, true, err
	}
	return raw, false, nil
}

// Transcode turns raw bytes into UTF-8 JSON text as StripBOM does, and checks that the result is
// valid UTF-8 (text without a byte order mark must be).
func Transcode(raw []byte) ([]byte, error) {
	b, transcoded, err := StripBOM(raw)
	if err != nil || transcoded {
		return b, err
	}
	if i := invalidUTF8(b); i >= 0 {
		return nil, &EncodingError{Offset: int64(i), Msg: fmt.Sprintf("not valid UTF-8 at byte %d (UTF-16 needs a byte order mark)", i)}
	}
	return b, nil
}

// NotUTF8 is the EncodingError for a Lexer's Error with UTF8 set.
func NotUTF8(e *Error) *EncodingError {
	return &EncodingError{Offset: e.Offset, Msg: fmt.Sprintf("not valid UTF-8 at byte %d (UTF-16 needs a byte order mark)", e.Offset)}
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

func fromUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, &EncodingError{Offset: int64(len(b) + 1), Msg: "UTF-16 text has an odd number of bytes"}
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
				at := 2 + 2*i
				return nil, &EncodingError{Offset: int64(at), Msg: fmt.Sprintf("invalid UTF-16 surrogate at byte %d", at)}
			}
			out = utf8.AppendRune(out, utf16.DecodeRune(rune(c), rune(u[i+1])))
			i++
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out, nil
}
