package plan

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestKeysInAnotherCaseAreRejected: a key the parser reads, written in another case, is an input
// error on every fast path (encoding/json would read "Address" as address), wherever it is; keys of
// maps (tags, module names, variables) are free to use any case.
func TestKeysInAnotherCaseAreRejected(t *testing.T) {
	base, err := os.ReadFile("../../testdata/plans/eks-v20.24-v033/plan.json") // it has module calls
	if err != nil {
		t.Fatal(err)
	}
	// plant replaces the first occurrence of old after the first occurrence of after.
	plant := func(after, old, new string) []byte {
		at := bytes.Index(base, []byte(after))
		if at < 0 {
			t.Fatalf("%s: not in the plan", after)
		}
		i := bytes.Index(base[at:], []byte(old))
		if i < 0 {
			t.Fatalf("%s then %s: not in the plan", after, old)
		}
		return append(append(bytes.Clone(base[:at+i]), new...), base[at+i+len(old):]...)
	}
	cases := []struct {
		name, after, old, new, want string
	}{
		{"a top-level member", `"format_version"`, `"planned_values":`, `"Planned_Values":`, `key "Planned_Values" is "planned_values"`},
		{"a state resource's address", `"planned_values"`, `"address":`, `"Address":`, `resources[0].Address: key "Address" is "address"`},
		{"a resource change's type", `"resource_changes"`, `"type":`, `"TYPE":`, `key "TYPE" is "type"`},
		{"a key that only looks like one the parser reads", `"resource_changes"`, `"after":`, `"afte\u0280":`, ``},
		{"a Kelvin sign, escaped", `"resource_changes"`, `"type":`, `"deposed_\u212aey": "x", "type":`, `is "deposed_key" in another case`},
		{"a module call's source, with a long s", `"module_calls"`, `"source":`, `"ſource":`, `key "ſource" is "source"`},
		{"prior_state's values", `"prior_state"`, `"values":`, `"Values":`, `$.prior_state.Values: key "Values" is "values"`},
		{"a configuration module's resources", `"configuration"`, `"resources":`, `"Resources":`, `key "Resources" is "resources"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := plant(tc.after, tc.old, tc.new)
			_, errWhole := Read("p.json", bytes.NewReader(doc), Options{Keep: KeepIAM, Text: true})
			_, errStream := parseStream("p.json", iotestHalf(doc), 0, KeepIAM, splitting(64))
			_, n, errSplit := parseSections("p.json", bytes.NewReader(doc), 0, KeepIAM, splitting(4096))
			if tc.want == "" { // not a case variant of a key the parser reads: an ordinary unknown key
				if errWhole != nil || errStream != nil || errSplit != nil {
					t.Fatalf("rejected: %v / %v / %v", errWhole, errStream, errSplit)
				}
				return
			}
			for _, err := range []error{errWhole, errStream, errSplit} {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "in another case") {
					t.Fatalf("want an error with %q, got %v", tc.want, err)
				}
			}
			if fmt.Sprint(errWhole) != fmt.Sprint(errStream) || fmt.Sprint(errWhole) != fmt.Sprint(errSplit) {
				t.Errorf("the paths disagree:\n%v\n%v\n%v (%d sections)", errWhole, errStream, errSplit, n)
			}
		})
	}
	// Keys of maps: tags, module names, variables and outputs may use any case.
	free := bytes.Replace(base, []byte(`"values": {`), []byte(`"values": {"labels_x": {"Name": "x", "Address": "y"},`), 1)
	free = bytes.Replace(free, []byte(`"module_calls": {`), []byte(`"module_calls": {"Address": {"source": "./m"},`), 1)
	free = bytes.Replace(free, []byte(`"format_version"`), []byte(`"variables": {"Values": {"value": 1}}, "format_version"`), 1)
	if _, err := Read("p.json", bytes.NewReader(free), Options{Keep: KeepIAM, Text: true}); err != nil {
		t.Errorf("keys of maps in another case were rejected: %v", err)
	}
}

// iotestHalf hands the text over in halves, so that the stream is not split.
func iotestHalf(b []byte) *halfReader { return &halfReader{b: b} }

type halfReader struct{ b []byte }

func (r *halfReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:max(1, min(len(p), len(r.b)/2))], r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestKeyTablesFindEveryKey: each table finds each of its keys at its position and nothing else,
// and readKeys, which the check of keys in another case uses, holds every key of every table.
func TestKeyTablesFindEveryKey(t *testing.T) {
	tables := map[string]*keyTable{
		"document": documentKeys, "prior_state": priorStateKeys, "state values": stateValuesKeys, "module": moduleKeys,
		"resource": resourceKeys, "change": changeKeys, "configuration": configurationKeys,
		"configuration module": configModuleKeys, "module call": moduleCallKeys,
	}
	total := 0
	for name, table := range tables {
		for i, k := range table.keys {
			total++
			if got := table.find([]byte(k)); got != i {
				t.Errorf("%s: find(%q) = %d, want %d", name, k, got, i)
			}
			if !slices.Contains(readKeys, k) {
				t.Errorf("%s: readKeys does not list %q", name, k)
			}
			for _, other := range []string{strings.ToUpper(k), k + "x", k[1:], ""} {
				if got := table.find([]byte(other)); got >= 0 && table.keys[got] != other {
					t.Errorf("%s: find(%q) = %d (%q)", name, other, got, table.keys[got])
				}
			}
		}
	}
	if total < 36 || len(readKeys) != 36 {
		t.Errorf("%d keys in the tables, %d in readKeys; the walk reads 36 distinct keys", total, len(readKeys))
	}
	if resourceKeys.keys[resChange] != "change" || documentKeys.keys[docDeferredChanges] != "deferred_changes" {
		t.Error("a table's positions do not follow its constants")
	}
}
