// Command gen writes a synthetic `terraform show -json` plan for benchmarks (see package plangen):
//
//	go run ./internal/plan/testdata/gen -n 100000 -seed 1 -o /tmp/plan-100k.json
//
// Generated plans are never committed.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/karpgate/karpgate/internal/plan/plangen"
)

func main() {
	n := flag.Int("n", 1000, "number of resource changes")
	seed := flag.Int64("seed", 1, "random seed; the same seed and n give the same bytes")
	out := flag.String("o", "-", "output file, - for stdout")
	flag.Parse()
	if err := run(*n, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(n int, seed int64, out string) error {
	if out == "-" {
		return plangen.Write(os.Stdout, n, seed)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := plangen.Write(f, n, seed); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
