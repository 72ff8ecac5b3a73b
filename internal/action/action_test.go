package action

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// actionFile is the part of action.yml the test reads.
type actionFile struct {
	Inputs map[string]struct {
		Required bool   `yaml:"required"`
		Default  string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID               string            `yaml:"id"`
			Shell            string            `yaml:"shell"`
			WorkingDirectory string            `yaml:"working-directory"`
			Env              map[string]string `yaml:"env"`
			Run              string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readAction(t *testing.T) actionFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// envName is the variable an input arrives in, as GitHub names them for other action kinds.
func envName(input string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(input, "-", "_"))
}

func TestActionInputsMatchTheScript(t *testing.T) {
	a := readAction(t)
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite", a.Runs.Using)
	}
	script, err := os.ReadFile("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	for _, m := range regexp.MustCompile(`INPUT_[A-Z_]+`).FindAllString(string(script), -1) {
		read[m] = true
	}
	mapped := map[string]bool{}
	used := map[string]bool{} // inputs the steps use other than through INPUT_ variables
	for _, s := range a.Runs.Steps {
		if m := regexp.MustCompile(`^\$\{\{ inputs\.([a-z-]+) \}\}$`).FindStringSubmatch(s.WorkingDirectory); m != nil {
			used[m[1]] = true
		}
		if s.Shell != "bash" {
			t.Errorf("step %s: shell %q, want bash", s.ID, s.Shell)
		}
		if !strings.Contains(s.Run, "$GITHUB_ACTION_PATH/internal/action/run.sh") || strings.Contains(s.Run, "${{") {
			t.Errorf("step %s: run %q must call run.sh and splice no expression into the script", s.ID, s.Run)
		}
		for k, v := range s.Env {
			if !strings.HasPrefix(k, "INPUT_") {
				continue
			}
			mapped[k] = true
			input := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "${{ inputs."), " }}")
			if envName(input) != k {
				t.Errorf("step %s: %s = %q, want the input whose variable it is", s.ID, k, v)
			}
		}
	}
	var inputs []string
	for name := range a.Inputs {
		if !used[name] {
			inputs = append(inputs, envName(name))
		}
	}
	if !used["working-directory"] {
		t.Error("no step runs in inputs.working-directory")
	}
	slices.Sort(inputs)
	keys := func(m map[string]bool) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(inputs, keys(mapped)); diff != "" {
		t.Errorf("inputs of action.yml vs INPUT_ variables its steps set (-inputs +mapped):\n%s", diff)
	}
	if diff := cmp.Diff(inputs, keys(read)); diff != "" {
		t.Errorf("inputs of action.yml vs INPUT_ variables run.sh reads (-inputs +read):\n%s", diff)
	}
}

// job is a simulated GitHub Actions job running the action once.
type job struct {
	t         *testing.T
	action    actionFile
	root      string            // github.action_path
	workspace string            // GITHUB_WORKSPACE
	ref       string            // github.action_ref
	path      []string          // PATH entries before the system's
	inputs    map[string]string // the with: of the workflow step
}

// result is what the job left.
type result struct {
	code    int               // the exit code of the step that stopped the action (0 when all ran)
	outputs map[string]string // the action's outputs
	steps   map[string]map[string]string
	summary string // every step's summary, appended
	ghPath  []string
	log     string // stdout and stderr of the steps
}

var expr = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// eval replaces the ${{ }} expressions GitHub would, failing on any other.
func (j *job) eval(s string, steps map[string]map[string]string) string {
	return expr.ReplaceAllStringFunc(s, func(m string) string {
		e := expr.FindStringSubmatch(m)[1]
		switch {
		case e == "github.action_path":
			return j.root
		case e == "github.action_ref":
			return j.ref
		case strings.HasPrefix(e, "inputs."):
			name := strings.TrimPrefix(e, "inputs.")
			in, ok := j.action.Inputs[name]
			if !ok {
				j.t.Fatalf("expression %s names no input of action.yml", m)
			}
			if v, ok := j.inputs[name]; ok {
				return v
			}
			if in.Required {
				j.t.Fatalf("required input %s not given", name)
			}
			return in.Default
		case strings.HasPrefix(e, "steps."):
			parts := strings.Split(e, ".")
			if len(parts) != 4 || parts[2] != "outputs" {
				j.t.Fatalf("expression %s: want steps.ID.outputs.NAME", m)
			}
			return steps[parts[1]][parts[3]]
		}
		j.t.Fatalf("expression %s: the simulation knows inputs, github.action_path/action_ref and steps outputs only", m)
		return ""
	})
}

