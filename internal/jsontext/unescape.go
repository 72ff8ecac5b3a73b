package jsontext

import (
	"bytes"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ErrEscape is a malformed escape in a string's content.
var ErrEscape = errors.New("invalid escape in string")

// Unescape returns the string that a JSON string's raw content (between its quotes) stands for,
// exactly as encoding/json decodes it (AppendUnescaped).
func Unescape(raw []byte) (string, error) {
	b, err := AppendUnescaped(make([]byte, 0, len(raw)), raw)
	if err != nil || len(b) == 0 {
		return "", err
	}
	return unsafe.String(&b[0], len(b)), nil // b is not referenced elsewhere
}

// AppendUnescaped appends what a JSON string's raw content (between its quotes) stands for to dst,
// exactly as encoding/json decodes it: escapes are decoded, a \u escape of an unpaired surrogate
// and each byte that is not part of valid UTF-8 become U+FFFD. A malformed escape is ErrEscape,
// never a panic. The content is not otherwise checked (a Lexer has checked it).
func AppendUnescaped(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			j = len(raw) - i
		}
		dst = appendUTF8(dst, raw[i:i+j])
		if i += j; i >= len(raw) {
			break
		}
		if i+1 >= len(raw) {
			return dst, ErrEscape
		}
		switch c := raw[i+1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := u4(raw[i:])
			if r < 0 {
				return dst, ErrEscape
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A pair decodes to one rune; anything else is U+FFFD and the next escape stays.
				if r2 := u4(raw[i:]); r2 >= 0 {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						dst = utf8.AppendRune(dst, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, ErrEscape
		}
		i += 2
	}
	return dst, nil
}

// appendUTF8 appends s with each byte that is not part of valid UTF-8 replaced by U+FFFD.
func appendUTF8(dst, s []byte) []byte {
	if utf8.Valid(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// u4 decodes a \uXXXX escape at the start of s, or returns -1.
func u4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
