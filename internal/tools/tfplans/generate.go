package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// maxRounds bounds the plans that settle a configuration's state: the first plan creates
// everything, the second reads the data sources that waited for apply-time values, the third
// must plan no change.
const maxRounds = 4

// generator runs Terraform for scenarios. It is safe for concurrent use by scenario.
type generator struct {
	terraform string // terraform binary
	provider  string // aws provider binary, for the shared provider hosts
	tfRoot    string // testdata/tf
	work      string // scratch directory, removed by the caller
	env       []string
	cache     *hostCache // what the provider hosts share
	direct    bool       // no shared provider host: Terraform starts its providers itself
	trace     io.Writer  // nil, or where to log every command with its time
	settles   sync.Map   // settleOnce results, by configuration
}

// setup prepares a generator: the STS stub must already run at stsURL.
func setup(terraform, mirror, tfRoot, work, stsURL string, direct bool) (*generator, error) {
	home := filepath.Join(work, "home")
	cache := filepath.Join(work, "plugin-cache")
	for _, d := range []string{home, cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", d, err)
		}
	}
	cfg := filepath.Join(work, "terraform.rc")
	if err := os.WriteFile(cfg, cliConfig(mirror, cache), 0o644); err != nil {
		return nil, fmt.Errorf("write CLI configuration: %w", err)
	}
	g := &generator{terraform: terraform, tfRoot: tfRoot, work: work, env: toolEnv(home, cfg, stsURL), direct: direct}
	if !direct {
		var err error
		if g.provider, err = providerBinary(mirror); err != nil {
			return nil, err
		}
		keep, err := usedTypes(tfRoot)
		if err != nil {
			return nil, err
		}
		g.cache = newHostCache(keep)
	}
	return g, nil
}

// settleOnce settles the configuration named key (a scenario, or its before/) once per
// generation and provider mode: scenarios that show the same configuration another way share it.
func (g *generator) settleOnce(ctx context.Context, r *run, key, dir string) (*settled, error) {
	v, _ := g.settles.LoadOrStore(fmt.Sprintf("%s|direct=%v", key, r.host == nil), &settleResult{})
	res := v.(*settleResult)
	res.once.Do(func() { res.st, res.err = r.settle(ctx, dir, key) })
	return res.st, res.err
}

// settleResult is one configuration's settled state, computed once.
type settleResult struct {
	once sync.Once
	st   *settled
	err  error
}

// worker generates scenarios one after the other, through one shared provider host.
type worker struct {
	g    *generator
	id   int
	host *providerHost
}

func (w *worker) Close() {
	if w.host != nil {
		w.host.Close()
	}
}

// scenario generates s through the worker's provider host, or with Terraform starting its own
// providers when the generator is direct or s configures the provider more than once (the shared
// provider process holds one configuration at a time).
func (w *worker) scenario(ctx context.Context, s scenario) ([]byte, error) {
	if w.g.direct {
		return w.g.scenario(ctx, s, nil)
	}
	if w.host == nil {
		dir := filepath.Join(w.g.work, fmt.Sprintf("host%d", w.id))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("prepare provider host: %w", err)
		}
		h, err := startProviderHost(ctx, w.g.provider, dir, w.g.env, w.g.cache, w.g.trace)
		if err != nil {
			return nil, err
		}
		w.host = h
	}
	b, err := w.g.scenario(ctx, s, w.host)
	if errors.Is(err, errManyConfigs) {
		return w.g.scenario(ctx, s, nil)
	}
	return b, err
}

// errManyConfigs marks a command that configured the shared provider more than once.
var errManyConfigs = errors.New("more than one provider configuration")

// scenario produces the bytes of testdata/plans/<s.Name>/plan.json.
func (g *generator) scenario(ctx context.Context, s scenario, host *providerHost) ([]byte, error) {
	// Each scenario works in its own copy of its part of testdata/tf, so relative module sources
	// resolve and nothing is written into the repository.
	root := filepath.Join(g.work, "scenarios", s.Name)
	if err := os.RemoveAll(root); err != nil {
		return nil, fmt.Errorf("%s: clear scratch: %w", s.Name, err)
	}
	config := s.Name
	if s.Config != "" {
		config = s.Config
	}
	// The shared modules and the configuration: a scenario's sources reach nothing else.
	for _, d := range []string{modulesDir, config} {
		src := filepath.Join(g.tfRoot, d)
		if _, err := os.Stat(src); os.IsNotExist(err) && d == modulesDir {
			continue
		}
		if err := copyTree(src, filepath.Join(root, d)); err != nil {
			return nil, err
		}
	}
	dir := filepath.Join(root, config)
	r := &run{g: g, name: s.Name, host: host}
	var raw []byte
	var err error
	switch s.Prior {
	case "none":
		if err = r.init(ctx, dir); err != nil {
			return nil, err
		}
		raw, err = r.planShow(ctx, dir, false)
	case "self":
		var st *settled
		if st, err = g.settleOnce(ctx, r, config, dir); err != nil {
			return nil, err
		}
		raw = st.plan
		if s.Show == "state" {
			// The settled state may come from another scenario's copy.
			if err = os.WriteFile(filepath.Join(dir, stateFile), st.state, 0o644); err != nil {
				return nil, fmt.Errorf("%s: write state: %w", s.Name, err)
			}
			if err = r.init(ctx, dir); err != nil {
				return nil, err
			}
		}
	case "before":
		var st *settled
		if st, err = g.settleOnce(ctx, r, config+"/before", filepath.Join(dir, "before")); err != nil {
			return nil, err
		}
		if err = os.WriteFile(filepath.Join(dir, stateFile), st.state, 0o644); err != nil {
			return nil, fmt.Errorf("%s: write prior state: %w", s.Name, err)
		}
		if err = r.init(ctx, dir); err != nil {
			return nil, err
		}
		raw, err = r.planShow(ctx, dir, true)
	}
	if err != nil {
		return nil, err
	}
	if s.Show == "state" {
		raw, err = r.terraform(ctx, dir, "show", "-json", stateFile)
	} else {
		raw, err = normalizePlan(raw)
	}
	if err == nil && s.Splice != "" {
		raw, err = splice(raw, filepath.Join(s.Dir, s.Splice))
	}
	if err != nil || s.Encoding != "utf-16le" {
		return raw, err
	}
	return powershellText(raw), nil
}

