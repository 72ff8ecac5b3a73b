package plan

// A split parse must be invisible: the same Plan and the same errors as the single pass, whatever
// the search finds. These tests also check that it really splits, so that agreement is not the
// single pass agreeing with itself.

import (
	"github.com/karpgate/karpgate/internal/jsontext"

	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/karpgate/karpgate/internal/plan/plangen"
)

// topLevelOrder returns the number of sections a split parse reads the document in: one, plus one
// for each of resource_changes and prior_state that is a top-level member after another member
// (none of these plans has a nested key of those names).
func topLevelOrder(raw []byte) (sections int) {
	l := jsontext.NewText(raw)
	var keys []string
	if l.Object(func(key []byte) error {
		keys = append(keys, string(key))
		return l.Value()
	}) != nil {
		return 1 // not a plain JSON object (UTF-16, a byte order mark): the single pass reads it
	}
	sections = 1
	for i, k := range keys {
		if i > 0 && (k == "resource_changes" || k == "prior_state") {
			sections++
		}
	}
	return sections
}

func TestSplitBuildsTheSamePlanAsTheSinglePass(t *testing.T) {
	gen := filepath.Join(t.TempDir(), "generated.json")
	var buf bytes.Buffer
	n := 3000
	if testing.Short() {
		n = 600 // the race run: the same shape, smaller
	}
	if err := plangen.Write(&buf, n, 7); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gen, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	plans := EveryTestPlan(t)
	if testing.Short() {
		// The race run looks for data races in the split, which every plan exercises alike: a
		// quarter of the plans, spread over the list (the run without -short reads them all).
		var some []string
		for i := 0; i < len(plans); i += 4 {
			some = append(some, plans[i])
		}
		plans = some
	}
	split := 0
	for _, path := range append(plans, gen) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := topLevelOrder(raw)
		for _, keep := range []Keep{KeepIAM, nil} {
			whole, err := Read(path, bytes.NewReader(raw), Options{Keep: keep, Text: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, window := range []int{7, 4096, jsontext.WindowSize} {
				if window == 7 && testing.Short() && len(raw) > 64<<10 {
					continue // -short (the race run): a 7-byte window only over the small plans
				}
				t.Run(fmt.Sprintf("%s/keep-all-%v/window-%d", filepath.Base(path), keep == nil, window), func(t *testing.T) {
					got, n, err := parseSections(path, bytes.NewReader(raw), 0, keep, splitting(window))
					if err != nil {
						t.Fatal(err)
					}
					samePlan(t, whole, got)
					if n != want {
						t.Errorf("read in %d sections, want %d", n, want)
					}
					if n > 1 {
						split++
					}
				})
			}
		}
	}
	if split == 0 {
		t.Error("no plan was split")
	}
	// The same through an *os.File, the way a scan opens plans.
	f, err := os.Open(gen)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, n, err := parseSections(gen, f, 0, KeepIAM, splitting(jsontext.WindowSize)); err != nil || n != 3 {
		t.Errorf("a file: %d sections, %v; want 3", n, err)
	}
	if off, _ := f.Seek(0, 1); off != int64(buf.Len()) {
		t.Errorf("the file was left at offset %d, not at its end (%d)", off, buf.Len())
	}
}

// TestSplitJoinsOnlyAtTopLevelMembers plants the keys the search looks for where they are not
// top-level members, and moves the real ones, and requires the single pass's plan or error.
func TestSplitJoinsOnlyAtTopLevelMembers(t *testing.T) {
	base := readIndented(t, "../../testdata/plans/upstream-v1/plan.json")
	// An attribute named like a top-level member, in the first resource of planned_values, after
	// another member (a comma before a key is where a section may stop).
	nested := func(key string) []byte {
		return bytes.Replace(base, []byte(`"values": {`), []byte(`"values": {"planted": {"a": 1, "`+key+`": {"x": [1, 2]}, "y": "z"},`), 1)
	}
	// The document with its top-level members in another order.
	reorder := func(keys ...string) []byte {
		var doc map[string]any
		if err := json.Unmarshal(base, &doc); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",\n")
			}
			v, err := json.Marshal(doc[k])
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%q: %s", k, v)
		}
		b.WriteString("}\n")
		return b.Bytes()
	}
	// A key named prior_state in the last resource of prior_state.
	at := bytes.LastIndex(base, []byte(`"values": {`))
	lastNested := append(append(bytes.Clone(base[:at]), `"values": {"planted": {"a": 1, "prior_state": {}},`...), base[at+len(`"values": {`):]...)
	if bytes.Index(lastNested, []byte(`"prior_state":`)) > at {
		t.Fatal("the planted key is not after the top-level one")
	}
	dupAtEnd := bytes.Clone(base[:bytes.LastIndexByte(base, '}')])
	dupAtEnd = append(dupAtEnd, []byte(",\n  \"format_version\": \"1.2\"\n}\n")...)
	cases := []struct {
		name     string
		doc      []byte
		sections int    // 0: an error
		err      string // part of it
	}{
		{"the first resource_changes is a nested key", nested("resource_changes"), 2, ""},
		{"a nested prior_state key before the top-level one", nested("prior_state"), 3, ""},
		{"the last prior_state is a nested key", lastNested, 2, ""},
		{"a nested resource_changes first, the top-level prior_state last", bytes.Replace(nested("resource_changes"), []byte(`"y": "z"`), []byte(`"y": {"b": 2, "prior_state": []}`), 1), 2, ""},
		{"a nested resource_changes first, a nested prior_state last", bytes.Replace(bytes.Clone(lastNested), []byte(`"values": {`), []byte(`"values": {"planted": {"a": 1, "resource_changes": 0},`), 1), 1, ""},
		{"prior_state before resource_changes", reorder("format_version", "prior_state", "planned_values", "resource_changes", "configuration"), 3, ""},
		{"resource_changes first", reorder("resource_changes", "format_version", "planned_values", "prior_state"), 2, ""},
		{"a top-level key in two sections", dupAtEnd, 0, `duplicate key "format_version"`},
		{"resource_changes twice", bytes.Replace(base, []byte(`"prior_state":`), []byte(`"resource_changes": [], "prior_state":`), 1), 0, `duplicate key "resource_changes"`},
		{"garbage after the document", append(bytes.Clone(base), " }"...), 0, "after top-level value"},
		{"a section cut short", bytes.Replace(base, []byte(`"prior_state": {`), []byte(`"prior_state": {]`), 1), 0, "invalid character"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			whole, errWhole := Read("p.json", bytes.NewReader(tc.doc), Options{Keep: KeepIAM, Text: true})
			for _, window := range []int{5, jsontext.WindowSize} {
				got, n, err := parseSections("p.json", bytes.NewReader(tc.doc), 0, KeepIAM, splitting(window))
				if fmt.Sprint(err) != fmt.Sprint(errWhole) {
					t.Fatalf("window %d:\nsplit:  %v\nsingle: %v", window, err, errWhole)
				}
				if tc.sections == 0 {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("want an error with %q, got %v", tc.err, err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				samePlan(t, whole, got)
				if n != tc.sections {
					t.Errorf("window %d: %d sections, want %d", window, n, tc.sections)
				}
			}
			// Every reader and the search have stopped when the parse returns.
			for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Errorf("%d goroutines left running", n-before)
			}
		})
	}
}

