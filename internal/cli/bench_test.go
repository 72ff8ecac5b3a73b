//go:build unix

package cli

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// oneRoleArgs scan the one-role plan of issue 15's speed goal, as `karpgate scan` would: the
// embedded rules, no configuration, JSON.
var oneRoleArgs = []string{"scan", "--no-config", "--format", "json", upstreamPlan}

// BenchmarkScanOneRole is `karpgate scan` of a plan with one Karpenter role, in this process: every
// operation parses the command line, compiles the embedded policies and scans (engine.New is not
// shared, as in a real run). It reports the CPU time per operation beside the wall time.
func BenchmarkScanOneRole(b *testing.B) {
	cpu0 := cpuTime(syscall.RUSAGE_SELF)
	for b.Loop() {
		if code := Run(context.Background(), oneRoleArgs, strings.NewReader(""), io.Discard, io.Discard); code != ExitPass {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(cpuTime(syscall.RUSAGE_SELF)-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkScanOneRoleProcess is the same scan as a whole process: start-up, runtime and package
// initialisation, compile, scan and exit (the test binary stands in for karpgate). This is the
// number issue 15's speed goal is about (under 0.25 s on the project's 2-core machine).
func BenchmarkScanOneRoleProcess(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime(syscall.RUSAGE_CHILDREN)
	for b.Loop() {
		cmd := exec.Command(exe, oneRoleArgs...)
		cmd.Env = append(os.Environ(), benchMainEnv+"=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	b.ReportMetric(float64(cpuTime(syscall.RUSAGE_CHILDREN)-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}

// cpuTime is the user and system CPU time of this process (RUSAGE_SELF) or of its ended children.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
