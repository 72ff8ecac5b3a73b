package plan_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/karpgate/karpgate/internal/plan"
)

// TestParseRejectsDuplicateKeys: a plan whose keys repeat could be read one way by karpgate (the
// last value wins in encoding/json) and another by a tool that keeps the first.
func TestParseRejectsDuplicateKeys(t *testing.T) {
	in := `{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_iam_role.r","address":"aws_iam_role.s"}]}}}`
	_, err := plan.OracleBytes("dup.json", []byte(in))
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
	_, err := plan.OracleBytes("big.json", []byte(in))
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
	p, err := plan.OracleBytes("cycle.json", []byte(in))
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

func BenchmarkParseBytes(b *testing.B) {
	text, err := os.ReadFile("../../testdata/plans/nested-for-each/plan.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := plan.OracleBytes("p.json", text); err != nil {
			b.Fatal(err)
		}
	}
}
