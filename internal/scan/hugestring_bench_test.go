package scan

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScanHugeString scans a real plan (testdata/plans/upstream-v1) with one resource change
// added that holds one huge string: in a resource karpgate skips (an S3 object's content) and in
// one it keeps (an IAM role's description). It reports peak-MB as the other benchmarks do, and
// peak/string: the peak over the string's size (docs/security.md's sizing rule). The string is
// 256 MiB, or 64 MiB with -short.
func BenchmarkScanHugeString(b *testing.B) {
	size := 256 << 20
	if testing.Short() {
		size = 64 << 20
	}
	for _, c := range []struct{ name, typ, attr string }{
		{"skipped", "aws_s3_object", "content"},
		{"kept", "aws_iam_role", "description"},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := hugeStringPlan(b, c.typ, c.attr, size)
			op := scanOp(benchScanner(b, false), []Source{{Name: path}})
			measure(b, fmt.Sprintf("huge-%dMiB", size>>20), "HugeString/"+c.name, op)
			bench.mu.Lock()
			peak := bench.results[fmt.Sprintf("huge-%dMiB", size>>20)]["HugeString/"+c.name].peakMB
			bench.mu.Unlock()
			b.ReportMetric(peak/float64(size>>20), "peak/string")
		})
	}
}

// hugeStringPlan writes the upstream plan with one extra resource change of the given type whose
// attribute is a string of size bytes, first in resource_changes.
func hugeStringPlan(b *testing.B, typ, attr string, size int) string {
	b.Helper()
	src, err := os.ReadFile("../../testdata/plans/upstream-v1/plan.json")
	if err != nil {
		b.Skipf("plan fixture: %v", err)
	}
	marker := []byte(`"resource_changes":[`)
	i := bytes.Index(src, marker)
	if i < 0 {
		b.Fatal("no resource_changes in the fixture")
	}
	i += len(marker)
	path := filepath.Join(b.TempDir(), "huge.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(src[:i])
	fmt.Fprintf(w, `{"address":"%s.huge","mode":"managed","type":"%s","name":"huge","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],"before":null,"after":{"%s":"`, typ, typ, attr)
	if _, err := io.CopyN(w, repeatReader('a'), int64(size)); err != nil {
		b.Fatal(err)
	}
	w.WriteString(`"},"after_unknown":{},"before_sensitive":false,"after_sensitive":{}}},`)
	w.Write(src[i:])
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}