func TestIndexRareAgreesWithIndex(t *testing.T) {
	key := []byte(`"prior_state":`)
	texts := []string{"", "p", `"prior_state"`, `"prior_state":`, `x"prior_state":`, `"prior_state":x`, `"prior_state"x"prior_state":`,
		`pp"prior_state":p`, `"prior_statep"prior_state":`, `"prior_state":"prior_state":`, `"prior_state"prior_state":`}
	for _, s := range texts {
		for rare := range key {
			if got, want := indexRare([]byte(s), key, rare), bytes.Index([]byte(s), key); got != want {
				t.Errorf("indexRare(%q, rare %d) = %d, want %d", s, rare, got, want)
			}
			if got, want := lastIndexRare([]byte(s), key, rare), bytes.LastIndex([]byte(s), key); got != want {
				t.Errorf("lastIndexRare(%q, rare %d) = %d, want %d", s, rare, got, want)
			}
		}
	}
	for _, k := range splitKeys {
		if k.rare >= len(k.text) {
			t.Errorf("%s: rare index %d out of range", k.text, k.rare)
		}
	}
}

// TestSplitFindsKeysAcrossSearchChunks puts the keys across the boundaries of the searches'
// chunks: resource_changes across the end of a chunk read forward, prior_state across the start
// of a chunk read backward.
func TestSplitFindsKeysAcrossSearchChunks(t *testing.T) {
	base, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	rc := bytes.Index(base, []byte(`"resource_changes":`))
	ps := bytes.LastIndex(base, []byte(`"prior_state":`)) + len(`"prior_state":`)
	var docs [][]byte
	for _, cut := range []int{1, 5, 11, 13, 14, 18, 19, 20} {
		// Spaces before resource_changes, so that a chunk from the top ends cut bytes into it.
		pad := searchChunk - rc - cut
		for pad < 0 {
			pad += searchChunk
		}
		docs = append(docs, append(append(bytes.Clone(base[:rc]), bytes.Repeat([]byte(" "), pad)...), base[rc:]...))
		// Spaces after prior_state's colon, so that a chunk from the end starts cut bytes into the key.
		pad = searchChunk - (len(base) - ps) - len(`"prior_state":`) + cut
		for pad < 0 {
			pad += searchChunk
		}
		docs = append(docs, append(append(bytes.Clone(base[:ps]), bytes.Repeat([]byte(" "), pad)...), base[ps:]...))
	}
	for i, doc := range docs {
		cut := []int{1, 5, 11, 13, 14, 18, 19, 20}[i/2]
		whole, err := Read("p.json", bytes.NewReader(doc), Options{Keep: KeepIAM, Text: true})
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := parseSections("p.json", bytes.NewReader(doc), 0, KeepIAM, splitting(jsontext.WindowSize))
		if err != nil {
			t.Fatal(err)
		}
		samePlan(t, whole, got)
		if n != 3 {
			t.Errorf("document %d, key cut %d bytes in: %d sections, want 3", i, cut, n)
		}
	}
}

