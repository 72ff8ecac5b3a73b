package plan_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/karpgate/karpgate/internal/plan"
)

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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, key, ok := plan.DuplicateKey([]byte(tt.in))
			if ok != (tt.key != "") || path != tt.path || key != tt.key {
				t.Errorf("DuplicateKey = %q, %q, %v; want %q, %q", path, key, ok, tt.path, tt.key)
			}
		})
	}
}

// TestParseRejectsDuplicateKeys: a plan whose keys repeat could be read one way by karpgate (the
// last value wins in encoding/json) and another by a tool that keeps the first.
func TestParseRejectsDuplicateKeys(t *testing.T) {
	in := `{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_iam_role.r","address":"aws_iam_role.s"}]}}}`
	_, err := plan.ParseBytes("dup.json", []byte(in))
	if !errors.Is(err, plan.ErrInput) {
		t.Fatalf("err = %v, want an input error", err)
	}
	want := `dup.json: $.planned_values.root_module.resources[0]: duplicate key "address"`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want prefix %q", err, want)
	}
}

// TestInputErrorsAreBounded: a value quoted from the document cannot make the message huge.
func TestInputErrorsAreBounded(t *testing.T) {
	in := `{"format_version":"` + strings.Repeat("é", 1<<20) + `"}`
	_, err := plan.ParseBytes("big.json", []byte(in))
	if err == nil {
		t.Fatal("no error")
	}
	if msg := err.Error(); len(msg) > 1024 || !strings.Contains(msg, "bytes left out]") || !strings.HasPrefix(msg, "big.json: format_version") ||
		!strings.HasSuffix(msg, "is not MAJOR.MINOR") {
		t.Errorf("message is %d bytes: %.200q", len(msg), msg)
	}
}

// TestReferencesDoNotExplode: a module output that feeds an input variable that reads the output
// again, with several references per hop, took (references per hop)^16 steps before References
// memoized its steps (26 s for 8 references on a 600-byte plan, forever for 16).
func TestReferencesDoNotExplode(t *testing.T) {
	refs := `"module.a.o"` + strings.Repeat(`,"module.a.o"`, 31)
	in := `{"format_version":"1.2","resource_changes":[{"address":"module.a.aws_iam_role.r","module_address":"module.a","mode":"managed","type":"aws_iam_role","name":"r",
"change":{"actions":["create"],"before":null,"after":{},"after_unknown":{"assume_role_policy":true}}}],
"configuration":{"root_module":{"module_calls":{"a":{"source":"./a","expressions":{"x":{"references":[` + refs + `]}},
"module":{"outputs":{"o":{"expression":{"references":["var.x","module.a.o"]}}},
"resources":[{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","name":"r","expressions":{"assume_role_policy":{"references":["var.x","module.a.o"]}}}]}}}}}}`
	p, err := plan.ParseBytes("cycle.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if refs := p.References("module.a.aws_iam_role.r", "assume_role_policy"); len(refs) != 0 {
		t.Errorf("References = %q, want none", refs)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("References took %v", d)
	}
}

func BenchmarkDuplicateKey(b *testing.B) {
	text, err := os.ReadFile("../../testdata/plans/nested-for-each/plan.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, _, dup := plan.DuplicateKey(text); dup {
			b.Fatal("duplicate")
		}
	}
}

func BenchmarkParseBytes(b *testing.B) {
	text, err := os.ReadFile("../../testdata/plans/nested-for-each/plan.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := plan.ParseBytes("p.json", text); err != nil {
			b.Fatal(err)
		}
	}
}
