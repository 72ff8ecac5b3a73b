package plan

import (
	"encoding/json"
	"strconv"
	"strings"
)

// DuplicateKey returns the JSON path ("$", "$.a[0].b") of the first object in valid JSON text
// that holds a key twice, and that key. ok is false when every object's keys are unique. Keys are
// compared after unescaping ("a" and "\u0061" are the same key). encoding/json keeps the last of
// duplicates while other parsers keep the first, so a document with duplicates can mean one thing
// to karpgate and another to Terraform or AWS: callers treat it as invalid.
func DuplicateKey(text []byte) (path, key string, ok bool) {
	type frame struct {
		object    bool
		expectKey bool
		key       string   // object: the key whose value is being read
		index     int      // array: the element being read
		keys      []string // object: keys seen so far (a map once there are many)
		set       map[string]bool
	}
	var stack []frame
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '{', '[':
			if len(stack) < cap(stack) {
				stack = stack[:len(stack)+1]
				f := &stack[len(stack)-1]
				*f = frame{object: text[i] == '{', expectKey: text[i] == '{', keys: f.keys[:0]}
			} else {
				stack = append(stack, frame{object: text[i] == '{', expectKey: text[i] == '{'})
			}
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].object {
					stack[n-1].expectKey = true
				} else {
					stack[n-1].index++
				}
			}
		case '"':
			j := i + 1
			escaped := false
			for j < len(text) && text[j] != '"' {
				if text[j] == '\\' {
					escaped = true
					j++
				}
				j++
			}
			n := len(stack)
			if n == 0 || !stack[n-1].object || !stack[n-1].expectKey {
				i = j
				continue
			}
			f := &stack[n-1]
			k := string(text[i+1 : min(j, len(text))])
			if escaped {
				var s string
				if json.Unmarshal(text[i:min(j+1, len(text))], &s) == nil {
					k = s
				}
			}
			f.expectKey = false
			if f.set == nil && len(f.keys) >= 16 {
				f.set = make(map[string]bool, 2*len(f.keys))
				for _, x := range f.keys {
					f.set[x] = true
				}
			}
			dup := false
			if f.set != nil {
				dup = f.set[k]
				f.set[k] = true
			} else {
				for _, x := range f.keys {
					if x == k {
						dup = true
						break
					}
				}
				f.keys = append(f.keys, k)
			}
			if dup {
				var b strings.Builder
				b.WriteString("$")
				for _, g := range stack[:n-1] {
					if g.object {
						writeKey(&b, g.key)
					} else {
						b.WriteString("[" + strconv.Itoa(g.index) + "]")
					}
				}
				return b.String(), k, true
			}
			f.key = k
			i = j
		}
	}
	return "", "", false
}

// writeKey appends .key, or ["key"] when key is not a plain identifier.
func writeKey(b *strings.Builder, key string) {
	plain := key != ""
	for _, c := range key {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain {
		b.WriteString("." + key)
		return
	}
	b.WriteString("[" + strconv.Quote(key) + "]")
}
