package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// hostileBase is a clean plan with a detected Karpenter controller role; the hostile cases corrupt
// one part of it. The controller role's managed policy is hostilePolicy.
const (
	hostileBase   = "../../testdata/plans/upstream-v1/plan.json"
	hostilePolicy = "aws_iam_policy.karpenter_controller"
)

// hostileDoc decodes hostileBase (numbers kept as written) for a case to corrupt.
func hostileDoc(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(hostileBase)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func hostileJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileEdit returns hostileBase with edit applied.
func hostileEdit(edit func(doc map[string]any)) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		doc := hostileDoc(t)
		edit(doc)
		return hostileJSON(t, doc)
	}
}

// hostileChange returns the change of the resource_changes entry at addr.
func hostileChange(doc map[string]any, addr string) map[string]any {
	for _, rc := range doc["resource_changes"].([]any) {
		m := rc.(map[string]any)
		if m["address"] == addr {
			return m["change"].(map[string]any)
		}
	}
	panic("no resource_changes entry " + addr)
}

// hostileSetPolicy gives the controller's managed policy a new policy value in every section of the
// plan (after, planned values, prior state), so no fallback finds the clean text.
func hostileSetPolicy(v any) func(t *testing.T) []byte {
	return hostileEdit(func(doc map[string]any) {
		hostileChange(doc, hostilePolicy)["after"].(map[string]any)["policy"] = v
		for _, section := range []map[string]any{doc["planned_values"].(map[string]any), doc["prior_state"].(map[string]any)["values"].(map[string]any)} {
			for _, r := range section["root_module"].(map[string]any)["resources"].([]any) {
				if m := r.(map[string]any); m["address"] == hostilePolicy {
					m["values"].(map[string]any)["policy"] = v
				}
			}
		}
	})
}

// hostilePolicyText gives the controller's managed policy this policy text.
func hostilePolicyText(text string) func(t *testing.T) []byte {
	return hostileSetPolicy(text)
}

func hostileBytes(b []byte) func(*testing.T) []byte { return func(*testing.T) []byte { return b } }

