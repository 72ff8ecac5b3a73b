package plan

import (
	"github.com/karpgate/karpgate/internal/jsontext"

	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withHugeString returns the upstream plan with one resource change added first whose attribute
// is a string of size bytes.
func withHugeString(t *testing.T, typ, attr string, size int) []byte {
	t.Helper()
	src, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		t.Skipf("plan fixture: %v", err)
	}
	marker := []byte(`"resource_changes":[`)
	i := bytes.Index(src, marker)
	if i < 0 {
		t.Fatal("no resource_changes in the fixture")
	}
	i += len(marker)
	var b bytes.Buffer
	b.Write(src[:i])
	fmt.Fprintf(&b, `{"address":"%s.huge","mode":"managed","type":"%s","name":"huge","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],"before":null,"after":{"%s":"%s","tags":{"k":"v"}},"after_unknown":{},"before_sensitive":false,"after_sensitive":{}}},`,
		typ, typ, attr, strings.Repeat("a", size))
	b.Write(src[i:])
	return b.Bytes()
}

// TestSkippedHugeStringKeepsTheWindowSmall: a huge string in a resource the caller does not keep
// slides through the window instead of growing it to the string's size.
func TestSkippedHugeStringKeepsTheWindowSmall(t *testing.T) {
	raw := withHugeString(t, "aws_s3_object", "content", 20<<20)
	f := &fastDoc{l: jsontext.NewStream(bytes.NewReader(raw), DefaultMaxSize, 4096), keep: KeepIAM}
	if _, err := f.parse("plan.json", nil); err != nil {
		t.Fatal(err)
	}
	if c := cap(f.l.Buffered()); c > 1<<20 {
		t.Errorf("the window grew to %d bytes for a skipped string of %d", c, 20<<20)
	}
}

// TestHugeKeptStringStreamsCorrectly: a kept value larger than jsontext.BigSpan (the window grows to what
// the file has left, and own takes the window's array) parses to the same plan as the whole text,
// from a file (size known) and from a pipe-like reader (size unknown), and the text after it is
// still read right.
func TestHugeKeptStringStreamsCorrectly(t *testing.T) {
	raw := withHugeString(t, "aws_iam_role", "description", jsontext.BigSpan+(4<<20))
	whole, err := Read("plan.json", bytes.NewReader(raw), Options{Keep: KeepIAM, Text: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for name, r := range map[string]io.Reader{"file": file, "pipe": io.MultiReader(bytes.NewReader(raw))} {
		t.Run(name, func(t *testing.T) {
			stream, err := Read("plan.json", r, Options{Keep: KeepIAM, Split: true})
			if err != nil {
				t.Fatal(err)
			}
			samePlan(t, whole, stream)
		})
	}
}
