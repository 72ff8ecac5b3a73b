package jsontext

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// DuplicateKey returns the JSON path ("$", "$.a[0].b", `$["x.y"]`) of the first object in JSON
// text that holds a key twice, and that key. ok is false when every object's keys are unique, or
// when the text is not JSON. Keys are compared after unescaping ("a" and "\u0061" are the same
// key), and bytes that are not UTF-8 count as U+FFFD, as encoding/json reads them. encoding/json
// keeps the last of duplicates while other parsers keep the first, so a document with duplicates
// can mean one thing to karpgate and another to Terraform or AWS: callers treat it as invalid.
func DuplicateKey(text []byte) (path, key string, ok bool) {
	if !utf8.Valid(text) {
		text = []byte(strings.ToValidUTF8(string(text), "\uFFFD"))
	}
	l := NewText(text)
	l.anyNumber = true
	var e *Error
	if err := l.Value(); errors.As(err, &e) && e.Key != "" {
		return e.Path, e.Key, true
	}
	return "", "", false
}
