package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/scan"
)

// Supervised evaluation (docs/security.md): when user policies or bundles are loaded, scan and
// serve evaluate in a child process, a re-execution of this binary with the hidden subcommand
// childCommand. The child limits its own address space (--max-memory) before it loads anything and
// reports each evaluation's start and end on file descriptor 3; the parent kills it when one
// evaluation runs past --timeout plus killGrace. A builtin call that allocates without bound or
// never checks for cancellation then ends one child, not the service, and the parent names the
// policies in a policy error (exit 4).
const (
	childCommand = "__scan"
	// killGrace is how long past --timeout the parent waits for the child's own timeout to end an
	// evaluation before it kills the child.
	killGrace = 500 * time.Millisecond
	// DefaultMaxMemory is the default --max-memory: heap and address space the child may add.
	DefaultMaxMemory int64 = 4 << 30
	// childStderrMax bounds what the parent keeps of the child's stderr.
	childStderrMax = 64 << 10
)

// supervised reports whether user code is loaded, so evaluation runs in a child process.
func (f *pipelineFlags) supervised() bool {
	return len(f.policies) > 0 || len(f.bundles) > 0
}

// childArgs are the flags that rebuild this pipeline in the child.
func (f *pipelineFlags) childArgs() []string {
	var a []string
	add := func(name string, vals ...string) {
		for _, v := range vals {
			a = append(a, "--"+name+"="+v)
		}
	}
	if f.configFile != "" {
		add("config", f.configFile)
	}
	if f.noConfig {
		a = append(a, "--no-config")
	}
	add("policy", f.policies...)
	add("data", f.data...)
	add("bundle", f.bundles...)
	if f.verify.keyFile != "" {
		add("verification-key", f.verify.keyFile)
	}
	add("verification-key-id", f.verify.keyID)
	add("signing-alg", f.verify.alg)
	add("namespace", f.namespaces...)
	if f.karpVersion != "" {
		add("karpenter-version", f.karpVersion)
	}
	if f.regoVersion != "" {
		add("rego-version", f.regoVersion)
	}
	if f.noDefaultRules {
		a = append(a, "--no-default-rules")
	}
	if f.allowNet {
		a = append(a, "--allow-net")
	}
	add("timeout", f.timeout.String())
	if f.failOn != "" {
		add("fail-on", f.failOn)
	}
	if f.unknown != "" {
		add("unknown", f.unknown)
	}
	add("max-plan-size", strconv.FormatInt(f.maxPlanSize, 10))
	add("max-memory", strconv.FormatInt(f.maxMemory, 10))
	return a
}

// userCode names the user's policies and bundles for messages.
func (f *pipelineFlags) userCode() string {
	var names []string
	for _, p := range f.policies {
		names = append(names, "--policy "+p)
	}
	for _, b := range f.bundles {
		names = append(names, "--bundle "+b)
	}
	return strings.Join(names, ", ")
}

// superviseScan scans srcs in a child process. stdin feeds the source named "-" (or stdinName).
func (f *pipelineFlags) superviseScan(ctx context.Context, names []string, stdin io.Reader, stdinName string, run scan.Run) (findings.Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return findings.Result{}, fmt.Errorf("supervise evaluation: find the karpgate binary: %w", err)
	}
	args := append([]string{childCommand}, f.childArgs()...)
	args = append(args, "--events")
	if stdinName != "" {
		args = append(args, "--stdin-name="+stdinName)
	}
	if run != (scan.Run{}) {
		args = append(args, "--workspace="+run.Workspace, "--stage="+run.Stage, "--run-id="+run.RunID, "--organization="+run.Organization)
	}
	args = append(args, "--")
	args = append(args, names...)

	cmd := exec.CommandContext(ctx, exe, args...)
	if slices.Contains(names, "-") {
		cmd.Stdin = stdin
	}
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: childStderrMax}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	evR, evW, err := os.Pipe()
	if err != nil {
		return findings.Result{}, fmt.Errorf("supervise evaluation: %w", err)
	}
	cmd.ExtraFiles = []*os.File{evW}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		evR.Close()
		evW.Close()
		return findings.Result{}, fmt.Errorf("supervise evaluation: start %s: %w", exe, err)
	}
	evW.Close()
	w := &watch{limit: f.timeout + killGrace, active: map[string]time.Time{}}
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		w.read(evR)
	}()
	stop := make(chan struct{})
	killed := make(chan time.Duration, 1) // how long the evaluation had run when it was killed
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if ran := w.overdue(); ran > 0 {
					_ = cmd.Process.Kill()
					killed <- ran
					return
				}
			}
		}
	}()
	waitErr := cmd.Wait()
	close(stop)
	evR.Close()
	<-evDone

	select {
	case ran := <-killed:
		return findings.Result{}, &engine.PolicyError{Problem: fmt.Sprintf("evaluation with %s did not end within --timeout %s; the evaluating process was killed after %s", f.userCode(), f.timeout, ran.Round(time.Millisecond))}
	default:
	}
	if ctx.Err() != nil {
		return findings.Result{}, ctx.Err()
	}
	if waitErr == nil {
		var res findings.Result
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			return findings.Result{}, fmt.Errorf("supervise evaluation: read the child's result: %w", err)
		}
		return res, nil
	}
	msg := stderr.String()
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) && ee.Exited() && strings.HasPrefix(msg, "karpgate: ") {
		// The child ended as karpgate ends: relay its error line and exit code.
		line, _, _ := strings.Cut(strings.TrimPrefix(msg, "karpgate: "), "\n")
		return findings.Result{}, &exitError{code: ee.ExitCode(), err: errors.New(line)}
	}
	why := "crashed: " + firstFatal(msg, waitErr)
	if strings.Contains(msg, "out of memory") || strings.Contains(msg, "cannot allocate memory") {
		why = fmt.Sprintf("went over the memory limit of %d MiB (--max-memory)", f.maxMemory>>20)
	}
	if ran := w.ran(); ran >= 0 {
		return findings.Result{}, &engine.PolicyError{Problem: fmt.Sprintf("evaluation with %s %s; the evaluating process was stopped after %s", f.userCode(), why, ran.Round(time.Millisecond))}
	}
	return findings.Result{}, &exitError{code: ExitInput, err: fmt.Errorf("reading the plan %s", why)}
}

