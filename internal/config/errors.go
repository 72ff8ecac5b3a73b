package config

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a configuration file. Parse reports every problem it finds; when there
// is more than one they are joined with errors.Join in line order, and errors.As finds the first.
type Error struct {
	File string // the name given to Parse
	Line int    // 1-based; 0 when the problem has no line (file too large)
	Path string // the key path, e.g. "rules.KARP014.severity" or "exceptions[0]"; "" for the whole file
	Msg  string // the problem and, in parentheses, the expected shape
}

// Error renders the problem as "file:line: path: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// joinErrors sorts errs by line (stably, so problems on one line keep their discovery order) and
// returns nil, the only error, or all of them joined.
func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	slices.SortStableFunc(errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// keyPath appends a mapping key to a key path. Keys made of ordinary identifier characters are
// appended after a dot; anything else is quoted in brackets so the path stays unambiguous.
func keyPath(path, key string) string {
	if !plainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case strings.ContainsRune("_-:/*", r):
		default:
			return false
		}
	}
	return true
}

// indexPath appends a list index to a key path.
func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
