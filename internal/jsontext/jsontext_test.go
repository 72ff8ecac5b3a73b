package jsontext

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"
)

func TestUnescapeAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range []string{
		``, `plain`, `\"`, `\\`, `\/`, `\b\f\n\r\t`, `a\u0041b`, `\u00e9\u4e2d`, `\ud83d\ude00`,
		`\ud83d`, `\ud83dx`, `\ude00`, `\ud83d\u0041`, `\ud83d\ud83d\ude00`, `\u0000`, `é\n中`,
		`{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":\"ec2:CreateTags\"}]}`,
	} {
		checkUnescape(t, []byte(s))
	}
	for _, bad := range []string{`\`, `\x`, `\u12`, `\u12g4`, `a\`} {
		if _, err := Unescape([]byte(bad)); err == nil {
			t.Errorf("Unescape(%q) accepted a malformed escape", bad)
		}
	}
}

// checkUnescape compares Unescape with encoding/json on the content of a JSON string that
// encoding/json accepts and the lexer would (UTF-8).
func checkUnescape(t *testing.T, raw []byte) {
	t.Helper()
	var want string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &want); err != nil || !utf8.Valid(raw) {
		if _, err := Unescape(raw); err != nil {
			return // rejected by both; never a panic
		}
		return
	}
	got, err := Unescape(raw)
	if err != nil || got != want {
		t.Errorf("Unescape(%q) = %q, %v; encoding/json gives %q", raw, got, err, want)
	}
}

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`a\u0041`, `\ud83d\ude00`, `\ud83d`, `\n\t\"`, `x\\y`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkUnescape(t, raw) })
}

// TestStringEndAgreesWithTheByteLoop compares the quote-to-quote jump with a byte-at-a-time scan
// on every string of quotes, backslashes and letters up to length 8.
func TestStringEndAgreesWithTheByteLoop(t *testing.T) {
	slow := func(b []byte, i int) int {
		for ; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i
			}
		}
		return -1
	}
	alphabet := []byte{'"', '\\', 'a'}
	var walk func(b []byte)
	walk = func(b []byte) {
		for start := 0; start <= len(b); start++ {
			if got, want := stringEnd(b, start), slow(b, start); got != want {
				t.Fatalf("stringEnd(%q, %d) = %d, want %d", b, start, got, want)
			}
		}
		if len(b) == 8 {
			return
		}
		for _, c := range alphabet {
			walk(append(b, c))
		}
	}
	walk(nil)
}

// TestPlainRunFindsTheFirstSpecialByte puts every byte value at every position of a run of plain
// bytes (and two special bytes at once) and compares the word-at-a-time scan with the byte loop.
func TestPlainRunFindsTheFirstSpecialByte(t *testing.T) {
	slow := func(b []byte, i int) int {
		for i < len(b) && !strSpecial[b[i]] {
			i++
		}
		return i
	}
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := bytes.Repeat([]byte{'a'}, n)
				b[pos] = byte(c)
				for start := 0; start <= min(pos, 3); start++ {
					if got, want := plainRun(b, start), slow(b, start); got != want {
						t.Fatalf("plainRun(%q, %d) = %d, want %d", b, start, got, want)
					}
				}
				if pos+1 < n {
					b[pos+1] = '"'
					if got, want := plainRun(b, 0), slow(b, 0); got != want {
						t.Fatalf("plainRun(%q, 0) = %d, want %d", b, got, want)
					}
				}
			}
		}
	}
}

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		name, in, path, key string
	}{
		{"unique keys", `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, "", ""},
		{"a top-level duplicate", `{"format_version":"1.2","format_version":"9.0"}`, "$", "format_version"},
		{"a nested duplicate names its path", `{"resource_changes":[{},{"change":{"after":{"policy":"a","policy":"b"}}}]}`, "$.resource_changes[1].change.after", "policy"},
		{"escaped spellings are the same key", `{"a":1,"\u0061":2}`, "$", "a"},
		{"keys that need quoting in the path", `{"x.y":{"k":1,"k":2}}`, `$["x.y"]`, "k"},
		{"string values are not keys", `{"a":"a","b":["a","a"],"c":"b"}`, "", ""},
		{"a duplicate after many keys", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":0}`, "$", "k3"},
		{"same key in sibling objects", `[{"a":1},{"a":1},{"b":{"a":1}}]`, "", ""},
		{"escaped quotes inside keys", `{"a\"b":1,"a\"c":2,"a\"b":3}`, "$", `a"b`},
		{"bytes that are not UTF-8 are U+FFFD, as encoding/json reads them", "{\"a\xff\":1,\"a\xfe\":2}", "$", "a\uFFFD"},
		{"a number no float64 holds does not hide a later duplicate", `{"n":1e999,"n":2}`, "$", "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, key, ok := DuplicateKey([]byte(tt.in))
			if ok != (tt.key != "") || path != tt.path || key != tt.key {
				t.Errorf("DuplicateKey = %q, %q, %v; want %q, %q", path, key, ok, tt.path, tt.key)
			}
		})
	}
}

func BenchmarkDuplicateKey(b *testing.B) {
	text, err := os.ReadFile("../../testdata/plans/nested-for-each/plan.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, _, dup := DuplicateKey(text); dup {
			b.Fatal("duplicate")
		}
	}
}
