package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func TestSummarise(t *testing.T) {
	stream := strings.Join([]string{
		`{"Action":"start","Package":"github.com/karpgate/karpgate/internal/a"}`,
		`{"Action":"start","Package":"github.com/karpgate/karpgate/internal/b"}`,
		`{"Action":"run","Package":"github.com/karpgate/karpgate/internal/a","Test":"TestSlow"}`,
		`{"Action":"output","Package":"github.com/karpgate/karpgate/internal/a","Test":"TestSlow","Output":"quiet on success\n"}`,
		`{"Action":"pass","Package":"github.com/karpgate/karpgate/internal/a","Test":"TestSlow","Elapsed":2.5}`,
		`{"Action":"pass","Package":"github.com/karpgate/karpgate/internal/a","Test":"TestFast","Elapsed":0.1}`,
		`{"Action":"output","Package":"github.com/karpgate/karpgate/internal/b","Test":"TestBroken","Output":"    b_test.go:9: want 1, got 2\n"}`,
		`{"Action":"fail","Package":"github.com/karpgate/karpgate/internal/b","Test":"TestBroken","Elapsed":0.2}`,
		`{"Action":"run","Package":"github.com/karpgate/karpgate/internal/b","Test":"TestHangs"}`,
		`{"Action":"output","Package":"github.com/karpgate/karpgate/internal/b","Test":"TestHangs","Output":"panic: test timed out after 10m0s\n"}`,
		`{"Action":"fail","Package":"github.com/karpgate/karpgate/internal/b","Elapsed":0.3}`,
		`{"Action":"pass","Package":"github.com/karpgate/karpgate/internal/a","Elapsed":2.7}`,
		`# a build error printed as text`,
	}, "\n")
	var out bytes.Buffer
	running := map[string]*pkgState{}
	failed := summarise(strings.NewReader(stream), &out, &sync.Mutex{}, running)
	got := out.String()
	if !failed {
		t.Error("a failed test was not reported as a failure")
	}
	for _, want := range []string{
		"b_test.go:9: want 1, got 2",
		"panic: test timed out after 10m0s",
		"FAIL internal/b",
		"ok   internal/a",
		"slowest: TestSlow 2.5s",
		"# a build error printed as text",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "quiet on success") {
		t.Errorf("the output of a passing test was printed:\n%s", got)
	}
	if strings.Index(got, "internal/b") > strings.Index(got, "internal/a") {
		t.Errorf("packages are not printed in the order they finish:\n%s", got)
	}
	if len(running) != 0 {
		t.Errorf("finished packages still listed as running: %v", running)
	}
}
