package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
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
