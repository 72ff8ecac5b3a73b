package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// corpusDir holds real plans from public repositories (optional: the test skips them when absent).
const corpusDir = "/work/shared/corpus/real-plans"

// utilValue is the reference: util's decoder into any, then ast.InterfaceToValue.
func utilValue(b []byte) (ast.Value, error) {
	v, err := decodeAny(b)
	if err != nil {
		return nil, err
	}
	return ast.InterfaceToValue(v)
}

// checkPlanValue compares planValue with the reference on JSON text that json.Valid accepts:
// equal values, or the same error. It checks the serial decoder, and the parallel one with a
// goroutine for every member of a top-level object.
func checkPlanValue(t testing.TB, b []byte) {
	t.Helper()
	want, werr := utilValue(b)
	got, err := decodeSpan(b, 0)
	compareDecoded(t, got, err, want, werr)
	if got, ok, err := parallelValue(b, 0); ok {
		compareDecoded(t, got, err, want, werr)
	} else if len(bytes.TrimSpace(b)) > 0 && bytes.TrimSpace(b)[0] == '{' {
		t.Errorf("parallelValue did not take the object %.60q", b)
	}
}

func compareDecoded(t testing.TB, got ast.Value, err error, want ast.Value, werr error) {
	t.Helper()
	switch {
	case werr != nil && err != nil:
		var ne *jsontext.NumberError
		if errors.As(err, &ne) && ne.Error() != werr.Error() {
			t.Errorf("error %q, the reference says %q", err, werr)
		}
	case werr != nil:
		t.Errorf("no error, the reference says %v", werr)
	case err != nil:
		t.Errorf("error %v, the reference decodes it", err)
	default:
		if e := sameValue(got, want); e != nil {
			t.Error(e)
		}
	}
}

func TestPlanValueMatchesUtil(t *testing.T) {
	files := map[string]string{}
	for name, f := range testPlans(t) {
		files["testdata/"+name] = f
	}
	if corpus, _ := filepath.Glob(filepath.Join(corpusDir, "*.json")); len(corpus) > 0 {
		for _, f := range corpus {
			files["corpus/"+filepath.Base(f)] = f
		}
	} else {
		t.Logf("%s: no corpus plans, skipped", corpusDir)
	}
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b, err := jsontext.Transcode(raw) // the UTF-16 plans
			if err != nil {
				t.Fatal(err)
			}
			checkPlanValue(t, b)
		})
	}
	t.Run("plangen", func(t *testing.T) { checkPlanValue(t, generatedPlan(t)) })
}

func nested(open, close string, n int) string {
	return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
}