// readOutputs parses a GITHUB_OUTPUT file: NAME=VALUE lines and NAME<<DELIM blocks.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is neither NAME=VALUE nor NAME<<DELIM", line)
		}
		out[name] = val
	}
	return out
}

func (j *job) run() result {
	t := j.t
	t.Helper()
	runner := t.TempDir()
	res := result{steps: map[string]map[string]string{}}
	var log bytes.Buffer
	path := slices.Clone(j.path)
	for i, s := range j.action.Runs.Steps {
		files := map[string]string{}
		for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH"} {
			files[f] = filepath.Join(runner, fmt.Sprintf("%s-%d", strings.ToLower(f), i))
			if err := os.WriteFile(files[f], nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		script := filepath.Join(runner, fmt.Sprintf("step-%d.sh", i))
		if err := os.WriteFile(script, []byte(j.eval(s.Run, res.steps)), 0o644); err != nil {
			t.Fatal(err)
		}
		// As GitHub runs `shell: bash`.
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = j.workspace
		if wd := j.eval(s.WorkingDirectory, res.steps); wd != "" {
			cmd.Dir = filepath.Join(j.workspace, wd)
		}
		env := []string{
			"PATH=" + strings.Join(append(slices.Clone(path), "/usr/bin", "/bin"), string(os.PathListSeparator)),
			"HOME=" + runner,
			"GITHUB_ACTIONS=true",
			"GITHUB_WORKSPACE=" + j.workspace,
			"GITHUB_ACTION_PATH=" + j.root,
			"RUNNER_TEMP=" + runner,
		}
		for f, p := range files {
			env = append(env, f+"="+p)
		}
		for k, v := range s.Env {
			env = append(env, k+"="+j.eval(v, res.steps))
		}
		cmd.Env = env
		cmd.Stdout = &log
		cmd.Stderr = &log
		err := cmd.Run()
		res.steps[s.ID] = readOutputs(t, files["GITHUB_OUTPUT"])
		sum, rerr := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
		if rerr != nil {
			t.Fatal(rerr)
		}
		res.summary += string(sum)
		added, rerr := os.ReadFile(files["GITHUB_PATH"])
		if rerr != nil {
			t.Fatal(rerr)
		}
		for _, p := range strings.Fields(string(added)) {
			res.ghPath = append(res.ghPath, p)
			path = append([]string{p}, path...)
		}
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("step %s: %v", s.ID, err)
			}
			res.code = ee.ExitCode()
			break
		}
	}
	res.outputs = map[string]string{}
	for name, o := range j.action.Outputs {
		res.outputs[name] = j.eval(o.Value, res.steps)
	}
	res.log = log.String()
	return res
}

// buildKarpgate builds karpgate from this checkout into dir, as make build does.
func buildKarpgate(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "karpgate"), "github.com/karpgate/karpgate/cmd/karpgate")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// copyPlan puts a scenario plan into the workspace.
func copyPlan(t *testing.T, root, scenario, dst string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "testdata", "plans", scenario, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sarifResults reads a SARIF file and returns the rule ids of its results.
func sarifResults(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("SARIF output: %v", err)
	}
	var doc struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("SARIF %s: %v", path, err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("SARIF %s: version %q with %d runs, want 2.1.0 with 1", path, doc.Version, len(doc.Runs))
	}
	ids := []string{}
	for _, r := range doc.Runs[0].Results {
		ids = append(ids, r.RuleID)
	}
	return ids
}

