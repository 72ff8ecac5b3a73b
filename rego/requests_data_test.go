package rego

import "testing"

func TestInRange(t *testing.T) {
	for _, c := range []struct {
		r, m string
		want bool
	}{
		{"*", "0.32", true}, {"1.3+", "1.12", true}, {"1.3+", "1.2", false}, {"0.33-1.3", "1.0", true},
		{"0.33-1.3", "1.4", false}, {"0.33-1.3", "0.32", false}, {"1.0", "1.0", true}, {"1.0", "1.10", false},
	} {
		got, err := InRange(c.r, c.m)
		if err != nil || got != c.want {
			t.Errorf("InRange(%q, %q) = %v, %v; want %v", c.r, c.m, got, err, c.want)
		}
	}
	if _, err := InRange("1.x+", "1.0"); err == nil {
		t.Error("InRange accepted a malformed range")
	}
}

// TestRequestsExpanded checks the precomputed minors and eras of the embedded request data.
func TestRequestsExpanded(t *testing.T) {
	root, err := Data()
	if err != nil {
		t.Fatal(err)
	}
	reqs := dig(root, Root, "karpenter", "requests").(map[string]any)
	byID := map[string]map[string]any{}
	for _, e := range asList(reqs["list"]) {
		m := e.(map[string]any)
		byID[m["id"].(string)] = m
	}
	q := byID["sqs-getqueueurl"]["minors"].(map[string]any)
	if q["0.32"] != "degraded" || q["0.33"] != "start" || q["1.3"] != "start" || q["1.4"] != "degraded" {
		t.Errorf("sqs-getqueueurl minors = %v", q)
	}
	if _, ok := byID["describeinstancestatus"]["minors"].(map[string]any)["1.11"]; ok {
		t.Error("describeinstancestatus is requested in 1.11")
	}
	eras := asList(reqs["eras"])
	n := 0
	for _, e := range eras {
		n += len(asList(e))
	}
	if n != len(asList(reqs["versions"])) || len(eras) >= n {
		t.Errorf("eras %v do not group the %d versions", eras, n)
	}
	// 1.12, 1.13 and 1.14 make the same requests; 1.11 and 1.12 do not.
	found := false
	for _, e := range eras {
		l := asList(e)
		if len(l) == 3 && l[0] == "1.12" && l[2] == "1.14" {
			found = true
		}
	}
	if !found {
		t.Errorf("eras %v do not group 1.12-1.14", eras)
	}
}
