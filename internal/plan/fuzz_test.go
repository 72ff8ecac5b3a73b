package plan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/karpgate/karpgate/internal/jsontext"
	"github.com/karpgate/karpgate/internal/plan"
)

// fuzzSeeds returns the testdata documents the plan fuzzers start from: every scenario plan, every
// bad input, and a few small documents in each encoding Transcode accepts (UTF-8 with and without
// a BOM, UTF-16 LE and BE with a BOM), so the mutator reaches the transcoder as well as the decoder.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var files []string
	for _, pattern := range []string{"../../testdata/plans/*/plan.json", "../../testdata/plans/*/state*.json", "../../testdata/bad/*"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		tb.Fatal("no seed files under ../../testdata")
	}
	var seeds [][]byte
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, fuzzShrink(b))
	}
	small := []string{
		`{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{"root_module":{"resources":[{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","name":"r","values":{"name":"karpenter"}}]}}}`,
		`{"format_version":"1.2","resource_changes":[{"address":"module.m[\"a.b\"].aws_iam_role.r[0]","module_address":"module.m[\"a.b\"]","mode":"managed","type":"aws_iam_role","name":"r","index":0,"change":{"actions":["create"],"before":null,"after":{"name":"x"},"after_unknown":{"arn":true}}}]}`,
		`{"format_version":"1.0","terraform_version":"1.5.0","values":{"root_module":{"resources":[],"child_modules":[{"address":"module.a","resources":[]}]}}}`,
		`{"format_version":"1.2","configuration":{"root_module":{"module_calls":{"k":{"source":"./k","module":{"resources":[]}}}}},"prior_state":{"values":{"root_module":{}}}}`,
		`{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.r","change":{"actions":["delete","create"],"after_unknown":true}}],"variables":{"region":{"value":"eu-west-1"}}}`,
	}
	seeds = append(seeds,
		[]byte("{\"format_version\":\"1.2\",\"terraform_version\":\"\xE9t\xE9\"}"), // Latin-1, as bad/invalid-utf8.json
		[]byte{0xFF, 0xFE, '{', 0, 0x00, 0xD8, '}', 0},                             // UTF-16 LE, lone high surrogate
		[]byte{0xFE, 0xFF, 0, '{', 0, '}', 0},                                      // UTF-16 BE, odd length
	)
	for _, s := range small {
		seeds = append(seeds, []byte(s), append([]byte{0xEF, 0xBB, 0xBF}, s...), fuzzUTF16(s, false), fuzzUTF16(s, true))
	}
	return seeds
}

// fuzzSeedMax is the size above which a seed is cut down: every exec, and the minimization of
// every new input (up to a minute by default), costs time proportional to the input, and the
// testdata plans are 20-300 KB.
const fuzzSeedMax = 2 << 10

// fuzzShrink cuts a large document down to a small one of the same shape: every list keeps its
// first element and every string its first 32 bytes. Text that does not decode keeps its first
// fuzzSeedMax bytes.
func fuzzShrink(b []byte) []byte {
	if len(b) <= fuzzSeedMax {
		return b
	}
	text, err := jsontext.Transcode(b)
	if err != nil {
		return b[:fuzzSeedMax]
	}
	var doc any
	if err := json.Unmarshal(text, &doc); err != nil {
		return text[:fuzzSeedMax]
	}
	var shrink func(v any) any
	shrink = func(v any) any {
		switch x := v.(type) {
		case []any:
			x = x[:min(len(x), 1)]
			for i := range x {
				x[i] = shrink(x[i])
			}
			return x
		case map[string]any:
			for k, e := range x {
				x[k] = shrink(e)
			}
		case string:
			return x[:min(len(x), 32)]
		}
		return v
	}
	out, err := json.Marshal(shrink(doc))
	if err != nil {
		return text[:fuzzSeedMax]
	}
	return out
}

// fuzzUTF16 encodes s as UTF-16 with a byte order mark.
func fuzzUTF16(s string, bigEndian bool) []byte {
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		out = []byte{0xFE, 0xFF}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// FuzzParse checks that no byte string makes Parse panic, and that it returns either a one-line
// *plan.InputError naming the file or a plan whose Resources and Addresses agree. Run it with:
// go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s -parallel 1 ./internal/plan/
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	const name = "fuzz.json"
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Oracle(name, bytes.NewReader(data), 0)
		if err != nil {
			checkFuzzInputError(t, name, p, err)
			return
		}
		if p == nil {
			t.Fatal("Parse returned neither a plan nor an error")
		}
		if p.Name != name {
			t.Errorf("Name = %q, want %q", p.Name, name)
		}
		if p.Kind != plan.KindPlan && p.Kind != plan.KindState {
			t.Errorf("Kind = %q", p.Kind)
		}
		if len(p.Addresses) != len(p.Resources) {
			t.Fatalf("%d addresses for %d resources", len(p.Addresses), len(p.Resources))
		}
		if !slices.IsSorted(p.Addresses) {
			t.Errorf("Addresses are not sorted: %q", p.Addresses)
		}
		for i, a := range p.Addresses {
			if i > 0 && p.Addresses[i-1] == a {
				t.Errorf("address %q listed twice", a)
			}
			r := p.Resources[a]
			if r == nil {
				t.Fatalf("address %q has no resource", a)
			}
			if r.Address != a {
				t.Errorf("resource at %q says its address is %q", a, r.Address)
			}
			// The accessors rules rely on must not panic either.
			r.Values()
			r.Deleted()
			r.String("policy")
			r.Unknown("policy")
			p.References(a, "policy")
			p.ConfigResource(a)
			p.Expression(a, "policy")
			p.ModuleCall(r.Module)
		}
		// Raw is what rules read as input.plan: always UTF-8, whatever the file's encoding was.
		if !utf8.Valid(p.Raw) {
			t.Errorf("Raw is not valid UTF-8")
		}
	})
}

// checkFuzzInputError asserts the shape of every Parse failure.
func checkFuzzInputError(t *testing.T, name string, p *plan.Plan, err error) {
	t.Helper()
	if p != nil {
		t.Errorf("Parse returned a plan with error %v", err)
	}
	if !errors.Is(err, plan.ErrInput) {
		t.Fatalf("error %T is not ErrInput: %v", err, err)
	}
	var ie *plan.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T is not a *plan.InputError: %v", err, err)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if !strings.HasPrefix(msg, name+": ") {
		t.Errorf("error does not start with the file name: %q", msg)
	}
	if ie.Problem == "" {
		t.Errorf("error has no problem: %q", msg)
	}
}

// FuzzParseFast checks the single-pass parser against the full decode: it never accepts what the
// full decode rejects, and what it accepts decodes to the same resources.
func FuzzParseFast(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		full, errFull := plan.Oracle("fuzz.json", bytes.NewReader(data), 0)
		fast, errFast := plan.Read("fuzz.json", bytes.NewReader(data), plan.Options{Keep: nil, Text: true})
		if errFast != nil {
			checkFuzzInputError(t, "fuzz.json", fast, errFast)
			return
		}
		if errFull != nil {
			t.Fatalf("the fast parser accepted what the full decode rejects: %v", errFull)
		}
		if len(full.Resources) != len(fast.Resources) {
			t.Fatalf("%d resources from the full decode, %d from the fast parser", len(full.Resources), len(fast.Resources))
		}
		for a := range full.Resources {
			if fast.Resources[a] == nil {
				t.Fatalf("the fast parser lost %s", a)
			}
		}
	})
}