func TestActionRunsTheScan(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the action's steps are bash")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on PATH")
	}
	root := repoRoot(t)
	bin := t.TempDir()
	buildKarpgate(t, bin)
	a := readAction(t)
	newJob := func(t *testing.T, inputs map[string]string) *job {
		ws := t.TempDir()
		copyPlan(t, root, "eks-v20.24-v033", filepath.Join(ws, "infra", "old", "plan.json"))
		copyPlan(t, root, "eks-v20.24-v1", filepath.Join(ws, "infra", "v1", "plan.json"))
		return &job{t: t, action: a, root: root, workspace: ws, path: []string{bin}, inputs: inputs}
	}

	t.Run("a plan with a finding fails the step with exit 1 and reports everywhere", func(t *testing.T) {
		j := newJob(t, map[string]string{"version": "path", "plan": "old/plan.json", "working-directory": "infra"})
		r := j.run()
		if r.code != 1 {
			t.Fatalf("exit code %d, want 1\n%s", r.code, r.log)
		}
		want := map[string]string{
			"exit-code": "1",
			"result":    "failed",
			"sarif":     filepath.Join(j.workspace, "infra", "karpgate.sarif"),
			"karpgate":  filepath.Join(bin, "karpgate"),
		}
		for k, v := range want {
			if r.outputs[k] != v {
				t.Errorf("output %s = %q, want %q", k, r.outputs[k], v)
			}
		}
		if ids := sarifResults(t, r.outputs["sarif"]); !slices.Contains(ids, "KARP001") {
			t.Errorf("SARIF results %v, want KARP001", ids)
		}
		for _, s := range []string{"## karpgate: ❌ did not pass", "**KARP001** Karpenter cannot tag the instances it launches", "module.karpenter.aws_iam_role.controller[0]"} {
			if !strings.Contains(r.summary, s) {
				t.Errorf("job summary lacks %q:\n%s", s, r.summary)
			}
		}
		md, err := os.ReadFile(r.outputs["markdown"])
		if err != nil || string(md) != r.summary {
			t.Errorf("the markdown output (%v) is not the job summary", err)
		}
		// The defaults: the text report and annotations in the log.
		for _, s := range []string{"::error ", "FAILED: 1 failure (fail-on error)"} {
			if !strings.Contains(r.log, s) {
				t.Errorf("log lacks %q:\n%s", s, r.log)
			}
		}
	})

	t.Run("a clean plan passes with exit 0", func(t *testing.T) {
		j := newJob(t, map[string]string{"version": "path", "plan": "infra/v1/plan.json", "sarif": "out/k.sarif", "annotations": "false"})
		r := j.run()
		if r.code != 0 || r.outputs["exit-code"] != "0" || r.outputs["result"] != "passed" {
			t.Fatalf("exit code %d, outputs %v, want 0 and passed\n%s", r.code, r.outputs, r.log)
		}
		if got, want := r.outputs["sarif"], filepath.Join(j.workspace, "out", "k.sarif"); got != want {
			t.Errorf("sarif output %q, want %q", got, want)
		}
		if ids := sarifResults(t, r.outputs["sarif"]); slices.Contains(ids, "KARP001") {
			t.Errorf("SARIF results %v, want no KARP001 for the v1 policy", ids)
		}
		for _, s := range []string{"## karpgate: ✅ passed", "Checked `module.karpenter.aws_iam_role.controller[0]`: ", " Karpenter requests simulated"} {
			if !strings.Contains(r.summary, s) {
				t.Errorf("job summary lacks %q:\n%s", s, r.summary)
			}
		}
		if strings.Contains(r.log, "::error") {
			t.Errorf("annotations false, yet annotations in the log:\n%s", r.log)
		}
	})

	t.Run("gate inputs reach karpgate", func(t *testing.T) {
		ws := t.TempDir()
		cfg := filepath.Join(ws, "gate.yaml")
		if err := os.WriteFile(cfg, []byte("fail_on: never\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			inputs map[string]string
			code   int
		}{
			{"fail-on never", map[string]string{"fail-on": "never"}, 0},
			{"a configuration that never fails", map[string]string{"config": cfg}, 0},
			{"no-config over that configuration", map[string]string{"config": cfg, "no-config": "true"}, 2},
			{"fail-on in args", map[string]string{"args": "--fail-on never --quiet"}, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := map[string]string{"version": "path", "plan": "infra/old/plan.json"}
				for k, v := range tc.inputs {
					in[k] = v
				}
				r := newJob(t, in).run()
				if r.code != tc.code || r.outputs["exit-code"] != fmt.Sprint(tc.code) {
					t.Errorf("exit code %d (output %q), want %d\n%s", r.code, r.outputs["exit-code"], tc.code, r.log)
				}
			})
		}
	})

	t.Run("a policy that does not compile is exit 4 with the error in the summary", func(t *testing.T) {
		pol := filepath.Join(t.TempDir(), "broken.rego")
		if err := os.WriteFile(pol, []byte("package main\n\ndeny contains msg if {\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := newJob(t, map[string]string{"version": "path", "plan": "infra/old/plan.json", "policy": "\n" + pol + "\n"}).run()
		if r.code != 4 || r.outputs["result"] != "error" {
			t.Fatalf("exit code %d, result %q, want 4 and error\n%s", r.code, r.outputs["result"], r.log)
		}
		for _, s := range []string{"not evaluated (exit code 4)", "broken.rego"} {
			if !strings.Contains(r.summary, s) {
				t.Errorf("job summary lacks %q:\n%s", s, r.summary)
			}
		}
		if _, err := os.Stat(r.outputs["sarif"]); err == nil {
			t.Errorf("a scan that stopped left SARIF at %s", r.outputs["sarif"])
		}
	})

	t.Run("a missing plan is exit 3", func(t *testing.T) {
		r := newJob(t, map[string]string{"version": "path", "plan": "infra/absent.json"}).run()
		if r.code != 3 || r.outputs["exit-code"] != "3" || !strings.Contains(r.summary, "absent.json") {
			t.Fatalf("exit code %d, outputs %v, want 3 and the file named in the summary\n%s\n%s", r.code, r.outputs, r.summary, r.log)
		}
	})

	t.Run("install runs go install at the version, else at the action's ref", func(t *testing.T) {
		for _, tc := range []struct {
			name, version, ref, want string
		}{
			{"the version input", "v1.2.3", "v9.9.9", "v1.2.3"},
			{"the action's ref", "", "v9.9.9", "v9.9.9"},
			{"the ref directory the runner checked the action out to", "", "", "v7.7.7"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				fake := t.TempDir()
				record := filepath.Join(fake, "record")
				// A go that records how it was called and installs the locally built karpgate.
				goScript := fmt.Sprintf("#!/bin/sh\necho \"$* CGO_ENABLED=$CGO_ENABLED\" > %q\ncp %q \"$GOBIN/karpgate\"\n", record, filepath.Join(bin, "karpgate"))
				if err := os.WriteFile(filepath.Join(fake, "go"), []byte(goScript), 0o755); err != nil {
					t.Fatal(err)
				}
				j := newJob(t, map[string]string{"version": tc.version, "plan": "infra/v1/plan.json"})
				j.ref = tc.ref
				if tc.ref == "" {
					// As the runner lays actions out: _actions/OWNER/REPO/REF.
					dir := filepath.Join(t.TempDir(), "_actions", "karpgate", "karpgate")
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(root, filepath.Join(dir, "v7.7.7")); err != nil {
						t.Fatal(err)
					}
					j.root = filepath.Join(dir, "v7.7.7")
				}
				j.path = []string{fake} // karpgate is not on PATH: it must be installed
				r := j.run()
				if r.code != 0 {
					t.Fatalf("exit code %d\n%s", r.code, r.log)
				}
				got, err := os.ReadFile(record)
				if err != nil {
					t.Fatalf("go was not called: %v\n%s", err, r.log)
				}
				if want := "install github.com/karpgate/karpgate/cmd/karpgate@" + tc.want + " CGO_ENABLED=0\n"; string(got) != want {
					t.Errorf("go called as %q, want %q", got, want)
				}
				if len(r.ghPath) != 1 || r.outputs["karpgate"] != filepath.Join(r.ghPath[0], "karpgate") {
					t.Errorf("GITHUB_PATH %v, karpgate output %q: want the GOBIN on PATH holding the binary used", r.ghPath, r.outputs["karpgate"])
				}
				if r.outputs["result"] != "passed" {
					t.Errorf("the scan with the installed karpgate: result %q\n%s", r.outputs["result"], r.log)
				}
			})
		}
	})

	t.Run("install refuses what it cannot install", func(t *testing.T) {
		for _, tc := range []struct {
			name, version, want string
			path                []string
		}{
			{"no version and no ref", "", "no karpgate version", nil},
			{"a version with shell characters", "v1;rm -rf /", "is not a tag", nil},
			{"path without karpgate on PATH", "path", "no karpgate on PATH", nil},
			{"a version without go", "v1.2.3", "go is not on PATH", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				j := newJob(t, map[string]string{"version": tc.version, "plan": "infra/v1/plan.json"})
				j.path = tc.path
				r := j.run()
				if r.code != 2 || !strings.Contains(r.log, tc.want) || r.outputs["exit-code"] != "" {
					t.Errorf("exit code %d, exit-code output %q, want 2 before any scan with %q in the log:\n%s", r.code, r.outputs["exit-code"], tc.want, r.log)
				}
			})
		}
	})
}
