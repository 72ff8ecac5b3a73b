package engine

import (
	"context"
	"testing"
)

// BenchmarkNew builds an engine with the embedded rules alone: parse, compile, prepare the query.
// Every `karpgate scan` pays this once (BenchmarkScanOneRole in internal/cli is the whole scan).
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(context.Background(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
