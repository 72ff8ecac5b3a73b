package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

func TestIndexMembersLocatesEveryMember(t *testing.T) {
	tests := []struct {
		name, text string
		keys       []string // nil: no index
		values     []string
	}{
		{"an empty object", ` { } `, []string{}, []string{}},
		{"compact members", `{"a":1,"b":"x\"y","c":{"d":[1,2]},"e\u0041":true}`, []string{`"a"`, `"b"`, `"c"`, `"e\u0041"`}, []string{`1`, `"x\"y"`, `{"d":[1,2]}`, `true`}},
		{"space around every part", "{ \"a\" : 1 ,\n\"b\" :[ 2 ] }\n", []string{`"a"`, `"b"`}, []string{`1`, `[ 2 ]`}},
		{"not an object", `[1]`, nil, nil},
		{"a missing comma", `{"a":1 "b":2}`, nil, nil},
		{"text after the object", `{"a":1} {}`, nil, nil},
		{"truncated", `{"a":{"b":1}`, nil, nil},
		{"a missing value", `{"a":}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := []byte(tt.text)
			m := IndexMembers(text)
			if tt.keys == nil {
				if m != nil {
					t.Fatalf("IndexMembers = %v, want nil", m)
				}
				return
			}
			if m == nil || m.Len() != len(tt.keys) {
				t.Fatalf("IndexMembers = %v, want %d members", m, len(tt.keys))
			}
			for i := range tt.keys {
				if k, v := string(m.Key(text, i)), string(m.Value(text, i)); k != tt.keys[i] || v != tt.values[i] {
					t.Errorf("member %d = %s: %s, want %s: %s", i, k, v, tt.keys[i], tt.values[i])
				}
			}
		})
	}
}

func TestMembersFindComparesUnescapedKeys(t *testing.T) {
	text := []byte(`{"a":1,"n\u0061me":"x","k\"q":2}`)
	m := IndexMembers(text)
	for key, want := range map[string]int{"a": 0, "name": 1, `k"q`: 2, "nope": -1, `n\u0061me`: -1} {
		if got := m.Find(text, key); got != want {
			t.Errorf("Find(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	for _, text := range []string{
		`{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"\u00e9\ud83d\ude00\n"},"":{}}`, `[]`, `"x"`, `0`, `{"a":1,"a":2}`,
	} {
		var want any
		if err := json.Unmarshal([]byte(text), &want); err != nil {
			t.Fatal(err)
		}
		got, err := Decode([]byte(text))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%s) = %#v, %v; encoding/json gives %#v", text, got, err, want)
		}
	}
	var ne *NumberError
	if _, err := Decode([]byte(`[1e999]`)); !errors.As(err, &ne) || ne.Err != nil || !strings.Contains(err.Error(), "1e999") {
		t.Errorf("Decode(1e999) error = %v, want a NumberError naming it", err)
	}
}

func TestTypeNameMatchesTheLexersKind(t *testing.T) {
	for _, text := range []string{`{}`, `[]`, `"s"`, `1`, `true`, `null`} {
		v, err := Decode([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		l := NewText([]byte(text))
		if TypeName(v) != l.Kind() {
			t.Errorf("%s: TypeName %q, Kind %q", text, TypeName(v), l.Kind())
		}
	}
}

func TestLexerErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name, text string
		want       Error
	}{
		{"a syntax error", "{\n  \"a\": [1,\n  x]}", Error{Offset: 15, Line: 3, Col: 3, Path: "$.a[1]", Msg: `invalid character 'x' looking for beginning of value`, Syntax: true}},
		{"a duplicate key", `{"a":{"b":1,"b":2}}`, Error{Offset: 15, Line: 1, Col: 16, Path: "$.a", Msg: `duplicate key "b" (JSON parsers disagree on which value counts)`, Key: "b"}},
		{"a key that is not a plain name is quoted", `{"x.y":[{"k":1e999}]}`, Error{Offset: 18, Line: 1, Col: 19, Path: `$["x.y"][0].k`, Msg: "expected float64, found JSON number 1e999"}},
		{"bytes that are not UTF-8", "{\"a\":\"\xff\"}", Error{Offset: 6, Line: 1, Col: 7, Path: "$.a", Msg: "not valid UTF-8", UTF8: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewText([]byte(tt.text))
			var e *Error
			if err := l.Value(); !errors.As(err, &e) {
				t.Fatalf("error %v, want an *Error", err)
			}
			if *e != tt.want {
				t.Errorf("error %+v\nwant %+v", *e, tt.want)
			}
		})
	}
}

func TestStreamSkipsAUTF8ByteOrderMarkAndSeesUTF16(t *testing.T) {
	l := NewStream(strings.NewReader("\xEF\xBB\xBF{\"a\":x}"), 100, 2)
	if l.SkipBOM() {
		t.Fatal("a UTF-8 mark taken for UTF-16")
	}
	var e *Error
	if err := l.Value(); !errors.As(err, &e) || e.Offset != 5 || e.Col != 6 {
		t.Errorf("error %+v: offsets count from after the mark", e)
	}
	u := NewStream(bytes.NewReader([]byte{0xFF, 0xFE, '{', 0}), 100, 1)
	if !u.SkipBOM() || !bytes.HasPrefix(u.Buffered(), []byte{0xFF, 0xFE}) {
		t.Errorf("a UTF-16 mark not seen: %q buffered", u.Buffered())
	}
}

func TestStreamStopsAtItsLimit(t *testing.T) {
	l := NewStream(strings.NewReader(`{"a":"`+strings.Repeat("x", 100)+`"}`), 50, 8)
	var tl *TooLargeError
	if err := l.Value(); err == nil || !errors.As(l.ReadErr(), &tl) || tl.Max != 50 {
		t.Errorf("error %v, read error %v, want a TooLargeError of 50", err, l.ReadErr())
	}
}

func TestSectionStopsWhereTheNextStarts(t *testing.T) {
	doc := `{"a":1,"b":{"x":2},"c":3}`
	at := int64(strings.Index(doc, `"b"`))
	var abort atomic.Bool
	var keys []string
	var l Lexer
	l = NewSection(strings.NewReader(doc[at:]), at, int64(len(doc))-at, 4, func(off int64) bool { return l.HasPrefix(`"c"`) }, &abort)
	err := l.ResumeObject(func(key []byte) error {
		keys = append(keys, string(key))
		return l.Value()
	})
	if err != ErrStop || !reflect.DeepEqual(keys, []string{"b"}) || l.Offset() != int64(strings.Index(doc, `"c"`)) {
		t.Errorf("err %v, keys %q, offset %d", err, keys, l.Offset())
	}
}

func TestTranscode(t *testing.T) {
	utf16le := []byte{0xFF, 0xFE, '{', 0, '}', 0}
	utf16be := []byte{0xFE, 0xFF, 0, '[', 0, ']'}
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr string
	}{
		{"UTF-8", []byte(`{"é":1}`), `{"é":1}`, ""},
		{"UTF-8 with a mark", append([]byte{0xEF, 0xBB, 0xBF}, '{', '}'), `{}`, ""},
		{"UTF-16 LE", utf16le, `{}`, ""},
		{"UTF-16 BE", utf16be, `[]`, ""},
		{"bytes that are not UTF-8", []byte("{\"\xff\"}"), "", "not valid UTF-8 at byte 2 (UTF-16 needs a byte order mark)"},
		{"an odd UTF-16 length", []byte{0xFF, 0xFE, '{'}, "", "UTF-16 text has an odd number of bytes"},
		{"an unpaired surrogate", []byte{0xFF, 0xFE, 0x00, 0xD8, '}', 0}, "", "invalid UTF-16 surrogate at byte 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Transcode(tt.in)
			if tt.wantErr != "" {
				var ee *EncodingError
				if !errors.As(err, &ee) || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("Transcode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCaseVariant(t *testing.T) {
	known := []string{"address", "mode", "skip"}
	for key, want := range map[string]string{"Address": "address", "MODE": "mode", "address": "", "other": "", "Other": "", "\u017fkip": "skip"} {
		got, ok := CaseVariant([]byte(key), known)
		if got != want || ok != (want != "") {
			t.Errorf("CaseVariant(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
}
