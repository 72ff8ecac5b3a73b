package scan

// Benchmarks of the whole pipeline on generated plans (internal/plan/plangen), run by `make bench`.
// Each stage has its own benchmark so a profile can be read against the floor, decoding the same
// file with encoding/json into any:
//
//	BenchmarkDecodeAny           os.ReadFile + json.Unmarshal into any (the floor of issue 7's targets)
//	BenchmarkLoad                plan.Read keeping the IAM resources (what a scan does)
//	BenchmarkFacts               facts.Build on a plan read with every resource kept
//	BenchmarkEval                input.iam to an OPA value + engine Eval with the embedded rules
//	BenchmarkScan                Scanner.Scan of the file + the SARIF writer (what `karpgate scan` does)
//	BenchmarkScanWithPlanPolicy  the same with a user policy that reads input.plan
//	BenchmarkScanMany            twenty ~5 MB plans in one Scan (Workers = GOMAXPROCS)
//
// Every benchmark reports peak-MB, the high-water mark of heap objects during one operation above
// the collected heap it starts from, sampled every millisecond. TestMain prints the ratios of issue 7 for every size that ran both
// DecodeAny and a Scan. The 100k plan (about 340 MB) and ScanMany run only without -short.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/karpgate/karpgate/internal/config"
	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/plan"
	"github.com/karpgate/karpgate/internal/plan/plangen"
	"github.com/karpgate/karpgate/internal/report"
)

// benchSizes are the plan sizes in resource changes; large ones are skipped under -short.
var benchSizes = []struct {
	name  string
	n     int
	large bool
}{
	{"1k", 1_000, false},
	{"20k", 20_000, false},
	{"100k", 100_000, true},
}

const (
	benchSeed = 1
	// benchTimeout replaces the 30 s default evaluation limit: the point is to measure, not to fail.
	benchTimeout = time.Hour
	// planPolicy is a trivial user policy that makes the engine convert input.plan.
	planPolicy = "package main\n\ndeny contains msg if {\n\tsome rc in input.resource_changes\n\trc.type == \"aws_nonexistent\"\n\tmsg := rc.address\n}\n"
)

var bench struct {
	dir     string // temporary directory for generated plans, removed by TestMain
	mu      sync.Mutex
	plans   map[string]string // "n/seed" -> file
	engines map[bool]*engine.Engine
	results map[string]map[string]benchResult // size -> benchmark -> last result
}

type benchResult struct {
	nsPerOp float64
	peakMB  float64
	allocMB float64 // bytes allocated per op, MB
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "karpgate-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bench.dir = dir
	code := m.Run()
	printRatios()
	os.RemoveAll(dir)
	os.Exit(code)
}

// planFile generates (once per process) the plan with n resource changes and returns its path.
func planFile(b *testing.B, n int, seed int64) string {
	b.Helper()
	bench.mu.Lock()
	defer bench.mu.Unlock()
	key := fmt.Sprintf("%d/%d", n, seed)
	if p, ok := bench.plans[key]; ok {
		return p
	}
	b.StopTimer()
	defer b.StartTimer()
	path := filepath.Join(bench.dir, fmt.Sprintf("plan-%d-%d.json", n, seed))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := plangen.Write(f, n, seed); err != nil {
		f.Close()
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if bench.plans == nil {
		bench.plans = map[string]string{}
	}
	bench.plans[key] = path
	return path
}

// benchEngine returns the engine with the embedded rules, and with the input.plan policy when
// withPlan; built once per process, like `karpgate scan` builds it once per invocation.
func benchEngine(b *testing.B, withPlan bool) *engine.Engine {
	b.Helper()
	bench.mu.Lock()
	defer bench.mu.Unlock()
	if e, ok := bench.engines[withPlan]; ok {
		return e
	}
	opt := engine.Options{Timeout: benchTimeout, ExtraData: config.Default().RegoData()}
	if withPlan {
		dir := filepath.Join(bench.dir, "policy")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "plan.rego"), []byte(planPolicy), 0o644); err != nil {
			b.Fatal(err)
		}
		opt.Policies = []string{dir}
	}
	e, err := engine.New(context.Background(), opt)
	if err != nil {
		b.Fatal(err)
	}
	if withPlan && !e.UsesPlan() {
		b.Fatal("the input.plan policy did not make the engine convert the plan")
	}
	if bench.engines == nil {
		bench.engines = map[bool]*engine.Engine{}
	}
	bench.engines[withPlan] = e
	return e
}

