package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for karpgate when the supervisor re-executes itself
// (os.Executable is the test binary): `cli.test __scan ...` runs the hidden child command.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const upstreamPlan = "../../testdata/plans/upstream-v1/plan.json"

// TestHostilePolicyEndsWithinTheTimeout: a policy whose single builtin call allocates without
// bound or runs for minutes ends the scan with exit 4 naming the policy, within --timeout plus one
// second of a normal supervised scan, and the test process survives. The memory limit is small,
// so nothing here comes near exhausting the machine.
func TestHostilePolicyEndsWithinTheTimeout(t *testing.T) {
	const timeout = time.Second
	args := func(policy string) []string {
		return []string{"scan", "--format", "json", "--no-config", "--timeout", timeout.String(), "--max-memory", "268435456", "--policy", policy, upstreamPlan}
	}
	start := time.Now()
	code, out, stderr := run(t, "", args("testdata/hostile/ok")...)
	baseline := time.Since(start)
	if code != 0 || !strings.Contains(out, "the plan changes resources") {
		t.Fatalf("well-behaved policy: exit %d, stderr %s, output %.300s", code, stderr, out)
	}
	t.Logf("a supervised scan takes %s", baseline)
	for _, name := range []string{"lsh", "range", "concat", "format_int", "reachable_paths"} {
		t.Run(name, func(t *testing.T) {
			policy := filepath.Join("testdata/hostile", name)
			start := time.Now()
			code, _, stderr := run(t, "", args(policy)...)
			took := time.Since(start)
			t.Logf("exit %d after %s: %s", code, took, strings.TrimSpace(stderr))
			if code != ExitBundle {
				t.Errorf("exit %d, want %d", code, ExitBundle)
			}
			if !strings.Contains(stderr, policy) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr %q is not one line naming %s", stderr, policy)
			}
			if limit := baseline + timeout + time.Second; took > limit {
				t.Errorf("took %s, more than %s (a normal scan, --timeout and one second)", took, limit)
			}
		})
	}
}
