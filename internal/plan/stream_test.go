package plan

// These tests slide tiny windows over every plan we have, so that every token, key, span and pin
// crosses a window boundary somewhere, and require ParseStream to agree with ParseFast (the whole
// text in memory) on everything: the plan it builds and, for bad input, the exact error.

import (
	"github.com/karpgate/karpgate/internal/jsontext"

	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// KeepIAM keeps what karpgate's IAM model reads (the set facts.Relevant names; this package cannot
// import facts). Exported for this package's external tests too.
func KeepIAM(mode, typ string) bool {
	switch typ {
	case "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy", "aws_iam_role_policy_attachment",
		"aws_iam_policy_attachment", "aws_iam_role_policy_attachments_exclusive", "aws_iam_role_policies_exclusive",
		"aws_eks_pod_identity_association", "aws_organizations_organization", "aws_organizations_organizational_unit",
		"aws_organizations_account", "aws_organizations_policy", "aws_organizations_policy_attachment", "aws_sqs_queue",
		"aws_sqs_queue_policy", "aws_kms_key", "aws_kms_key_policy", "aws_kms_alias":
		return mode == "managed"
	case "aws_iam_policy_document", "aws_region", "aws_caller_identity", "aws_partition":
		return mode == "data"
	}
	return false
}

// EveryTestPlan lists the testdata plans and, when ../shared is beside the checkout, the real plans
// of the corpus (read from ../shared; skipped when it is absent). Exported for the external tests.
func EveryTestPlan(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/plans/*/plan.json")
	corpus, _ := filepath.Glob("../../../shared/corpus/real-plans/*.json")
	if len(corpus) == 0 {
		t.Log("../shared corpus not present: testdata plans only")
	}
	if len(files) == 0 {
		t.Fatal("no testdata plans")
	}
	return append(files, corpus...)
}

// BadTestFiles returns the documents of testdata/bad by path (its README aside). Exported for the
// external tests too.
func BadTestFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/bad/*")
	out := map[string][]byte{}
	for _, f := range files {
		if filepath.Ext(f) == ".md" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	if len(out) == 0 {
		t.Fatal("no documents in testdata/bad")
	}
	return out
}

// splitting is the configuration of a streaming parse with the given window that splits any document it
// can read at offsets (a *bytes.Reader), however small.
func splitting(window int) streamConfig { return streamConfig{window: window, splitMin: 0} }

// readers wraps the text in readers that hand it over in different pieces.
var readers = []struct {
	name string
	wrap func([]byte) io.Reader
}{
	{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"one-byte", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"half", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
}

var planCmp = []cmp.Option{cmpopts.IgnoreFields(Plan{}, "Raw"), cmp.AllowUnexported(Plan{}), cmpopts.EquateEmpty()}

// parseBoth parses raw whole and streamed; it returns the two results.
func parseBoth(name string, raw []byte, r io.Reader, max int64, keep Keep, window int) (whole, stream *Plan, errWhole, errStream error) {
	whole, errWhole = Read(name, bytes.NewReader(raw), Options{MaxSize: max, Keep: keep, Text: true})
	stream, errStream = parseStream(name, r, max, keep, splitting(window))
	return
}

// samePlan requires equal plans but for Raw. reflect.DeepEqual is the quick check; cmp explains a
// difference (and forgives nil against empty, which no reader of a Plan tells apart).
func samePlan(t testing.TB, whole, stream *Plan) {
	t.Helper()
	w, s := *whole, *stream
	w.Raw, s.Raw = nil, nil
	if reflect.DeepEqual(w, s) {
		return
	}
	if diff := cmp.Diff(&w, &s, planCmp...); diff != "" {
		t.Errorf("plans differ (-whole +stream):\n%s", diff)
	}
}

// windows pairs window sizes with the readers that feed them: every size crosses every kind of
// token somewhere in a plan, and each reader hands over pieces of another length.
var windows = []struct {
	size   int
	reader int // index in readers
}{{1, 1}, {2, 2}, {7, 0}, {64, 1}, {4096, 2}, {jsontext.WindowSize, 0}}

func TestStreamBuildsTheSamePlanAsTheWholeText(t *testing.T) {
	for _, path := range EveryTestPlan(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, keep := range []struct {
			name string
			fn   Keep
		}{{"iam", KeepIAM}, {"all", nil}} {
			whole, err := Read(path, bytes.NewReader(raw), Options{Keep: keep.fn, Text: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range windows {
				rd := readers[w.reader]
				t.Run(fmt.Sprintf("%s/%s/window-%d/%s", filepath.Base(filepath.Dir(path)), keep.name, w.size, rd.name), func(t *testing.T) {
					stream, err := parseStream(path, rd.wrap(raw), 0, keep.fn, splitting(w.size))
					if err != nil {
						t.Fatal(err)
					}
					if stream.Raw != nil {
						t.Error("a streamed plan kept the text")
					}
					samePlan(t, whole, stream)
				})
			}
		}
	}
}

// badInputs returns broken documents: the files of testdata/bad, and the upstream plan truncated,
// and with one byte replaced, at offsets spread over the whole text.
func badInputs(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for f, b := range BadTestFiles(t) {
		out[filepath.Base(f)] = b
	}
	base, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	const points = 150
	for k := 0; k < points; k++ {
		off := 1 + k*(len(base)-2)/points
		out[fmt.Sprintf("truncated-at-%d", off)] = base[:off]
		for _, c := range []byte{'"', '}', ',', 0x01, 0xff, '\\', '9', '\n'} {
			b := bytes.Clone(base)
			if b[off] == c {
				continue
			}
			b[off] = c
			out[fmt.Sprintf("byte-%d-is-%#02x", off, c)] = b
		}
	}
	// Whitespace the parser must read past to find what follows, across many windows.
	out["trailing-garbage-after-whitespace"] = append(append(bytes.Clone(base), bytes.Repeat([]byte(" \n"), 5000)...), 'x')
	out["bom-then-garbage"] = []byte("\xef\xbb\xbf{\n  \"format_version\": \"1.2\",\n  nope}")
	return out
}

func TestStreamFailsExactlyAsTheWholeText(t *testing.T) {
	rejected := 0
	for name, raw := range badInputs(t) {
		_, errWhole := Read(name, bytes.NewReader(raw), Options{Keep: KeepIAM, Text: true})
		for _, w := range []struct {
			size   int
			reader int
		}{{1, 1}, {4096, 0}} {
			rd := readers[w.reader]
			_, errStream := parseStream(name, rd.wrap(raw), 0, KeepIAM, splitting(w.size))
			if fmt.Sprint(errWhole) != fmt.Sprint(errStream) {
				t.Errorf("%s, window %d, %s reader:\nwhole:  %v\nstream: %v", name, w.size, rd.name, errWhole, errStream)
			}
			if errStream != nil {
				rejected++
				if !errors.Is(errStream, ErrInput) {
					t.Errorf("%s: %T is not an input error", name, errStream)
				}
			}
		}
	}
	// Most corruptions break the document; this guards against a table that tests nothing.
	if rejected < 1000 {
		t.Errorf("only %d bad inputs were rejected", rejected)
	}
}

func TestStreamEnforcesTheSizeLimitWhileReading(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(raw))
	for _, tc := range []struct {
		max  int64
		want string
	}{
		{n, ""},
		{n - 1, fmt.Sprintf("plan.json: larger than the limit of %d bytes", n-1)},
		{100, "plan.json: larger than the limit of 100 bytes"},
	} {
		_, errWhole := Read("plan.json", bytes.NewReader(raw), Options{MaxSize: tc.max, Keep: KeepIAM, Text: true})
		_, errStream := parseStream("plan.json", bytes.NewReader(raw), tc.max, KeepIAM, splitting(64))
		for _, err := range []error{errWhole, errStream} {
			if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("max %d: got %v, want %q", tc.max, err, tc.want)
			}
			var se *SizeError
			if tc.want != "" && (!errors.As(err, &se) || se.Max != tc.max || !errors.Is(err, ErrInput)) {
				t.Errorf("max %d: %v is not an input error wrapping a SizeError of the limit", tc.max, err)
			}
		}
	}
	// Whitespace after a complete document still counts: the stream is read to its end.
	padded := append(bytes.Clone(raw), bytes.Repeat([]byte(" "), 1000)...)
	if _, err := parseStream("plan.json", bytes.NewReader(padded), n+10, KeepIAM, splitting(64)); err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("trailing whitespace over the limit: %v", err)
	}
}

func TestStreamReportsReadErrors(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("connection reset")
	for _, at := range []int{0, 1, 500, len(raw) / 2, len(raw) - 1} {
		r := io.MultiReader(bytes.NewReader(raw[:at]), iotest.ErrReader(boom))
		_, err := parseStream("-", r, 0, KeepIAM, splitting(64))
		if want := "-: read: connection reset"; fmt.Sprint(err) != want {
			t.Errorf("read error after %d bytes: got %v, want %q", at, err, want)
		}
	}
	// A reader that never makes progress is an error, not a hang.
	if _, err := parseStream("-", stuckReader{}, 0, KeepIAM, splitting(64)); err == nil || !strings.Contains(err.Error(), "multiple Read calls return no data or error") {
		t.Errorf("stuck reader: %v", err)
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

// TestStreamHoldsAWindowNotThePlan reads a plan of many resources through a small window and
// checks the window never grew to hold the text.
func TestStreamHoldsAWindowNotThePlan(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/plans/nested-for-each/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &fastDoc{l: jsontext.NewStream(bytes.NewReader(raw), DefaultMaxSize, 4096), keep: KeepIAM}
	if f.l.Peek() != '{' {
		t.Fatal("not an object")
	}
	if _, err := f.parse("plan.json", nil); err != nil {
		t.Fatal(err)
	}
	if c := cap(f.l.Buffered()); c > 64<<10 || c*4 > len(raw) {
		t.Errorf("the window grew to %d bytes for a %d-byte plan", c, len(raw))
	}
}

// FuzzParseStream feeds any text one byte at a time through a 3-byte window, and splits it into
// sections read with 3-byte windows, and requires both to reach the same plan, or the same error,
// as the parser of the whole text.
func FuzzParseStream(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/bad/*")
	files = append(files, "../../testdata/plans/upstream-v1/plan.json", "../../testdata/plans/state-upstream-v1/plan.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, stream, errWhole, errStream := parseBoth("fuzz.json", data, iotest.OneByteReader(bytes.NewReader(data)), 0, nil, 3)
		if fmt.Sprint(errWhole) != fmt.Sprint(errStream) {
			t.Fatalf("whole: %v\nstream: %v", errWhole, errStream)
		}
		if errWhole == nil {
			samePlan(t, whole, stream)
		}
		split, _, errSplit := parseSections("fuzz.json", bytes.NewReader(data), 0, nil, splitting(3))
		if fmt.Sprint(errWhole) != fmt.Sprint(errSplit) {
			t.Fatalf("whole: %v\nsplit: %v", errWhole, errSplit)
		}
		if errWhole == nil {
			samePlan(t, whole, split)
		}
	})
}

// TestNumbersNoFloat64HoldsAreRejectedAnywhere: like encoding/json, the single pass refuses a
// number no float64 can hold even in a resource it skips, and says where it is; numbers that
// round to zero or to a float64 are fine.
func TestNumbersNoFloat64HoldsAreRejectedAnywhere(t *testing.T) {
	doc := func(n string) []byte {
		return []byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket","name":"b","change":{"actions":["create"],"after":{"size":` + n + `}}}]}`)
	}
	for _, tc := range []struct {
		number string
		ok     bool
	}{
		{"1e999999", false}, {"-1E+400", false}, {strings.Repeat("9", 400), false},
		{"1e-999999", true}, {"1.7976931348623157e308", true}, {strings.Repeat("9", 300), true}, {"12.5", true},
	} {
		for _, parse := range []func() error{
			func() error {
				_, err := Read("p.json", bytes.NewReader(doc(tc.number)), Options{Keep: KeepIAM, Text: true})
				return err
			},
			func() error {
				_, err := parseStream("p.json", bytes.NewReader(doc(tc.number)), 0, KeepIAM, splitting(16))
				return err
			},
		} {
			err := parse()
			if tc.ok != (err == nil) {
				t.Errorf("%.20s: %v", tc.number, err)
			}
			if err != nil && !strings.Contains(err.Error(), "$.resource_changes[0].change.after.size: expected float64, found JSON number") {
				t.Errorf("%.20s: %v", tc.number, err)
			}
		}
	}
}

// FuzzAttrs: reading attributes of any text never panics or reads past it (the parser only keeps
// checked text, but a reader must not depend on that for its safety).
func FuzzAttrs(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":"x\"y","c":{"d":[1,2]},"e\u0041":true}`, `{"a"`, `{"a":"\`, `{`, `[]`, `{"a":1,,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		a := attrsText(text, nil)
		for _, k := range []string{"a", "b", "c", "eA", ""} {
			a.Get(k)
		}
		a.Map()
	})
}

// TestParsersIndexMembersAsAttrsDoes: the member index the single pass records for the after and
// after_unknown objects it keeps locates the same keys and values as the index Attrs builds from
// the text on a first read (a value's end may differ by the spaces after it).
func TestParsersIndexMembersAsAttrsDoes(t *testing.T) {
	escaped := readIndented(t, "../../testdata/plans/upstream-v1/plan.json")
	// A key with an escape, and spaces around every part of a member.
	if !bytes.Contains(escaped, []byte(`"after": {`)) {
		t.Fatal("no after object to plant keys in")
	}
	escaped = bytes.Replace(escaped, []byte(`"after": {`), []byte(`"after": { "n\u0061me_x" :  "x" , "k\"q":[ 1 ] ,`), 1)
	docs := map[string][]byte{"escaped keys": escaped}
	for _, path := range EveryTestPlan(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs[path] = raw
	}
	indexed := 0
	for name, raw := range docs {
		whole, err := Read(name, bytes.NewReader(raw), Options{Keep: nil, Text: true})
		if err != nil {
			t.Fatal(err)
		}
		stream, err := parseStream(name, bytes.NewReader(raw), 0, nil, splitting(7))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*Plan{whole, stream} {
			for _, addr := range p.Addresses {
				r := p.Resources[addr]
				for _, a := range []*Attrs{r.After, r.AfterUnknown} {
					if a == nil || a.text == nil {
						continue
					}
					if !a.indexed {
						t.Errorf("%s: %s: an object of a change was not indexed by the parser", name, addr)
						continue
					}
					want := jsontext.IndexMembers(a.text)
					if len(a.index) != len(want) {
						t.Fatalf("%s: %s: %d index entries, want %d", name, addr, len(a.index), len(want))
					}
					for i := range want {
						got, exp := a.index[i], want[i]
						if i%4 == 3 { // the end of a value: members' may take the spaces after it
							exp = uint32(len(bytes.TrimRight(a.text[:exp], " \t\r\n")))
						}
						if got != exp {
							t.Fatalf("%s: %s: entry %d is %d, want %d", name, addr, i, got, exp)
						}
					}
					indexed++
				}
			}
		}
	}
	if indexed < 100 {
		t.Errorf("only %d objects checked", indexed)
	}
	p, err := Read("escaped", bytes.NewReader(escaped), Options{Keep: nil, Text: true})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range p.Resources {
		if v, ok := r.After.Get("name_x"); ok && v == "x" {
			found++
		}
		if v, ok := r.After.Get(`k"q`); ok && fmt.Sprint(v) == "[1]" {
			found++
		}
	}
	if found != 2 {
		t.Errorf("keys with escapes found %d times, want 2", found)
	}
}