// benchScanner is the scanner `karpgate scan` builds with the default configuration.
func benchScanner(b *testing.B, withPlan bool) *Scanner {
	cfg := config.Default()
	return New(benchEngine(b, withPlan), Options{
		Facts:     facts.Options{},
		Gate:      cfg.Gate(),
		Overrides: cfg.Overrides(),
		Today:     "2025-03-11",
		Tool:      findings.Tool{Name: "karpgate", Version: "bench", URI: "https://github.com/karpgate/karpgate"},
	})
}

// forSizes runs one sub-benchmark per plan size. setup prepares what one operation needs
// (untimed, outside the peak) and returns the operation.
func forSizes(b *testing.B, name string, setup func(b *testing.B, path string) func(b *testing.B)) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			if sz.large && testing.Short() {
				b.Skip("large plan: skipped with -short (make bench runs it)")
			}
			measure(b, sz.name, name, setup(b, planFile(b, sz.n, benchSeed)))
		})
	}
}

// measure runs op b.N times with allocation reporting and a peak-heap sampler, and records the
// result for printRatios. Each operation starts from a collected heap, as a new process would,
// and the peak reported is the highest of one operation (garbage left by the previous one is not
// counted against the next). The collections are outside the timer.
func measure(b *testing.B, size, name string, op func(b *testing.B)) {
	b.ReportAllocs()
	var elapsed time.Duration
	var peak float64
	var allocs uint64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		runtime.GC()
		allocs0 := readMetric("/gc/heap/allocs:bytes")
		pk := startPeak()
		b.StartTimer()
		start := time.Now()
		op(b)
		elapsed += time.Since(start)
		b.StopTimer()
		peak = max(peak, pk.stop())
		allocs += readMetric("/gc/heap/allocs:bytes") - allocs0
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(peak, "peak-MB")
	bench.mu.Lock()
	defer bench.mu.Unlock()
	if bench.results == nil {
		bench.results = map[string]map[string]benchResult{}
	}
	if bench.results[size] == nil {
		bench.results[size] = map[string]benchResult{}
	}
	bench.results[size][name] = benchResult{
		nsPerOp: float64(elapsed.Nanoseconds()) / float64(b.N),
		peakMB:  peak,
		allocMB: float64(allocs) / float64(b.N) / (1 << 20),
	}
}

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// peakSampler tracks the high-water mark of heap objects (live and not yet swept: what
// runtime.MemStats.HeapAlloc reports) above the level at start.
type peakSampler struct {
	base uint64
	max  uint64
	quit chan struct{}
	done chan struct{}
}