func hostileUTF16LE(units ...uint16) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range units {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestScanFailsClosedOnHostileInput drives `karpgate scan FILE` over hostile inputs. Every one
// ends with exit 3 and one line on stderr naming the file (and the JSON path where there is one),
// or, when the plan is fine but a Karpenter role's policy is not a valid IAM document, with exit 1
// and a KARP022 finding naming the resource, the attribute and the JSON path. Never a panic, never
// exit 0.
func TestScanFailsClosedOnHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and scans 10 MB inputs")
	}
	huge := strings.Repeat("A", 10<<20)
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	tests := []struct {
		name  string
		input func(t *testing.T) []byte
		args  []string // extra flags before the file
		// exit 3: substrings of the stderr line; exit 1: substrings of the KARP022 message.
		want     []string
		wantCode int
	}{
		{"an empty file", hostileBytes(nil), nil, []string{"empty input"}, ExitInput},
		{"only whitespace", hostileBytes([]byte(" \n\t\r\n")), nil, []string{"empty input"}, ExitInput},
		{"truncated JSON", func(t *testing.T) []byte {
			b, err := os.ReadFile(hostileBase)
			if err != nil {
				t.Fatal(err)
			}
			return b[:len(b)/2]
		}, nil, []string{"not valid JSON at line", "unexpected end of JSON input"}, ExitInput},
		{"a JSON array at the top level", hostileBytes([]byte(`[{"format_version":"1.2"}]`)), nil, []string{"top level is not a JSON object"}, ExitInput},
		{"a JSON string at the top level", hostileBytes([]byte(`"format_version"`)), nil, []string{"top level is not a JSON object"}, ExitInput},
		{"a JSON number at the top level", hostileBytes([]byte(`1.2`)), nil, []string{"top level is not a JSON object"}, ExitInput},
		{"null at the top level", hostileBytes([]byte(`null`)), nil, []string{"top level is not a JSON object"}, ExitInput},
		{"two documents", func(t *testing.T) []byte {
			b, err := os.ReadFile(hostileBase)
			if err != nil {
				t.Fatal(err)
			}
			return append(append(b, '\n'), b...)
		}, nil, []string{"not valid JSON at line", "after top-level value"}, ExitInput},
		{"100,000-deep nesting at the top level", hostileBytes([]byte(deep)), nil, []string{"top level is not a JSON object"}, ExitInput},
		{"100,000-deep nesting inside the plan", hostileBytes([]byte(`{"format_version":"1.2","planned_values":` + deep + `}`)), nil,
			[]string{"$.planned_values: expected an object, found a list"}, ExitInput},
		{"100,000 unclosed brackets", hostileBytes([]byte(`{"format_version":"1.2","x":` + strings.Repeat("[", 100000))), nil,
			[]string{"not valid JSON", "exceeded max depth"}, ExitInput},
		{"a 10 MB unterminated string", hostileBytes([]byte(`{"format_version":"1.2","terraform_version":"` + huge)), nil,
			[]string{"not valid JSON", "unexpected end of JSON input"}, ExitInput},
		{"a 10 MB format_version", hostileBytes([]byte(`{"format_version":"1.` + huge + `"}`)), nil,
			[]string{"format_version", "is not MAJOR.MINOR", "bytes left out]"}, ExitInput},
		{"a 10 MB address", hostileEdit(func(doc map[string]any) {
			doc["resource_changes"] = append(doc["resource_changes"].([]any), map[string]any{"address": huge, "mode": "managed", "type": "aws_iam_role", "name": "x"})
		}), nil, []string{"resource_changes[10] (AAAA", "bytes left out]", "has no change"}, ExitInput},
		{"the number 1e999999 as an attribute value", hostileEdit(func(doc map[string]any) {
			hostileChange(doc, hostilePolicy)["after"].(map[string]any)["attachment_count"] = json.Number("1e999999")
		}), nil, []string{"$.resource_changes[1]", "change.after", "number 1e999999"}, ExitInput},
		{"the number 1e999999 as a resource index", hostileEdit(func(doc map[string]any) {
			doc["resource_changes"].([]any)[0].(map[string]any)["index"] = json.Number("1e999999")
		}), nil, []string{"$.resource_changes[0]", "index", "number 1e999999"}, ExitInput},
		{"the number 1e999999 as a variable", hostileEdit(func(doc map[string]any) {
			doc["variables"] = map[string]any{"region": map[string]any{"value": json.Number("-1e999999")}}
		}), nil, []string{"$.variables", "value", "number -1e999999"}, ExitInput},
		{"invalid UTF-8 in a string value", func(t *testing.T) []byte {
			// Raw bytes: json.Marshal would have replaced them with U+FFFD.
			return bytes.Replace(hostileJSON(t, hostileDoc(t)), []byte(`"terraform_version":"`), []byte("\"terraform_version\":\"\xff\xfe\xc3"), 1)
		}, nil, []string{"not valid UTF-8 at byte"}, ExitInput},
		{"Latin-1 bytes in a description (testdata/bad/invalid-utf8.json)", func(t *testing.T) []byte {
			b, err := os.ReadFile("../../testdata/bad/invalid-utf8.json")
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, nil, []string{"not valid UTF-8 at byte"}, ExitInput},
		{"a UTF-16 LE file with an odd number of bytes", hostileBytes(append(hostileUTF16LE(utf16.Encode([]rune(`{"format_version":"1.2"}`))...), '\n')), nil,
			[]string{"UTF-16 text has an odd number of bytes"}, ExitInput},
		{"a UTF-16 LE file with a lone high surrogate", hostileBytes(hostileUTF16LE(append(utf16.Encode([]rune(`{"format_version":"1.2","x":"`)), 0xD800, '"', '}')...)), nil,
			[]string{"invalid UTF-16 surrogate at byte"}, ExitInput},
		{"a UTF-16 LE file with a lone low surrogate", hostileBytes(hostileUTF16LE(0xDC00, '{', '}')), nil,
			[]string{"invalid UTF-16 surrogate at byte 2"}, ExitInput},
		{"UTF-16 without a byte order mark", hostileBytes(hostileUTF16LE(utf16.Encode([]rune(`{"format_version":"1.2"}`))...)[2:]), nil,
			[]string{`invalid character '\x00'`}, ExitInput},
		{"a duplicate top-level key", func(t *testing.T) []byte {
			b := hostileJSON(t, hostileDoc(t))
			return append([]byte(`{"format_version":"9.0",`), b[1:]...)
		}, nil, []string{`$: duplicate key "format_version"`}, ExitInput},
		{"a duplicate key in a resource's values", func(t *testing.T) []byte {
			b := hostileJSON(t, hostileDoc(t))
			return bytes.Replace(b, []byte(`"policy":"{`), []byte(`"policy":"{}","policy":"{`), 1)
		}, nil, []string{`$.planned_values.root_module.resources[1].values: duplicate key "policy"`}, ExitInput},
		{"a duplicate key inside the policy text", hostilePolicyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}]}`), nil,
			[]string{hostilePolicy + ".policy", `$.Statement[0]`, `duplicate key "Effect"`}, ExitPolicy},

		// Every field karpgate reads, with the wrong type.
		{"policy as an object", hostileSetPolicy(map[string]any{"Statement": []any{}}), nil,
			[]string{hostilePolicy + ".policy", "$", "policy is an object, not a JSON string"}, ExitPolicy},
		{"policy as a number", hostileSetPolicy(json.Number("42")), nil,
			[]string{hostilePolicy + ".policy", "$", "policy is a number, not a JSON string"}, ExitPolicy},
		{"policy text that is not JSON", hostilePolicyText(`{"Version":"2012-10-17","Statement":[`), nil,
			[]string{hostilePolicy + ".policy", "$", "not valid JSON"}, ExitPolicy},
		{"policy text that is a 10 MB string", hostilePolicyText(huge), nil,
			[]string{hostilePolicy + ".policy", "$", "not valid JSON"}, ExitPolicy},
		{"policy text with a stray closing brace", hostilePolicyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}}`), nil,
			[]string{hostilePolicy + ".policy", "$", "text after the policy object"}, ExitPolicy},
		{"Statement as a number", hostilePolicyText(`{"Version":"2012-10-17","Statement":7}`), nil,
			[]string{hostilePolicy + ".policy", "$.Statement", "Statement is a number"}, ExitPolicy},
		{"Action as a number", hostilePolicyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`), nil,
			[]string{hostilePolicy + ".policy", "$.Statement[0].Action", "Action is a number"}, ExitPolicy},
		{"Condition values as objects", hostilePolicyText(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":{"x":"eu-west-1"}}}}]}`), nil,
			[]string{hostilePolicy + ".policy", "$.Statement[0].Condition.StringEquals.aws:RequestedRegion", "condition value is an object"}, ExitPolicy},
		{"after as a list", hostileEdit(func(doc map[string]any) {
			hostileChange(doc, hostilePolicy)["after"] = []any{"policy"}
		}), nil, []string{"$.resource_changes[1].change.after: expected an object or null, found a list"}, ExitInput},
		{"change missing", hostileEdit(func(doc map[string]any) {
			for _, rc := range doc["resource_changes"].([]any) {
				if m := rc.(map[string]any); m["address"] == hostilePolicy {
					delete(m, "change")
				}
			}
		}), nil, []string{"resource_changes[1] (" + hostilePolicy + ") has no change"}, ExitInput},
		{"address as a number", hostileEdit(func(doc map[string]any) {
			doc["resource_changes"].([]any)[1].(map[string]any)["address"] = json.Number("7")
		}), nil, []string{"$.resource_changes[1].address: expected a string or null, found a number"}, ExitInput},
		{"resource_changes as an object", hostileEdit(func(doc map[string]any) {
			doc["resource_changes"] = map[string]any{"address": hostilePolicy}
		}), nil, []string{"$.resource_changes: expected a list, found an object"}, ExitInput},
		{"planned_values.root_module.resources as a string", hostileEdit(func(doc map[string]any) {
			doc["planned_values"].(map[string]any)["root_module"].(map[string]any)["resources"] = "aws_iam_role.r"
		}), nil, []string{"$.planned_values.root_module.resources: expected a list, found a string"}, ExitInput},
		{"format_version as a number", hostileEdit(func(doc map[string]any) {
			doc["format_version"] = json.Number("1.2")
		}), nil, []string{"$.format_version: expected a string, found a number"}, ExitInput},
		{"configuration.root_module.module_calls as a list", hostileEdit(func(doc map[string]any) {
			doc["configuration"].(map[string]any)["root_module"].(map[string]any)["module_calls"] = []any{map[string]any{"source": "./m"}}
		}), nil, []string{"$.configuration.root_module.module_calls: expected an object, found a list"}, ExitInput},

		// Memory bounds.
		{"a plan over --max-plan-size", func(t *testing.T) []byte {
			b, err := os.ReadFile(hostileBase)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, []string{"--max-plan-size", "4096"}, []string{"larger than the limit of 4096 bytes (--max-plan-size)"}, ExitInput},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("case%03d.json", i))
			if err := os.WriteFile(file, tt.input(t), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append(append([]string{"scan", "--format", "json"}, tt.args...), file)
			var out, errOut bytes.Buffer
			code := runShared(context.Background(), args, strings.NewReader(""), &out, &errOut)
			stderr := errOut.String()
			t.Logf("exit %d, stderr: %.300s", code, stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %.500s", code, tt.wantCode, stderr)
			}
			switch code {
			case ExitInput:
				if out.Len() != 0 {
					t.Errorf("stdout has a report on an input error: %.200s", out.String())
				}
				if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
					t.Errorf("stderr is not one line: %.500q", stderr)
				}
				if len(stderr) > 2048 {
					t.Errorf("stderr is %d bytes", len(stderr))
				}
				if !strings.HasPrefix(stderr, "karpgate: "+file+": ") {
					t.Errorf("stderr does not name the file first: %.500s", stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr does not say %q: %.500s", w, stderr)
					}
				}
			case ExitPolicy:
				if stderr != "" {
					t.Errorf("stderr on a policy failure: %.500s", stderr)
				}
				checkKARP022(t, out.Bytes(), tt.want)
			}
		})
	}
}

// checkKARP022 asserts that the JSON report has a failing KARP022 finding on the controller's
// policy whose message says every one of want.
func checkKARP022(t *testing.T, report []byte, want []string) {
	t.Helper()
	var got jsonResult
	if err := json.Unmarshal(report, &got); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if got.Summary.Passed {
		t.Error("the gate passed")
	}
	var msgs []string
	for _, f := range got.Findings {
		if f.RuleID != "KARP022" {
			continue
		}
		msgs = append(msgs, f.Message)
		if f.Address != hostilePolicy || f.Severity != "error" || f.Suppression != nil {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(f.Message, w)
		}
		if ok {
			return
		}
	}
	t.Errorf("no KARP022 error on %s saying %q; KARP022 messages: %q", hostilePolicy, want, msgs)
}
