package main

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// planTimestamp replaces the plan's timestamp, the one field of `terraform show -json` that
// changes from run to run.
const planTimestamp = "2024-08-20T10:15:42Z"

// normalizePlan returns Terraform's bytes with only the top-level timestamp value replaced.
// Nothing is re-encoded: key order, escaping and layout stay as Terraform printed them.
func normalizePlan(raw []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("read plan JSON: %w", err)
	}
	ts, ok := top["timestamp"]
	if !ok {
		return nil, fmt.Errorf("plan JSON has no timestamp")
	}
	old := append([]byte(`"timestamp":`), ts...)
	if n := bytes.Count(raw, old); n != 1 {
		return nil, fmt.Errorf("plan JSON holds %s %d times, want once", old, n)
	}
	return bytes.Replace(raw, old, []byte(`"timestamp":"`+planTimestamp+`"`), 1), nil
}
