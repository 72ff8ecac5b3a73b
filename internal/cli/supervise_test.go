package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestMain lets the test binary stand in for karpgate when the supervisor re-executes itself
// (os.Executable is the test binary): `cli.test __scan ...` runs the hidden child command. With
// benchMainEnv set it is karpgate whatever its arguments (bench_test.go).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv(benchMainEnv) == "1" { // BenchmarkScanOneRoleProcess: the test binary is karpgate
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// benchMainEnv makes the test binary run as karpgate (TestMain), for a benchmark of whole processes.
const benchMainEnv = "KARPGATE_TEST_BINARY_IS_KARPGATE"

const upstreamPlan = "../../testdata/plans/upstream-v1/plan.json"

// TestHostilePolicyEndsWithinTheTimeout: a policy whose single builtin call allocates without
// bound or runs for minutes ends the scan with exit 4 naming the policy, within --timeout plus one
// second of the evaluation's start, and the test process survives. The memory limit is small, so
// nothing here comes near exhausting the machine. The supervisor's message says how long the
// evaluation ran; the engine's own timeout (numbers.range checks for cancellation) says the limit.
func TestHostilePolicyEndsWithinTheTimeout(t *testing.T) {
	const timeout = time.Second
	args := func(policy string) []string {
		return []string{"scan", "--format", "json", "--no-config", "--timeout", timeout.String(), "--max-memory", "268435456", "--policy", policy, upstreamPlan}
	}
	// The well-behaved policy gets the default timeout: a loaded machine may need more than 1s.
	code, out, stderr := run(t, "", "scan", "--format", "json", "--no-config", "--max-memory", "268435456", "--policy", "testdata/hostile/ok", upstreamPlan)
	if code != 0 || !strings.Contains(out, "the plan changes resources") {
		t.Fatalf("well-behaved policy: exit %d, stderr %s, output %.300s", code, stderr, out)
	}
	ranFor := regexp.MustCompile(`(?:killed|stopped) after ([0-9.]+m?s)`)
	for _, name := range []string{"lsh", "range", "concat", "format_int", "reachable_paths"} {
		t.Run(name, func(t *testing.T) {
			policy := filepath.Join("testdata/hostile", name)
			start := time.Now()
			code, _, stderr := run(t, "", args(policy)...)
			t.Logf("exit %d after %s: %s", code, time.Since(start), strings.TrimSpace(stderr))
			if code != ExitBundle {
				t.Errorf("exit %d, want %d", code, ExitBundle)
			}
			if !strings.Contains(stderr, policy) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr %q is not one line naming %s", stderr, policy)
			}
			switch m := ranFor.FindStringSubmatch(stderr); {
			case m != nil:
				ran, err := time.ParseDuration(m[1])
				if err != nil || ran > timeout+time.Second {
					t.Errorf("the evaluation ran %s (%v), more than --timeout and one second", m[1], err)
				}
			case !strings.Contains(stderr, "exceeded the time limit of "+timeout.String()):
				t.Errorf("stderr %q says neither how long the evaluation ran nor the time limit", stderr)
			}
		})
	}
}

// TestChildArgsCarryEveryPipelineFlag: the supervised child rebuilds the pipeline from childArgs,
// so every flag pipelineFlags registers must reach it with its value. A flag added to register
// without childArgs support fails here.
func TestChildArgsCarryEveryPipelineFlag(t *testing.T) {
	set := []string{
		"--config=c.yaml", "--policy=p1", "--policy=p2", "--data=d", "--bundle=b.tar.gz",
		"--verification-key=k.pem", "--verification-key-id=kid", "--signing-alg=ES256",
		"--namespace=ns", "--karpenter-version=1.2.3", "--rego-version=v0", "--no-default-rules", "--allow-net", "--timeout=7s", "--fail-on=warning",
		"--unknown=fail", "--max-plan-size=123", "--max-memory=456",
	}
	parse := func(args []string) (*pipelineFlags, *cobra.Command) {
		f := &pipelineFlags{}
		cmd := &cobra.Command{}
		f.register(cmd)
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		return f, cmd
	}
	orig, cmd := parse(set)
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if !fl.Changed && fl.Name != "no-config" {
			t.Errorf("flag --%s is not set by this test: add it to the list and to childArgs", fl.Name)
		}
	})
	child, _ := parse(orig.childArgs())
	orig.onEval, child.onEval = nil, nil
	if !reflect.DeepEqual(orig, child) {
		t.Errorf("the child's flags differ:\n parent %+v\n child  %+v", *orig, *child)
	}
	nc, _ := parse([]string{"--no-config"})
	if again, _ := parse(nc.childArgs()); !again.noConfig {
		t.Error("--no-config does not reach the child")
	}
}