// TestSplitNeedsOffsets: a pipe (karpgate scan <(terraform show -json plan)) is an *os.File that
// cannot seek; it is read in one pass.
func TestSplitNeedsOffsets(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		w.Write(raw)
		w.Close()
	}()
	got, n, err := parseSections("pipe", r, 0, KeepIAM, splitting(jsontext.WindowSize))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("a pipe was read in %d sections", n)
	}
	whole, err := Read("pipe", bytes.NewReader(raw), Options{Keep: KeepIAM, Text: true})
	if err != nil {
		t.Fatal(err)
	}
	samePlan(t, whole, got)
}

// TestOptionsTurnSplittingOff: a caller that keeps the cores busy reads a large file in one
// pass.
func TestOptionsTurnSplittingOff(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []bool{false, true} {
		cfg := Options{Split: split}.config()
		if cfg.window != jsontext.WindowSize || (cfg.splitMin == SplitMinSize) != split || (cfg.splitMin < 0) == split {
			t.Errorf("Split %v: %+v", split, cfg)
		}
		cfg.splitMin = min(cfg.splitMin, 0) // this plan is small: split it anyway, if splitting at all
		if _, n, err := parseSections("p.json", bytes.NewReader(raw), 0, KeepIAM, cfg); err != nil || (n > 1) != split {
			t.Errorf("Split %v: %d sections, %v", split, n, err)
		}
	}
}

// readIndented reads a plan and indents it the way `jq .` would, so that a test can find and edit
// its members as text (`"values": {`); Terraform prints plans on one line.
func readIndented(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b.Bytes()
}
