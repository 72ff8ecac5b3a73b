package plan_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/karpgate/karpgate/internal/jsontext"
	"github.com/karpgate/karpgate/internal/plan"
)

// iamOnly keeps what karpgate's IAM model reads (stream_test.go).
var iamOnly = plan.KeepIAM

// everyPlan lists the testdata and corpus plans (stream_test.go).
func everyPlan(t *testing.T) []string { return plan.EveryTestPlan(t) }

func readTranscoded(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jsontext.Transcode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseFastKeepingEverythingEqualsParse: with no filter the single-pass parser builds the same
// Plan as the plain full decode, for every plan we have.
func TestParseFastKeepingEverythingEqualsParse(t *testing.T) {
	for _, path := range everyPlan(t) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			b := readTranscoded(t, path)
			full, err := plan.OracleBytes(path, b)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := plan.Read(path, bytes.NewReader(b), plan.Options{Keep: nil, Text: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(full.Resources, fast.Resources); diff != "" {
				t.Errorf("resources differ (-full +fast):\n%s", diff)
			}
			if diff := cmp.Diff(full.Addresses, fast.Addresses); diff != "" {
				t.Errorf("addresses differ:\n%s", diff)
			}
			if full.Kind != fast.Kind || full.FormatVersion != fast.FormatVersion || full.TerraformVersion != fast.TerraformVersion {
				t.Errorf("header differs: %s %s %s vs %s %s %s", full.Kind, full.FormatVersion, full.TerraformVersion, fast.Kind, fast.FormatVersion, fast.TerraformVersion)
			}
			if diff := cmp.Diff(full.Variables, fast.Variables); diff != "" {
				t.Errorf("variables differ:\n%s", diff)
			}
		})
	}
}

// TestParseFastFilteredKeepsExactlyTheSelectedResources: with a filter, the kept resources are
// identical to the full decode's, references between them resolve the same way, and nothing else
// is materialized.
func TestParseFastFilteredKeepsExactlyTheSelectedResources(t *testing.T) {
	for _, path := range everyPlan(t) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			b := readTranscoded(t, path)
			full, err := plan.OracleBytes(path, b)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := plan.Read(path, bytes.NewReader(b), plan.Options{Keep: iamOnly, Text: true})
			if err != nil {
				t.Fatal(err)
			}
			// With a filter the fast parser leaves out the planned and prior values of resources
			// whose change has an "after" (every reader uses "after" first); all else is equal.
			want := map[string]*plan.Resource{}
			for a, r := range full.Resources {
				if iamOnly(r.Mode, r.Type) {
					c := *r
					if c.After != nil {
						c.Planned, c.Prior = nil, nil
					}
					want[a] = &c
				}
			}
			if diff := cmp.Diff(want, fast.Resources); diff != "" {
				t.Errorf("kept resources differ (-full +fast):\n%s", diff)
			}
			for a := range want {
				for _, attr := range []string{"role", "policy_arn", "policy", "role_arn", "roles", "source_policy_documents"} {
					var got []string
					for _, ref := range full.References(a, attr) {
						if iamOnly(full.Resources[ref].Mode, full.Resources[ref].Type) {
							got = append(got, ref)
						}
					}
					if diff := cmp.Diff(got, fast.References(a, attr), cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("references of %s.%s differ (-full +fast):\n%s", a, attr, diff)
					}
				}
			}
		})
	}
}

// TestParseFastRejectsWhatParseRejects drives the bad inputs through both parsers: each is an
// input error for both.
func TestParseFastRejectsWhatParseRejects(t *testing.T) {
	for f, raw := range plan.BadTestFiles(t) {
		_, errFull := plan.Oracle(f, bytes.NewReader(raw), 0)
		_, errFast := plan.Read(f, bytes.NewReader(raw), plan.Options{Keep: iamOnly, Text: true})
		if !errors.Is(errFull, plan.ErrInput) || !errors.Is(errFast, plan.ErrInput) {
			t.Errorf("%s: full %v, fast %v; want input errors from both", f, errFull, errFast)
		}
	}
}

// TestParseFileRespectsTheSizeLimit reads from a real file (one buffer of the file's size) and
// still enforces --max-plan-size exactly.
func TestParseFileRespectsTheSizeLimit(t *testing.T) {
	src := "../../testdata/plans/upstream-v1/plan.json"
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		max    int64
		wantOK bool
	}{{fi.Size(), true}, {fi.Size() - 1, false}} {
		f, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = plan.Read(src, f, plan.Options{MaxSize: tc.max, Keep: iamOnly, Text: true})
		f.Close()
		if (err == nil) != tc.wantOK {
			t.Errorf("max %d of a %d-byte file: err %v", tc.max, fi.Size(), err)
		}
	}
}