// trickyJSON is valid JSON that a hand-written decoder could get wrong.
var trickyJSON = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `-0.0`, `0e0`, `1E+2`, `1e-2`, `-1.5e-300`, `true`, `false`, `null`,
	`{"a":{},"b":[],"c":"","d":[{}],"e":[[]],"f":{"":{}}}`,
	`12345678901234567890`, `-12345678901234567890`, `1.00000000000000000000000001`,
	`123456789012345678901234567890123456789012345678901234567890`,
	`1e400`, `-1e400`, `1e-400`, `[1, 2, 1e999]`, `{"big": 1E+1000}`, `0.000000000000000000000000000000001e-10`,
	`1e20`, `100`, `-1`, `42`, `1e30103`, `1e100000`, `-1e-100000`, `[0.5e99999]`,
	`"\"\\\/\b\f\n\r\t"`, `"\u0000\u001f\u007f"`, `"\u00e9\u4e2d\u6587"`, `"\ud83d\ude00"`, `"\uD83D\uDE00"`,
	`"\ud83d"`, `"\ude00"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, `"\u2028\u2029"`,
	`"\u003c\u003e\u0026"`, `"é中文😀"`, `"a\u0000b"`, `"tab\there"`,
	"\"\xff\xfe invalid \xc3\x28 utf-8 \xed\xa0\x80\"", "{\"k\xff\": \"v\xfe\"}",
	` {"a" : [ 1 , 2 ] , "b" : { } } ` + "\n\t\r",
	`{"a":1,"a":2}`, `{"a":1,"b":2,"a":3}`, `{"a":{"x":1},"a":[1]}`, `{"\u0061":1,"a":2}`,
	`[{"k":1,"k":2},{"k":3}]`,
	`{"` + strings.Repeat("k", 300) + `":"` + strings.Repeat("v", 300) + `"}`,
	`{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["no-op"],"before":{"tags":{"Name":"x"}},"after":{"tags":{"Name":"x"}}}}]}`,
	nested("[", "]", 10000),
	nested(`{"a":`, "}", 10000),
	nested(`[{"a":`, "}]", 5000),
}

func TestPlanValueTricky(t *testing.T) {
	// Many keys: the dedupe of repeated keys takes another route above 32.
	var many strings.Builder
	many.WriteString("{")
	for i := range 100 {
		many.WriteString(`"k` + strings.Repeat("x", i%40) + `":` + strings.Repeat("1", 1+i%3) + ",")
	}
	many.WriteString(`"k":"last"}`)
	for i, s := range append(trickyJSON, many.String(), strings.TrimSuffix(many.String(), `,"k":"last"}`)+"}") {
		if !json.Valid([]byte(s)) {
			t.Fatalf("case %d is not valid JSON", i)
		}
		checkPlanValue(t, []byte(s))
	}
}

// TestPlanValueCopies: the value does not alias the text it was decoded from.
func TestPlanValueCopies(t *testing.T) {
	b := []byte(`{"k":"short","long":"` + strings.Repeat("x", 9000) + `","esc":"a\"b","arr":["v",1.5,{"k":"v"}]}`)
	want, err := utilValue(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := planValue(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = ' '
	}
	if err := sameValue(got, want); err != nil {
		t.Error(err)
	}
}

func TestPlanValueRejectsInvalid(t *testing.T) {
	for _, s := range []string{
		``, ` `, `{`, `}`, `[`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `[1 2]`,
		`01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x1`, `NaN`, `Infinity`, `tru`, `nul`, `falsey`,
		`"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\nb\"", "\"\x00\"", `"\'"`, `{} {}`, `1 2`, `[]]`,
		`{"a":1}}`, `{"a":[1}`, `{"a":{]}`, `{"a":[}]}`, `{"a":1 }x`, `{"a\":1}`, `{1:2}`, `{"a":"b" "c":1}`,
		`{"a":tru}`, `{"a":1,"b"}`, `{"a":"\x"}`, `{"a":"` + "\x01" + `"}`,
		nested("[", "]", 10001), `{"a":` + nested("[", "]", 10000) + `}`,
	} {
		if json.Valid([]byte(s)) {
			t.Fatalf("%q is valid JSON", s)
		}
		if v, err := planValue([]byte(s)); err == nil {
			t.Errorf("%.40q: no error, value %.40v", s, v)
		}
		if v, ok, err := parallelValue([]byte(s), 0); ok && err == nil {
			t.Errorf("%.40q: parallelValue: no error, value %.40v", s, v)
		}
	}
}

// FuzzPlanValue compares planValue with util's decoder + InterfaceToValue on valid JSON, and
// checks that it rejects what json.Valid rejects.
func FuzzPlanValue(f *testing.F) {
	for _, s := range trickyJSON {
		if len(s) < 1000 {
			f.Add([]byte(s))
		}
	}
	if b, err := os.ReadFile("../../testdata/plans/irsa-open-trust/plan.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			if _, err := planValue(b); err == nil {
				t.Errorf("json.Valid rejects %q, planValue does not", b)
			}
			if _, ok, err := parallelValue(b, 0); ok && err == nil {
				t.Errorf("json.Valid rejects %q, parallelValue does not", b)
			}
			return
		}
		checkPlanValue(t, b)
	})
}

// BenchmarkPlanValue is input.plan alone: planValue on the text plan.Read keeps (read untimed).
// Compare with BenchmarkDecodeAny and BenchmarkUtilValue, the conversion planValue replaced.
func BenchmarkPlanValue(b *testing.B) {
	forSizes(b, "PlanValue", func(b *testing.B, path string) func(*testing.B) {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return func(b *testing.B) {
			if _, err := planValue(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkUtilValue(b *testing.B) {
	forSizes(b, "UtilValue", func(b *testing.B, path string) func(*testing.B) {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return func(b *testing.B) {
			if _, err := utilValue(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
