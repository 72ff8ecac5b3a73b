package plan

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"slices"
	"strconv"
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

// TestReadKeysListsEveryKeyTheParserReads: readKeys, which the check of keys in another case uses,
// holds every key a switch of fast.go reads.
func TestReadKeysListsEveryKeyTheParserReads(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "fast.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	ast.Inspect(file, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok {
			return true
		}
		call, ok := sw.Tag.(*ast.CallExpr)
		if !ok {
			return true
		}
		if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "string" {
			return true
		}
		for _, stmt := range sw.Body.List {
			for _, e := range stmt.(*ast.CaseClause).List {
				lit, ok := e.(*ast.BasicLit)
				if !ok {
					continue
				}
				key, _ := strconv.Unquote(lit.Value)
				found++
				if !slices.Contains(readKeys, key) {
					t.Errorf("fast.go reads %q, which readKeys does not list", key)
				}
			}
		}
		return true
	})
	if found < 25 {
		t.Errorf("only %d keys found in fast.go's switches", found)
	}
}
