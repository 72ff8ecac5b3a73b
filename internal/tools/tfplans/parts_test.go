package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestNormalizePlanReplacesOnlyTheTimestamp(t *testing.T) {
	raw := []byte(`{"format_version":"1.2","planned_values":{"x":{"timestamp":"keep"}},"timestamp":"2026-12-06T21:12:12Z","applyable":true}` + "\n")
	got, err := normalizePlan(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format_version":"1.2","planned_values":{"x":{"timestamp":"keep"}},"timestamp":"` + planTimestamp + `","applyable":true}` + "\n"
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := normalizePlan([]byte(`{"format_version":"1.2"}`)); err == nil {
		t.Error("a plan without timestamp was accepted")
	}
	if _, err := normalizePlan([]byte(`{"timestamp":"a","x":{"timestamp":"a"}}`)); err == nil {
		t.Error("an ambiguous timestamp was replaced")
	}
	// relevant_attributes comes in map order: its entries are sorted, their bytes kept.
	raw = []byte(`{"relevant_attributes":[{"resource":"b","attribute":["arn"]},{"resource":"a","attribute":["name","x"]}],"timestamp":"t"}`)
	got, err = normalizePlan(raw)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"relevant_attributes":[{"resource":"a","attribute":["name","x"]},{"resource":"b","attribute":["arn"]}],"timestamp":"` + planTimestamp + `"}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestModuleSteps(t *testing.T) {
	for addr, want := range map[string][]string{
		"":                                   nil,
		"module.karpenter":                   {"karpenter"},
		`module.clusters["prod"].module.k`:   {"clusters", "k"},
		`module.a["x.y[0]"].module.b[3]`:     {"a", "b"},
		`module.a["q\"]"].module.b["z"]`:     {"a", "b"},
		`module.a[0].module.b.module.c["d"]`: {"a", "b", "c"},
	} {
		if got := moduleSteps(addr); !reflect.DeepEqual(got, want) {
			t.Errorf("moduleSteps(%q) = %q, want %q", addr, got, want)
		}
	}
}

// entry encodes one map<string, bytes> entry of field num.
func entry(num protowire.Number, key, val string) []byte {
	var e []byte
	e = protowire.AppendTag(e, 1, protowire.BytesType)
	e = protowire.AppendString(e, key)
	e = protowire.AppendTag(e, 2, protowire.BytesType)
	e = protowire.AppendString(e, val)
	var b []byte
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, e)
}

func TestTrimSchemaKeepsOnlyListedTypes(t *testing.T) {
	var provider []byte
	provider = protowire.AppendTag(provider, 1, protowire.BytesType)
	provider = protowire.AppendString(provider, "provider schema")
	var in, want []byte
	in = append(in, provider...)
	want = append(want, provider...)
	in = append(in, entry(fieldResourceSchemas, "aws_iam_role", "r1")...)
	want = append(want, entry(fieldResourceSchemas, "aws_iam_role", "r1")...)
	in = append(in, entry(fieldResourceSchemas, "aws_s3_bucket", "r2")...)
	in = append(in, entry(fieldDataSchemas, "aws_iam_role", "d1")...) // a data source of a kept resource's name
	in = append(in, entry(fieldDataSchemas, "aws_region", "d2")...)
	want = append(want, entry(fieldDataSchemas, "aws_region", "d2")...)
	in = append(in, entry(fieldEphemeralSchemas, "aws_kms_secrets", "e1")...)
	in = append(in, entry(7, "arn_parse", "f1")...) // functions stay
	want = append(want, entry(7, "arn_parse", "f1")...)
	in = protowire.AppendTag(in, 6, protowire.BytesType)
	in = protowire.AppendBytes(in, []byte{8, 1})
	want = protowire.AppendTag(want, 6, protowire.BytesType)
	want = protowire.AppendBytes(want, []byte{8, 1})

	keep := keepTypes{
		resources: map[string]bool{"aws_iam_role": true},
		data:      map[string]bool{"aws_region": true},
		ephemeral: map[string]bool{},
	}
	got, err := trimSchema(in, keep)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("trimmed schema\n got %x\nwant %x", got, want)
	}
	if _, err := trimSchema(in[:len(in)-1], keep); err == nil {
		t.Error("a truncated schema was accepted")
	}
}

func TestLoadScenarioRejectsBadSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"unknown prior":      {map[string]string{"main.tf": "", "scenario.json": `{"prior":"later"}`}, `prior "later"`},
		"unknown field":      {map[string]string{"main.tf": "", "scenario.json": `{"prio":"self"}`}, "unknown field"},
		"before without dir": {map[string]string{"main.tf": "", "scenario.json": `{"prior":"before"}`}, "no before/"},
		"dir without before": {map[string]string{"main.tf": "", "before/main.tf": ""}, `"prior": "before"`},
		"state of nothing":   {map[string]string{"main.tf": "", "scenario.json": `{"show":"state"}`}, "needs a prior state"},
		"no configuration":   {map[string]string{"scenario.json": `{"prior":"self"}`}, "no .tf files"},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			for f, body := range tc.files {
				p := filepath.Join(root, "s", f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := loadScenarios(root)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLineageIsAStableUUID(t *testing.T) {
	a, b := lineage("upstream-v1"), lineage("upstream-v1")
	if a != b || a == lineage("eks-v19") {
		t.Errorf("lineage not stable per scenario: %s %s", a, b)
	}
	if len(a) != 36 || a[14] != '4' || strings.Count(a, "-") != 4 {
		t.Errorf("lineage %s is not a version-4 UUID", a)
	}
}

func TestPowershellText(t *testing.T) {
	got := powershellText([]byte("{\"a\":\"é\"}\n"))
	want := []byte{0xff, 0xfe, '{', 0, '"', 0, 'a', 0, '"', 0, ':', 0, '"', 0, 0xe9, 0, '"', 0, '}', 0, '\r', 0, '\n', 0}
	if string(got) != string(want) {
		t.Errorf("got % x\nwant % x", got, want)
	}
}
