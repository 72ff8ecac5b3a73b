package policyimage

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// sample uses every node kind the codec writes: rules with ref heads, functions, default and
// else, every and some, with, negation, comprehensions of the three kinds, sets, objects, arrays,
// calls, numbers, null and booleans.
const sample = `package sample.x

import data.other

default allow := false

allow if {
	some i, x in input.xs
	x.n > 1.5
	not deny[i]
	every k, v in {"a": [1, null, true]} {
		k != v
	}
}

deny contains i if {
	some i
	input.xs[i].bad == true
}

f(a, b) := {a: b} if a != null else := {}

p.q[r] := s if {
	r := "k"
	s := [y | some y in {1, 2}]
	t := {z: 1 | some z in ["x"]}
	u := {w | w := lower("A")}
	count(t) + count(u) == 2
	v := other.g with input as {"n": 1}
	v
}
`

func compiled(t *testing.T, src string) map[string]*ast.Module {
	t.Helper()
	m, err := ast.ParseModuleWithOpts("sample.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	other := ast.MustParseModuleWithOpts("package other\n\ng := input.n == 1\n", ast.ParserOptions{RegoVersion: ast.RegoV1})
	c := ast.NewCompiler()
	c.Compile(map[string]*ast.Module{"sample.rego": m, "other.rego": other})
	if c.Failed() {
		t.Fatal(c.Errors)
	}
	return c.Modules
}

func TestRoundTrip(t *testing.T) {
	mods := compiled(t, sample)
	key, extra := []byte("key"), []byte(`{"extra":1}`)
	img, err := Encode(mods, key, extra)
	if err != nil {
		t.Fatal(err)
	}
	back, gotExtra, err := Decode(img, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotExtra, extra) {
		t.Errorf("extra = %q", gotExtra)
	}
	if len(back) != len(mods) {
		t.Fatalf("%d modules back, want %d", len(back), len(mods))
	}
	for name, m := range mods {
		if !m.Equal(back[name]) {
			t.Errorf("%s differs:\n%v\n---\n%v", name, m, back[name])
		}
		for _, r := range back[name].Rules {
			if r.Module != back[name] {
				t.Errorf("%s: rule %v does not point at its module", name, r.Head.Ref())
			}
		}
	}
	// What Equal does not compare (locations, expression indexes and flags) must survive too.
	again, err := Encode(back, key, extra)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, img) {
		t.Error("encoding the decoded modules gives other bytes")
	}
	if loc := back["sample.rego"].Rules[1].Body[0].Location; loc == nil || loc.File != "sample.rego" || loc.Row == 0 {
		t.Errorf("location = %v", loc)
	}
}

func TestStaleKey(t *testing.T) {
	img, err := Encode(compiled(t, sample), []byte("old"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Decode(img, []byte("new")); !errors.Is(err, ErrStale) {
		t.Fatalf("err = %v, want ErrStale", err)
	}
}

// A damaged image is an error, never a panic or a partial set of modules.
func TestCorruptImages(t *testing.T) {
	key := []byte("k")
	img, err := Encode(compiled(t, sample), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(img) {
		if _, _, err := Decode(img[:n], key); err == nil {
			t.Fatalf("a prefix of %d of %d bytes decodes", n, len(img))
		}
	}
	if _, _, err := Decode(append(bytes.Clone(img), 0), key); !errors.Is(err, errCorrupt) {
		t.Errorf("trailing byte: err = %v", err)
	}
	for i := len(magic); i < len(img); i++ {
		for _, b := range []byte{0x00, 0x7f, 0xff} {
			bad := bytes.Clone(img)
			bad[i] = b
			Decode(bad, key) // must not panic; a changed string or number may still decode
		}
	}
	if _, _, err := Decode([]byte("not an image"), key); !errors.Is(err, errCorrupt) {
		t.Errorf("err = %v", err)
	}
}

func TestDeepNesting(t *testing.T) {
	key := []byte("k")
	var e encoder
	e.index = map[string]uint64{}
	// One module whose package path is an array nested past maxDepth.
	e.uint(1)
	e.str("m")
	e.uint(1)
	for range maxDepth + 5 {
		e.uint(0)
		e.buf = append(e.buf, kArray)
		e.uint(1)
	}
	var hdr encoder
	hdr.bytes(key)
	hdr.bytes(nil)
	hdr.uint(uint64(len(e.strs)))
	for _, s := range e.strs {
		hdr.bytes([]byte(s))
	}
	img := append(append([]byte(magic), hdr.buf...), e.buf...)
	if _, _, err := Decode(img, key); !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("err = %v", err)
	}
}

func TestEncodeRefusesWhatItCannotWrite(t *testing.T) {
	m := &ast.Module{Package: &ast.Package{Path: ast.MustParseRef("data.x")}}
	m.Rules = []*ast.Rule{{Head: ast.NewHead("r", nil, &ast.Term{Value: &ast.TemplateString{}}), Body: ast.NewBody(ast.NewExpr(ast.BooleanTerm(true))), Module: m}}
	if _, err := Encode(map[string]*ast.Module{"x": m}, nil, nil); err == nil {
		t.Fatal("a template string was encoded")
	}
}
