package plan_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/plan"
)

// smallPlan is a valid plan with a role whose description holds non-ASCII text (a Latin-1 letter
// and a character outside the BMP, which UTF-16 writes as a surrogate pair).
const smallPlan = `{
  "format_version": "1.2",
  "terraform_version": "1.9.5",
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
     "values": {"name": "r", "description": "rôle 🚀"}}
  ]}},
  "resource_changes": [
    {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
     "change": {"actions": ["create"], "before": null, "after": {"name": "r", "description": "rôle 🚀"},
                "after_unknown": {"arn": true}}}
  ]
}`

func utf16Bytes(s string, bigEndian bool) []byte {
	var order binary.AppendByteOrder = binary.LittleEndian
	bom := []byte{0xFF, 0xFE}
	if bigEndian {
		order, bom = binary.BigEndian, []byte{0xFE, 0xFF}
	}
	out := append([]byte{}, bom...)
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

// withBOM16 builds UTF-16 bytes with a BOM from raw code units.
func withBOM16(bigEndian bool, units ...uint16) []byte {
	var order binary.AppendByteOrder = binary.LittleEndian
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		order, out = binary.BigEndian, []byte{0xFE, 0xFF}
	}
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}

func ascii16(s string) []uint16 { return utf16.Encode([]rune(s)) }

func TestParseDecodesEveryAcceptedEncoding(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"UTF-8 without a BOM is read as is", []byte(smallPlan)},
		{"UTF-8 with a BOM has the BOM dropped", append([]byte{0xEF, 0xBB, 0xBF}, smallPlan...)},
		{"UTF-16 little endian with a BOM is transcoded", utf16Bytes(smallPlan, false)},
		{"UTF-16 big endian with a BOM is transcoded", utf16Bytes(smallPlan, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan.Oracle("plan.json", bytes.NewReader(tt.in), 0)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(smallPlan, string(p.Raw)); diff != "" {
				t.Errorf("Raw (-want +got):\n%s", diff)
			}
			r := p.Resources["aws_iam_role.r"]
			if r == nil {
				t.Fatalf("aws_iam_role.r missing; addresses %v", p.Addresses)
			}
			if got, _ := r.String("description"); got != "rôle 🚀" {
				t.Errorf("description = %q, want %q", got, "rôle 🚀")
			}
			if p.Kind != plan.KindPlan || p.FormatVersion != "1.2" || p.TerraformVersion != "1.9.5" {
				t.Errorf("Kind %q FormatVersion %q TerraformVersion %q", p.Kind, p.FormatVersion, p.TerraformVersion)
			}
		})
	}
}

func TestParseAcceptsAPlanExactlyAtTheSizeLimit(t *testing.T) {
	if _, err := plan.Oracle("plan.json", strings.NewReader(smallPlan), int64(len(smallPlan))); err != nil {
		t.Fatalf("a plan of exactly max bytes: %v", err)
	}
}

// checkInputError asserts the contract of every input error: errors.Is ErrInput, the message
// starts with the file name, is one line, and contains want (case-insensitively).
func checkInputError(t *testing.T, name string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if !errors.Is(err, plan.ErrInput) {
		t.Errorf("errors.Is(%v, ErrInput) is false", err)
	}
	var ie *plan.InputError
	if !errors.As(err, &ie) || ie.File != name {
		t.Errorf("not an *InputError for %q: %#v", name, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, name+": ") {
		t.Errorf("message %q does not start with %q", msg, name+": ")
	}
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("message is not one line: %q", msg)
	}
	if !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
		t.Errorf("message %q does not contain %q", msg, want)
	}
}