// TestParseFastFindsDuplicateKeysInObjectsOfAnySize covers both duplicate detectors: the scan of a
// small object's keys and the set a large object switches to, and their reuse across objects.
func TestParseFastFindsDuplicateKeysInObjectsOfAnySize(t *testing.T) {
	object := func(n int, dup bool) string {
		var b bytes.Buffer
		b.WriteString("{")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		if dup {
			b.WriteString(`,"k0":1`)
		}
		b.WriteString("}")
		return b.String()
	}
	for _, n := range []int{1, 10, 64, 65, 300} {
		for _, dup := range []bool{false, true} {
			doc := fmt.Sprintf(`{"format_version":"1.2","planned_values":{"root_module":{}},"variables":{"a":{"value":%s},"b":{"value":%s}}}`, object(n, false), object(n, dup))
			_, err := plan.Read("dup.json", bytes.NewReader([]byte(doc)), plan.Options{Keep: iamOnly, Text: true})
			if dup != (err != nil) {
				t.Errorf("%d keys, duplicate %v: err %v", n, dup, err)
			}
			if dup && err != nil && !strings.Contains(err.Error(), `duplicate key "k0"`) {
				t.Errorf("%d keys: %v", n, err)
			}
		}
	}
}

// TestAttrsGetAgreesWithTheWholeObject reads every attribute of every kept resource one at a time,
// as the IAM model does, from the text the single pass keeps, and compares it with the whole
// object decoded at once; a missing attribute is missing.
func TestAttrsGetAgreesWithTheWholeObject(t *testing.T) {
	checked := 0
	for _, path := range everyPlan(t) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan.Read(path, f, plan.Options{Keep: iamOnly, Split: true})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Addresses {
			r := p.Resources[a]
			for _, attrs := range []*plan.Attrs{r.After, r.AfterUnknown, r.Planned, r.Prior} {
				whole := attrs.Map()
				for k, want := range whole {
					got, ok := attrs.Get(k)
					if !ok || !cmp.Equal(got, want) {
						t.Errorf("%s: %s: Get = %v, %v; the whole object has %v", path, a, got, ok, want)
					}
					checked++
				}
				if v, ok := attrs.Get("no such attribute"); ok || v != nil {
					t.Errorf("%s: %s: a missing attribute reads as %v", path, a, v)
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d attributes checked", checked)
	}
}

func TestAttrsOfNilAndEmpty(t *testing.T) {
	var none *plan.Attrs
	if v, ok := none.Get("x"); ok || v != nil || none.Map() != nil || !none.Equal(nil) {
		t.Error("a nil Attrs is not an absent object")
	}
	if plan.AttrsOf(nil) != nil {
		t.Error("AttrsOf(nil) is not nil")
	}
	m := plan.AttrsOf(map[string]any{"a": "b"})
	if m.Value("a") != "b" || m.Equal(nil) || !m.Equal(plan.AttrsOf(map[string]any{"a": "b"})) {
		t.Error("AttrsOf does not hold its map")
	}
}

// TestModuleMembersInAnyOrder: a module may list child_modules before resources and its address
// after them (terraform does neither, but JSON allows it). The single pass fills in module paths
// and keeps the full decode's order, in which a module's own resources come before its
// children's, so that of two resources with one address (old plans) the same one wins.
func TestModuleMembersInAnyOrder(t *testing.T) {
	role := func(addr, name string) string {
		return `{"address":"` + addr + `","mode":"managed","type":"aws_iam_role","name":"r","values":{"name":"` + name + `"}}`
	}
	doc := `{"format_version":"1.2","planned_values":{"root_module":{` +
		`"child_modules":[{"resources":[` + role("module.a.aws_iam_role.r", "child") + `,` + role("aws_iam_role.dup", "from-child") + `],"address":"module.a",` +
		`"child_modules":[{"address":"module.a.module.b","resources":[` + role("module.a.module.b.aws_iam_role.r", "grandchild") + `]}]}],` +
		`"resources":[` + role("aws_iam_role.root", "root") + `,` + role("aws_iam_role.dup", "from-root") + `]}}}`
	full, err := plan.OracleBytes("p.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := full.Resources["aws_iam_role.dup"].Values().Value("name"); got != "from-child" {
		t.Fatalf("the full decode kept %v for the duplicate address; the test assumes the child's", got)
	}
	fast, err := plan.Read("p.json", bytes.NewReader([]byte(doc)), plan.Options{Keep: iamOnly, Text: true})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := plan.Read("p.json", strings.NewReader(doc), plan.Options{Keep: iamOnly, Split: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*plan.Plan{"fast": fast, "stream": stream} {
		if diff := cmp.Diff(full.Resources, p.Resources); diff != "" {
			t.Errorf("%s: resources differ (-full +%s):\n%s", name, name, diff)
		}
	}
}
