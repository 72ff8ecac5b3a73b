package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// planTimestamp replaces the plan's timestamp, which changes from run to run.
const planTimestamp = "2024-08-20T10:15:42Z"

// normalizePlan returns Terraform's bytes with only what changes from run to run made stable:
// the top-level timestamp is replaced, and the entries of relevant_attributes (which Terraform
// lists in map order) are sorted. Nothing is re-encoded: every other byte, and every entry's own
// bytes, stay as Terraform printed them.
func normalizePlan(raw []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("read plan JSON: %w", err)
	}
	ts, ok := top["timestamp"]
	if !ok {
		return nil, fmt.Errorf("plan JSON has no timestamp")
	}
	out, err := replaceMember(raw, "timestamp", ts, []byte(`"`+planTimestamp+`"`))
	if err != nil {
		return nil, err
	}
	if ra, ok := top["relevant_attributes"]; ok {
		var entries []json.RawMessage
		if err := json.Unmarshal(ra, &entries); err != nil {
			return nil, fmt.Errorf("read relevant_attributes: %w", err)
		}
		sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i], entries[j]) < 0 })
		sorted := append([]byte("["), bytes.Join(bytesOf(entries), []byte(","))...)
		sorted = append(sorted, ']')
		if out, err = replaceMember(out, "relevant_attributes", ra, sorted); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// replaceMember replaces the value old of the member key in doc by new, where `"key":old` must
// occur exactly once.
func replaceMember(doc []byte, key string, old, new []byte) ([]byte, error) {
	member := append([]byte(`"`+key+`":`), old...)
	if n := bytes.Count(doc, member); n != 1 {
		return nil, fmt.Errorf("plan JSON holds its %s member %d times as text, want once", key, n)
	}
	return bytes.Replace(doc, member, append([]byte(`"`+key+`":`), new...), 1), nil
}

func bytesOf(r []json.RawMessage) [][]byte {
	out := make([][]byte, len(r))
	for i := range r {
		out[i] = r[i]
	}
	return out
}

// splice adds what the file at path holds (written by hand: the resources of providers the
// mirror lacks) to the plan: {"resource_changes": [...], "planned_values": [...],
// "prior_state": [...]}, each list's entries at the start of the plan's resource_changes and of
// the root module's resources in planned_values and prior_state. Each entry is compacted;
// Terraform's own bytes stay as they are.
func splice(raw []byte, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read splice: %w", err)
	}
	var add struct {
		ResourceChanges []json.RawMessage `json:"resource_changes"`
		PlannedValues   []json.RawMessage `json:"planned_values"`
		PriorState      []json.RawMessage `json:"prior_state"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&add); err != nil {
		return nil, fmt.Errorf("read splice %s: %w", path, err)
	}
	for _, part := range []struct {
		anchor  string
		after   string
		entries []json.RawMessage
	}{
		{`"resource_changes":[`, "", add.ResourceChanges},
		{`"root_module":{`, `"planned_values":{`, add.PlannedValues},
		{`"root_module":{`, `"prior_state":{`, add.PriorState},
	} {
		if len(part.entries) == 0 {
			continue
		}
		if raw, err = insertEntries(raw, part.after, part.anchor, part.entries); err != nil {
			return nil, fmt.Errorf("splice %s: %w", path, err)
		}
	}
	return raw, nil
}

// insertEntries inserts entries at the start of the array that anchor opens: the first
// occurrence of anchor after the first occurrence of after ("" for the start of doc). An anchor
// ending in "{" opens a module: the entries go into its resources, which a module whose
// resources all sit in child modules lacks.
func insertEntries(doc []byte, after, anchor string, entries []json.RawMessage) ([]byte, error) {
	from := 0
	if after != "" {
		if from = bytes.Index(doc, []byte(after)); from < 0 {
			return nil, fmt.Errorf("the plan has no %s", after)
		}
	}
	i := bytes.Index(doc[from:], []byte(anchor))
	if i < 0 {
		return nil, fmt.Errorf("the plan has no %s after %q", anchor, after)
	}
	at := from + i + len(anchor)
	open, close := "", ""
	if strings.HasSuffix(anchor, "{") {
		if rest := []byte(`"resources":[`); bytes.HasPrefix(doc[at:], rest) {
			at += len(rest)
		} else {
			open, close = `"resources":[`, "],"
		}
	}
	var ins bytes.Buffer
	ins.WriteString(open)
	for _, e := range entries {
		if err := json.Compact(&ins, e); err != nil {
			return nil, err
		}
		ins.WriteByte(',')
	}
	insert := ins.Bytes()
	if close != "" || doc[at] == ']' {
		insert = insert[:len(insert)-1]
	}
	insert = append(insert, close...)
	out := make([]byte, 0, len(doc)+len(insert))
	out = append(out, doc[:at]...)
	out = append(out, insert...)
	return append(out, doc[at:]...), nil
}