func startPeak() *peakSampler {
	const name = "/memory/classes/heap/objects:bytes"
	p := &peakSampler{base: readMetric(name), quit: make(chan struct{}), done: make(chan struct{})}
	p.max = p.base
	go func() {
		defer close(p.done)
		s := []metrics.Sample{{Name: name}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > p.max {
				p.max = v
			}
			select {
			case <-p.quit:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// stop returns the peak above the starting heap, in MB.
func (p *peakSampler) stop() float64 {
	close(p.quit)
	<-p.done
	return float64(p.max-p.base) / (1 << 20)
}

func BenchmarkDecodeAny(b *testing.B) {
	forSizes(b, "DecodeAny", func(b *testing.B, path string) func(*testing.B) {
		return func(b *testing.B) {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	forSizes(b, "Load", func(b *testing.B, path string) func(*testing.B) {
		return func(b *testing.B) {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if _, err := plan.Read(path, f, plan.Options{Keep: facts.Relevant, Split: runtime.GOMAXPROCS(0) > 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// parseFile reads the whole plan with every resource kept. Facts and Eval start from it; its
// attributes are decoded when first read, which the setup of each does once (facts.Build), so
// every operation repeats the same work.
func parseFile(path string) (*plan.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return plan.Read(path, f, plan.Options{})
}

func BenchmarkFacts(b *testing.B) {
	forSizes(b, "Facts", func(b *testing.B, path string) func(*testing.B) {
		p, err := parseFile(path)
		if err != nil {
			b.Fatal(err)
		}
		opt := facts.Options{}
		facts.Build(p, opt) // decodes the attributes it reads
		return func(*testing.B) { facts.Build(p, opt) }
	})
}

func BenchmarkEval(b *testing.B) {
	forSizes(b, "Eval", func(b *testing.B, path string) func(*testing.B) {
		s := benchScanner(b, false)
		p, err := parseFile(path)
		if err != nil {
			b.Fatal(err)
		}
		iam := facts.Build(p, s.opt.Facts)
		return func(b *testing.B) {
			input, err := s.input(p, iam, Run{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.eng.Eval(context.Background(), input); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkScan(b *testing.B) {
	forSizes(b, "Scan", func(b *testing.B, path string) func(*testing.B) {
		return scanOp(benchScanner(b, false), []Source{{Name: path}})
	})
}

func BenchmarkScanWithPlanPolicy(b *testing.B) {
	forSizes(b, "ScanWithPlanPolicy", func(b *testing.B, path string) func(*testing.B) {
		return scanOp(benchScanner(b, true), []Source{{Name: path}})
	})
}

// BenchmarkScanMany scans twenty plans of 1,300 resource changes (about 5 MB each) in one call,
// as `karpgate scan a.json b.json ...` does, and reports cpu-util: CPU time over wall time (2.0
// means both cores of a 2-core machine were busy).
func BenchmarkScanMany(b *testing.B) {
	if testing.Short() {
		b.Skip("twenty plans: skipped with -short (make bench runs it)")
	}
	var srcs []Source
	for seed := range int64(20) {
		srcs = append(srcs, Source{Name: planFile(b, 1_300, 100+seed)})
	}
	op := scanOp(benchScanner(b, false), srcs)
	cpu0, start := cpuTime(), time.Now()
	measure(b, "20x5MB", "ScanMany", op)
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Since(start)), "cpu-util")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scanOp is one `karpgate scan --format sarif` of srcs, minus building the engine.
func scanOp(s *Scanner, srcs []Source) func(*testing.B) {
	var out bytes.Buffer
	return func(b *testing.B) {
		res, err := s.Scan(context.Background(), srcs, Run{})
		if err != nil {
			b.Fatal(err)
		}
		out.Reset()
		if err := (report.SARIF{}).Write(&out, res); err != nil {
			b.Fatal(err)
		}
		if !bytes.Contains(out.Bytes(), []byte(`"KARP001"`)) {
			b.Fatal("the generated Karpenter module did not produce KARP001")
		}
	}
}

// printRatios prints issue 7's ratios for every size that ran DecodeAny and a Scan benchmark.
func printRatios() {
	sizes := make([]string, 0, len(bench.results))
	for s := range bench.results {
		sizes = append(sizes, s)
	}
	sort.Strings(sizes)
	for _, size := range sizes {
		r := bench.results[size]
		floor, ok := r["DecodeAny"]
		if !ok || floor.nsPerOp == 0 || floor.peakMB == 0 {
			continue
		}
		for _, name := range []string{"Load", "LoadFull", "Facts", "Eval", "Scan", "ScanWithPlanPolicy"} {
			x, ok := r[name]
			if !ok {
				continue
			}
			target := ""
			switch name {
			case "Scan":
				target = "  (issue 7 targets: time <= 0.30x, peak <= 0.25x)"
			case "ScanWithPlanPolicy":
				target = "  (issue 7 target: time <= 1.5x)"
			}
			fmt.Printf("ratio %-4s %-18s / DecodeAny: time %6.2fx  peak-heap %6.2fx  alloc %6.2fx%s\n",
				size, name, x.nsPerOp/floor.nsPerOp, x.peakMB/floor.peakMB, x.allocMB/floor.allocMB, target)
		}
	}
}