func TestParseRejectsBadInput(t *testing.T) {
	valid := func(edit func(string) string) []byte { return []byte(edit(smallPlan)) }
	tests := []struct {
		name string
		in   []byte
		max  int64
		want string
	}{
		{"empty input", nil, 0, "empty input"},
		{"whitespace only", []byte(" \n\t\r\n  "), 0, "empty input"},
		{"a UTF-8 BOM and nothing else", []byte{0xEF, 0xBB, 0xBF}, 0, "empty input"},
		{"a UTF-16 BOM and nothing else", []byte{0xFF, 0xFE}, 0, "empty input"},
		{"a plan larger than max", []byte(smallPlan), 100, "larger than the limit of 100 bytes"},
		{"a plan one byte larger than max", []byte(smallPlan), int64(len(smallPlan)) - 1, "larger than the limit"},
		{"Latin-1 bytes are not UTF-8", []byte(`{"format_version": "1.2", "x": "` + "\xE9t\xE9" + `"}`), 0, "not valid UTF-8 at byte 32"},
		{"a truncated UTF-8 sequence at the end", []byte("{\"format_version\": \"1.2\"}\xE2\x82"), 0, "not valid UTF-8"},
		{"UTF-16 with an odd number of bytes", append(utf16Bytes(`{"format_version":"1.2"}`, false), 'x'), 0, "odd number of bytes"},
		{"UTF-16 LE with a lone low surrogate", withBOM16(false, append(ascii16(`{"a":"`), 0xDC00, '"', '}')...), 0, "invalid UTF-16 surrogate at byte 14"},
		{"UTF-16 BE with a high surrogate followed by a letter", withBOM16(true, append(ascii16(`{"a":"`), 0xD83D, 'A', '"', '}')...), 0, "invalid UTF-16 surrogate at byte 14"},
		{"UTF-16 LE ending in a high surrogate", withBOM16(false, append(ascii16(`{"a":"`), 0xD83D)...), 0, "invalid UTF-16 surrogate"},
		{"truncated JSON names line and column", []byte("{\n  \"format_version\": \"1.2\",\n  \"planned_values\": {"), 0, "not valid JSON at line 3, column 22: unexpected end of JSON input"},
		{"a syntax error in a part karpgate does not read", []byte("{\"format_version\": \"1.2\", \"values\": {},\n\"junk\": [1,,2]}"), 0, "line 2, column 12: invalid character ','"},
		{"an invalid character names its own column", []byte(`{"format_version": x}`), 0, "line 1, column 20: invalid character 'x'"},
		{"two documents in a row", []byte(`{"format_version":"1.2","values":{}} {}`), 0, "not valid JSON"},
		{"a top-level array", []byte(`[{"format_version": "1.2"}]`), 0, "not a JSON object"},
		{"a top-level string", []byte(`"format_version"`), 0, "not a JSON object"},
		{"a top-level number", []byte(`1.2`), 0, "not a JSON object"},
		{"a top-level null", []byte(`null`), 0, "not a JSON object"},
		{"terraform plan text output", []byte("Terraform will perform the following actions:\n"), 0, "terraform show -json"},
		{"no format_version", []byte(`{"terraform_version": "1.9.5", "values": {}}`), 0, "no format_version"},
		{"format_version null", []byte(`{"format_version": null, "values": {}}`), 0, "no format_version"},
		{"format_version as a number", []byte(`{"format_version": 1.2, "values": {}}`), 0, "format_version: expected string, found JSON number"},
		{"format_version 2.0", valid(func(s string) string { return strings.Replace(s, `"1.2"`, `"2.0"`, 1) }), 0, `unsupported format_version "2.0"`},
		{"format_version abc", valid(func(s string) string { return strings.Replace(s, `"1.2"`, `"abc"`, 1) }), 0, `format_version "abc" is not MAJOR.MINOR`},
		{"format_version without a dot", valid(func(s string) string { return strings.Replace(s, `"1.2"`, `"1"`, 1) }), 0, `format_version "1" is not MAJOR.MINOR`},
		{"format_version with a newline is quoted", valid(func(s string) string { return strings.Replace(s, `"1.2"`, `"1\n.2"`, 1) }), 0, `format_version "1\n.2"`},
		{"neither plan nor state", []byte(`{"format_version": "1.2"}`), 0, "neither a plan"},
		{"a resource_changes entry without change", []byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","name":"r"}]}`), 0, "resource_changes[0] (aws_iam_role.r) has no change"},
		{"a resource_changes entry that is null", []byte(`{"format_version":"1.2","resource_changes":[null]}`), 0, "resource_changes[0] is null"},
		{"a resource_changes entry without address", []byte(`{"format_version":"1.2","resource_changes":[{"change":{"actions":["create"]}}]}`), 0, "resource_changes[0] has no address"},
		{"after as a list", []byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","name":"r","change":{"actions":["create"],"after":[1,2]}}]}`), 0, "change.after is a list, expected an object"},
		{"before as a string", []byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","name":"r","change":{"actions":["update"],"before":"x","after":{}}}]}`), 0, "change.before is a string"},
		{"after_unknown false is not an object", []byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","name":"r","change":{"actions":["create"],"after":{},"after_unknown":false}}]}`), 0, "change.after_unknown is a boolean"},
		{"address as a number", []byte(`{"format_version":"1.2","resource_changes":[{"address":12,"change":{"actions":["create"]}}]}`), 0, "resource_changes.address: expected string, found JSON number"},
		{"resource_changes as an object", []byte(`{"format_version":"1.2","resource_changes":{"a":1}}`), 0, "resource_changes: expected"},
		{"planned_values resources as a string", []byte(`{"format_version":"1.2","planned_values":{"root_module":{"resources":"x"}}}`), 0, "planned_values.root_module.resources: expected"},
		{"an address with a newline stays on one line", []byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.r\nInjected: line","mode":"managed","type":"aws_iam_role","name":"r"}]}`), 0, "has no change"},
		{"a configuration expression of the wrong type", []byte(`{"format_version":"1.2","configuration":{"root_module":{"resources":[{"address":"aws_iam_role.r","expressions":{"name":7}}]}}}`), 0, "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan.Oracle("dir/my plan.json", bytes.NewReader(tt.in), tt.max)
			if p != nil {
				t.Errorf("Parse returned a plan along with the error")
			}
			checkInputError(t, "dir/my plan.json", err, tt.want)
		})
	}
}

func TestParseRejectsEveryFileOfTestdataBad(t *testing.T) {
	// The wanted substrings follow the implementation's wording; testdata/bad/README.md proposes
	// wording but asks to align it with the implementation.
	want := map[string]string{
		"empty.json":             "empty input",
		"truncated.json":         "unexpected end of JSON input",
		"not-json.txt":           "not a terraform show -json document",
		"array.json":             "not a JSON object",
		"no-format-version.json": "format_version",
		"format-version-2.json":  `unsupported format_version "2.0"`,
		"invalid-utf8.json":      "not valid UTF-8",
		"errored.json":           `the plan is errored ("errored": true)`,
	}
	files, err := filepath.Glob("../../testdata/bad/*")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		base := filepath.Base(f)
		if base == "README.md" {
			continue
		}
		seen++
		t.Run(base+" is an input error", func(t *testing.T) {
			w, ok := want[base]
			if !ok {
				t.Fatalf("no expectation for %s: add it to this test", base)
			}
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			_, err = plan.Oracle(base, fh, 0)
			checkInputError(t, base, err, w)
		})
	}
	if seen != len(want) {
		t.Errorf("testdata/bad holds %d inputs, the test expects %d", seen, len(want))
	}
}

func TestParseTruncatedFileNamesLineAndColumn(t *testing.T) {
	b, err := os.ReadFile("../../testdata/bad/truncated.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = plan.OracleBytes("truncated.json", b)
	lines := bytes.Count(b, []byte("\n")) + 1
	lastLine := b[bytes.LastIndexByte(b, '\n')+1:]
	checkInputError(t, "truncated.json", err, "")
	wantPos := "line " + itoa(lines) + ", column " + itoa(len(lastLine)+1)
	if !strings.Contains(err.Error(), wantPos) {
		t.Errorf("error %q does not name the end of the text (%s)", err, wantPos)
	}
}

func itoa(n int) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestParseTellsPlansFromStates(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want plan.Kind
	}{
		{"a document with planned_values is a plan", `{"format_version":"1.2","planned_values":{}}`, plan.KindPlan},
		{"a document with only resource_changes is a plan", `{"format_version":"1.2","resource_changes":[]}`, plan.KindPlan},
		{"a document with only configuration is a plan", `{"format_version":"1.2","configuration":{}}`, plan.KindPlan},
		{"a document with only prior_state is a plan", `{"format_version":"1.2","prior_state":{}}`, plan.KindPlan},
		{"a document with values is a state", `{"format_version":"1.0","terraform_version":"1.9.5","values":{"root_module":{}}}`, plan.KindState},
		{"an empty state (terraform_version only) is a state", `{"format_version":"1.0","terraform_version":"1.9.5"}`, plan.KindState},
		{"format_version 0.1 is accepted", `{"format_version":"0.1","values":{}}`, plan.KindState},
		{"format_version 1.99 is accepted", `{"format_version":"1.99","values":{}}`, plan.KindState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan.OracleBytes("x.json", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != tt.want {
				t.Errorf("Kind = %q, want %q", p.Kind, tt.want)
			}
		})
	}
}

func TestParseTestdataPlans(t *testing.T) {
	tests := []struct {
		dir  string
		kind plan.Kind
	}{
		{"upstream-v1", plan.KindPlan},
		{"state-upstream-v1", plan.KindState},
		{"utf16-bom", plan.KindPlan},
		{"eks-v20.0", plan.KindPlan},
	}
	for _, tt := range tests {
		t.Run(tt.dir+" parses as a "+string(tt.kind), func(t *testing.T) {
			p := loadPlan(t, "../../testdata/plans/"+tt.dir+"/plan.json")
			if p.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", p.Kind, tt.kind)
			}
			if len(p.Resources) == 0 || len(p.Resources) != len(p.Addresses) {
				t.Errorf("%d resources, %d addresses", len(p.Resources), len(p.Addresses))
			}
		})
	}
	t.Run("utf16-bom indexes the same resources as eks-v20.0", func(t *testing.T) {
		a := loadPlan(t, "../../testdata/plans/utf16-bom/plan.json")
		b := loadPlan(t, "../../testdata/plans/eks-v20.0/plan.json")
		if diff := cmp.Diff(b.Addresses, a.Addresses); diff != "" {
			t.Errorf("addresses (-eks-v20.0 +utf16-bom):\n%s", diff)
		}
	})
}

func loadPlan(t *testing.T, path string) *plan.Plan {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	p, err := plan.Oracle(filepath.Base(path), fh, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIndexMergesSectionsAndSkipsDeposed(t *testing.T) {
	const doc = `{
  "format_version": "1.2",
  "prior_state": {"values": {"root_module": {
    "resources": [
      {"address": "aws_iam_role.kept", "mode": "managed", "type": "aws_iam_role", "name": "kept", "values": {"name": "kept"}},
      {"address": "aws_iam_role.gone", "mode": "managed", "type": "aws_iam_role", "name": "gone", "values": {"name": "gone"}},
      {"address": "aws_iam_role.old", "mode": "managed", "type": "aws_iam_role", "name": "old", "deposed_key": "abcd1234", "values": {"name": "old-deposed"}},
      {"address": "data.aws_region.current", "mode": "data", "type": "aws_region", "name": "current", "values": {"name": "eu-west-1"}}
    ],
    "child_modules": [{"address": "module.m[\"a.b\"]", "resources": [
      {"address": "module.m[\"a.b\"].aws_iam_role.r[0]", "mode": "managed", "type": "aws_iam_role", "name": "r", "index": 0, "values": {"name": "inner"}}
    ]}]
  }}},
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_iam_role.kept", "mode": "managed", "type": "aws_iam_role", "name": "kept", "values": {"name": "kept"}},
    {"address": "aws_iam_role.for[\"x\"]", "mode": "managed", "type": "aws_iam_role", "name": "for", "index": "x", "values": {"name": "fx"}}
  ]}},
  "resource_changes": [
    {"address": "aws_iam_role.kept", "mode": "managed", "type": "aws_iam_role", "name": "kept", "change": {"actions": ["no-op"], "before": {"name": "kept"}, "after": {"name": "kept"}}},
    {"address": "aws_iam_role.gone", "mode": "managed", "type": "aws_iam_role", "name": "gone", "change": {"actions": ["delete"], "before": {"name": "gone"}, "after": null}},
    {"address": "aws_iam_role.old", "mode": "managed", "type": "aws_iam_role", "name": "old", "deposed": "abcd1234", "change": {"actions": ["delete"], "before": {"name": "old-deposed"}, "after": null}},
    {"address": "aws_iam_role.rep", "mode": "managed", "type": "aws_iam_role", "name": "rep", "change": {"actions": ["delete", "create"], "before": {"name": "rep"}, "after": {"name": "rep"}, "after_unknown": {"arn": true, "name": false}}},
    {"address": "aws_iam_role.for[\"x\"]", "mode": "managed", "type": "aws_iam_role", "name": "for", "index": "x", "change": {"actions": ["create"], "after": {"name": "fx"}, "after_unknown": true}},
    {"address": "aws_iam_role.forgotten", "mode": "managed", "type": "aws_iam_role", "name": "forgotten", "change": {"actions": ["forget"], "before": {"name": "f"}, "after": null}}
  ]
}`
	p, err := plan.OracleBytes("p.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`aws_iam_role.for["x"]`, "aws_iam_role.forgotten", "aws_iam_role.gone", "aws_iam_role.kept", "aws_iam_role.rep",
		"data.aws_region.current", `module.m["a.b"].aws_iam_role.r[0]`,
	}
	if diff := cmp.Diff(want, p.Addresses); diff != "" {
		t.Fatalf("Addresses (-want +got):\n%s", diff)
	}
	type row struct {
		Action, Module, Mode string
		Index                any
		Deleted              bool
		Name                 string
		NameKnown            bool
		ArnUnknown           bool
	}
	got := map[string]row{}
	for _, a := range p.Addresses {
		r := p.Resources[a]
		n, ok := r.String("name")
		got[a] = row{r.Action, r.Module, r.Mode, r.Index, r.Deleted(), n, ok, r.Unknown("arn")}
	}
	wantRows := map[string]row{
		`aws_iam_role.for["x"]`:             {"create", "", "managed", "x", false, "fx", true, false},
		"aws_iam_role.forgotten":            {"forget", "", "managed", nil, false, "", false, false},
		"aws_iam_role.gone":                 {"delete", "", "managed", nil, true, "gone", true, false},
		"aws_iam_role.kept":                 {"no-op", "", "managed", nil, false, "kept", true, false},
		"aws_iam_role.rep":                  {"replace", "", "managed", nil, false, "rep", true, true},
		"data.aws_region.current":           {"", "", "data", nil, false, "eu-west-1", true, false},
		`module.m["a.b"].aws_iam_role.r[0]`: {"", `module.m["a.b"]`, "managed", 0, false, "inner", true, false},
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if p.Resources["aws_iam_role.gone"].After != nil {
		t.Errorf("a deleted resource keeps After")
	}
	if p.Resources["aws_iam_role.gone"].Values().Value("name") != "gone" {
		t.Errorf("a deleted resource's Values should fall back to prior state")
	}
	if r := p.Resources[`aws_iam_role.for["x"]`]; r.AfterUnknown != nil {
		t.Errorf("after_unknown true (wholly unknown) should leave AfterUnknown nil, got %v", r.AfterUnknown)
	}
}

func TestRealPlanCorpus(t *testing.T) {
	// This test reads ../shared (the corpus of real plans from public projects, outside the
	// repository) and skips when it is absent.
	const dir = "../../../shared/corpus/real-plans"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared corpus not present: ", err)
	}
	// Counts computed independently (Python over planned_values + prior_state (+ values for
	// states) + resource_changes, deposed objects excluded). roles counts managed aws_iam_role
	// resources whose action is not delete.
	want := map[string][2]int{
		"awslabs__terraform-iam-policy-validator__iam_check__test__iam_policy__test_plan.json":                          {2, 0},
		"awslabs__terraform-iam-policy-validator__iam_check__test__identity_policies__test_plan.json":                   {11, 2},
		"awslabs__terraform-iam-policy-validator__iam_check__test__public_access__test_plan.json":                       {40, 2},
		"bridgecrewio__checkov__tests__terraform__checks__data__aws__example_GithubActionsOIDCTrustPolicy__tfplan.json": {9, 4},
		"bridgecrewio__checkov__tests__terraform__runner__resources__plan_with_iam_data_block__tfplan.json":             {3, 0},
		"bridgecrewio__checkov__tests__terraform__runner__resources__plan_with_iam_policies__tfplan.json":               {8, 1},
		"bridgecrewio__checkov__tests__terraform__runner__resources__plan_with_utf_16_encoding__tfplan.json":            {3, 0},
		"eerkunt__terraform-compliance__tests__functional__test_issue-177__plan.out.json":                               {1, 0},
		"eerkunt__terraform-compliance__tests__functional__test_issue-249__plan.out.json":                               {46, 4},
		"fugue__regula__rego__tests__rules__tf__aws__iam__inputs__admin_policy_infra.json":                              {11, 1},
		"fugue__regula__rego__tests__rules__tf__aws__iam__inputs__user_attached_policy_infra.json":                      {26, 1},
		"infracost__infracost__cmd__infracost__testdata__terraform_v0.14_plan.json":                                     {32, 2},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("../shared corpus not present: no *.json in ", dir)
	}
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(base+" has the expected resources and roles", func(t *testing.T) {
			w, ok := want[base]
			if !ok {
				t.Fatalf("no expected counts for %s: add them to this test", base)
			}
			p := loadPlan(t, f)
			roles := 0
			for _, r := range p.Resources {
				if r.Mode == "managed" && r.Type == "aws_iam_role" && !r.Deleted() {
					roles++
				}
			}
			if got := [2]int{len(p.Resources), roles}; got != w {
				t.Errorf("(resources, roles) = %v, want %v", got, w)
			}
		})
	}
}

func TestResourceUnknown(t *testing.T) {
	const doc = `{"format_version": "1.2", "resource_changes": [
  {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
   "change": {"actions": ["create"],
     "after": {"name": "r", "roles": ["a"], "inline_policy": [{"name": "x", "policy": "{}"}], "policy_arns": ["arn:x", null], "blocks": [{"name": "b"}], "s": "v"},
     "after_unknown": {"arn": true, "name": false, "roles": [false], "inline_policy": [{}], "policy_arns": [false, true],
                       "blocks": [{"policy": true}], "empty": [], "s": "surprise"}}}]}`
	p, err := plan.OracleBytes("u.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Resources["aws_iam_role.r"]
	tests := []struct {
		attr string
		want bool
	}{
		{"arn", true},
		{"name", false},
		{"roles", false},
		{"inline_policy", false},
		{"policy_arns", true},
		{"blocks", true},
		{"empty", false},
		{"s", false},
		{"absent", false},
	}
	for _, tt := range tests {
		t.Run("after_unknown."+tt.attr+" is unknown: "+map[bool]string{true: "yes", false: "no"}[tt.want], func(t *testing.T) {
			if got := r.Unknown(tt.attr); got != tt.want {
				t.Errorf("Unknown(%q) = %v, want %v", tt.attr, got, tt.want)
			}
		})
	}
	if _, ok := r.String("arn"); ok {
		t.Errorf("String(arn) is known")
	}
	if s, ok := r.String("name"); !ok || s != "r" {
		t.Errorf("String(name) = %q, %v", s, ok)
	}
	if _, ok := r.String("roles"); ok {
		t.Errorf("String(roles) of a list reports a string")
	}
}