// powershellText is text as Windows PowerShell 5 redirects a command's output into a file:
// UTF-16LE with a byte order mark, every line ended by CRLF.
func powershellText(b []byte) []byte {
	text := strings.ReplaceAll(strings.TrimSuffix(string(b), "\n"), "\n", "\r\n") + "\r\n"
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(text)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// stateFile is the local backend's state, the one `terraform plan` reads by default.
const stateFile = "terraform.tfstate"

// run is the Terraform work of one scenario.
type run struct {
	g    *generator
	name string
	host *providerHost // nil: Terraform starts its own provider processes
}

// settled is a configuration's state once planning it changes nothing, and that last plan.
type settled struct {
	state []byte
	plan  []byte
}

// settle builds the state that applying the configuration in dir would leave, without applying:
// plan, fill in the values only apply would know, plan against that state, until nothing changes.
// The generated ids derive from seed, the configuration's name, so every scenario showing that
// configuration sees the same ones.
func (r *run) settle(ctx context.Context, dir, seed string) (*settled, error) {
	if err := r.init(ctx, dir); err != nil {
		return nil, err
	}
	var prev *tfState
	var pending []string
	for round := 1; round <= maxRounds; round++ {
		raw, err := r.planShow(ctx, dir, prev != nil)
		if err != nil {
			return nil, err
		}
		p, err := decodePlan(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: read plan of %s: %w", r.name, dir, err)
		}
		pending = p.pendingChanges()
		if prev != nil && len(pending) == 0 {
			b, err := prev.encode()
			if err != nil {
				return nil, err
			}
			return &settled{state: b, plan: raw}, nil
		}
		next, err := buildState(p, prev, seed)
		if err != nil {
			return nil, fmt.Errorf("%s: state of %s after round %d: %w", r.name, dir, round, err)
		}
		b, err := next.encode()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, stateFile), b, 0o644); err != nil {
			return nil, fmt.Errorf("%s: write state: %w", r.name, err)
		}
		prev = next
	}
	return nil, fmt.Errorf("%s: %s still plans changes after %d rounds: %s", r.name, dir, maxRounds, strings.Join(pending, ", "))
}

func (r *run) init(ctx context.Context, dir string) error {
	_, err := r.terraform(ctx, dir, "init", "-input=false", "-no-color", "-backend=false")
	return err
}

// planShow plans dir into a plan file and returns `terraform show -json` of it.
func (r *run) planShow(ctx context.Context, dir string, hasState bool) ([]byte, error) {
	args := []string{"plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan"}
	if hasState {
		args = append(args, "-refresh=false")
	}
	if _, err := r.terraform(ctx, dir, args...); err != nil {
		return nil, err
	}
	return r.terraform(ctx, dir, "show", "-json", "tfplan")
}

// terraform runs one terraform command in dir and returns its stdout; a failure carries stderr.
func (r *run) terraform(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, r.g.terraform, args...)
	cmd.Dir = dir
	cmd.Env = r.g.env
	if r.host != nil {
		cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], "TF_REATTACH_PROVIDERS="+r.host.reattach)
		r.host.configures.Store(0)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if r.g.trace != nil && cmd.ProcessState != nil {
		fmt.Fprintf(r.g.trace, "tfplans: %s: terraform %s: %s wall, %s cpu\n", r.name, args[0], time.Since(start).Round(time.Millisecond), (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Round(time.Millisecond))
	}
	if r.host != nil && r.host.configures.Load() > 1 {
		return nil, fmt.Errorf("%s: %w", r.name, errManyConfigs)
	}
	if err != nil {
		rel, _ := filepath.Rel(filepath.Join(r.g.work, "scenarios", r.name), dir)
		return nil, fmt.Errorf("%s: terraform %s in %s: %w\n%s%s", r.name, args[0], rel, err, stderr.Bytes(), tail(stdout.Bytes()))
	}
	return stdout.Bytes(), nil
}

// tail is the end of a command's output, enough to show why it failed.
func tail(b []byte) []byte {
	const n = 4000
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// copyTree copies the regular files under src to dst, skipping Terraform's working files.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		name := d.Name()
		if d.IsDir() {
			if name == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || name == stateFile || strings.HasPrefix(name, ".terraform") || name == "tfplan" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("copy %s: %w", p, err)
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}

// forEach runs fn for every scenario on jobs workers and returns the errors in scenario order.
func (g *generator) forEach(ctx context.Context, ss []scenario, jobs int, fn func(context.Context, *worker, scenario) error) []error {
	errs := make([]error, len(ss))
	next := make(chan int)
	var wg sync.WaitGroup
	for id := range max(min(jobs, len(ss)), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{g: g, id: id}
			defer w.Close()
			for i := range next {
				errs[i] = fn(ctx, w, ss[i])
			}
		}()
	}
	for i := range ss {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}