// firstFatal is the first line of a Go runtime crash report, or the wait error.
func firstFatal(stderr string, waitErr error) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "panic:") {
			return strings.TrimSpace(line)
		}
	}
	return waitErr.Error()
}

// watch tracks the child's running evaluations from its event stream ("+ ID" and "- ID" lines).
type watch struct {
	limit  time.Duration
	mu     sync.Mutex
	active map[string]time.Time
	first  time.Time // when the first evaluation started; zero before
}

func (w *watch) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		op, id, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		w.mu.Lock()
		switch op {
		case "+":
			now := time.Now()
			w.active[id] = now
			if w.first.IsZero() {
				w.first = now
			}
		case "-":
			delete(w.active, id)
		}
		w.mu.Unlock()
	}
}

// overdue returns how long the oldest running evaluation has run when that is past the limit,
// else 0.
func (w *watch) overdue() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.active {
		if ran := time.Since(t); ran > w.limit {
			return ran
		}
	}
	return 0
}

// ran is how long ago the first evaluation started, or -1 when none did: a child that dies after
// one started died evaluating (its last events may be lost in the crash).
func (w *watch) ran() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first.IsZero() {
		return -1
	}
	return time.Since(w.first)
}

// tailBuffer keeps the first max bytes written to it.
type tailBuffer struct {
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *tailBuffer) String() string { return b.buf.String() }

// childFlags are the child's own flags besides the pipeline's.
type childFlags struct {
	pipelineFlags
	events    bool
	stdinName string
	run       scan.Run
}

// newChild is the hidden subcommand that evaluates under supervision: it limits its memory, scans
// the plans with the pipeline its flags describe and prints the result as JSON.
func newChild(s *streams) *cobra.Command {
	f := &childFlags{}
	f.newEngine, f.evalFor = s.newEngine, s.evalFor
	cmd := &cobra.Command{
		Use:    childCommand + " [flags] PLAN...",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := limitMemory(f.maxMemory); err != nil {
				return err
			}
			if f.events {
				events := os.NewFile(3, "events")
				var mu sync.Mutex
				var n int
				f.onEval = func() func() {
					mu.Lock()
					n++
					id := strconv.Itoa(n)
					fmt.Fprintf(events, "+ %s\n", id)
					mu.Unlock()
					return func() {
						mu.Lock()
						fmt.Fprintf(events, "- %s\n", id)
						mu.Unlock()
					}
				}
			}
			p, err := f.build(cmd.Context(), time.Now())
			if err != nil {
				return err
			}
			var srcs []scan.Source
			for _, a := range args {
				if a == "-" {
					name := "-"
					if f.stdinName != "" {
						name = f.stdinName
					}
					srcs = append(srcs, scan.Source{Name: name, Reader: s.in})
					continue
				}
				srcs = append(srcs, scan.Source{Name: a})
			}
			res, err := p.scanner.Scan(cmd.Context(), srcs, f.run)
			if err != nil {
				return err
			}
			return json.NewEncoder(s.out).Encode(res)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.events, "events", false, "report evaluations on file descriptor 3")
	fl.StringVar(&f.stdinName, "stdin-name", "", "name of the plan read from stdin")
	fl.StringVar(&f.run.Workspace, "workspace", "", "")
	fl.StringVar(&f.run.Stage, "stage", "", "")
	fl.StringVar(&f.run.RunID, "run-id", "", "")
	fl.StringVar(&f.run.Organization, "organization", "", "")
	return cmd
}

// limitMemory caps the heap the Go runtime aims for and, where the system allows, the address
// space the process may add to what it has reserved at start.
func limitMemory(limit int64) error {
	if limit <= 0 {
		return nil
	}
	debug.SetMemoryLimit(limit)
	if err := setAddressSpaceLimit(limit); err != nil {
		return fmt.Errorf("limit memory: %w", err)
	}
	return nil
}
