package jsontext

import (
	"strings"
	"unicode/utf8"
)

// CaseVariant returns the key of known that key equals in another case ("Address" for
// "address"), if any. JSON keys are case-sensitive, but encoding/json, and the tools built on it,
// match keys to struct fields whatever their case, so a document holding such a key means one
// thing to them and another to a reader that is exact: callers treat it as invalid. The known
// keys are lower-case ASCII; a key without upper-case letters or non-ASCII bytes is never a
// variant, which is decided without comparing.
func CaseVariant(key []byte, known []string) (string, bool) {
	if !foldable(key) {
		return "", false
	}
	for _, k := range known {
		if strings.EqualFold(string(key), k) {
			return k, true
		}
	}
	return "", false
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
