package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/report"
	"github.com/karpgate/karpgate/internal/scan"
	"github.com/karpgate/karpgate/internal/source"
)

const scanLong = `Scan one or more plans (the JSON that 'terraform show -json PLANFILE' prints; '-' reads stdin; a
directory scans every *.json file in it) and report every finding. Several plans are scanned concurrently and reported together.

Formats (--format, repeatable; NAME=PATH writes that format to a file, atomically):
  %s
  patch: a unified diff of the .tf sources (--source-dir) that makes the fixes that are module
  arguments (terraform-aws-eks enable_v1_permissions, its version); apply with patch -p1 or git apply

Examples:
  terraform show -json tfplan > plan.json && karpgate scan plan.json
  karpgate scan --format text --format sarif=results.sarif --format markdown=comment.md plan.json
  terraform show -json tfplan | karpgate scan -

` + exitCodesHelp

type scanFlags struct {
	pipelineFlags
	formats   []string
	output    string
	sourceDir string
	repoRoot  string
	category  string
	color     string
	quiet     bool
}

// output is one format going to stdout or a file.
type output struct {
	format string
	path   string // "" for stdout
	opt    report.Options
	writer report.Writer // made once the sources are known (the SARIF category comes from them)
}

// reportHints are how a report tells its reader to get more from karpgate: with its flags.
func reportHints() report.Hints {
	return report.Hints{SourceDir: "pass --source-dir", TextReport: "run karpgate with --format text"}
}

func newScan(s *streams) *cobra.Command {
	f := &scanFlags{}
	f.newEngine, f.evalFor = s.newEngine, s.evalFor
	cmd := &cobra.Command{
		Use:   "scan [flags] PLAN...",
		Short: "Scan Terraform plan JSON and gate on the findings",
		Long:  fmt.Sprintf(scanLong, strings.Join(report.Formats(), ", ")),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr(errors.New("scan needs at least one plan file (or - for stdin)"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, s, args) },
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.formats, "format", "f", nil, "output format, or FORMAT=PATH to write it to a file (repeatable; default text): "+strings.Join(report.Formats(), ", ")+"; "+patchFormat+" (a unified diff of the .tf sources for the fixes that are module arguments)")
	fl.StringVarP(&f.output, "output", "o", "", "write the (first stdout) format to this file instead of stdout")
	fl.StringVar(&f.sourceDir, "source-dir", "", "Terraform root module to map findings to .tf lines (default: the working directory when it holds .tf files)")
	fl.StringVar(&f.repoRoot, "repo-root", "", "repository root that SARIF paths are relative to (default: the git top level)")
	fl.StringVar(&f.category, "category", "", "SARIF automationDetails.id (default karpgate/<source dir name>/)")
	fl.StringVar(&f.color, "color", "auto", "colour in text output: auto, always or never")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the summary line of the text report on stdout (and errors on stderr); files get the whole report")
	return cmd
}

func (f *scanFlags) outputs(s *streams) ([]output, error) {
	formats := f.formats
	if len(formats) == 0 {
		formats = []string{"text"}
	}
	color := false
	switch f.color {
	case "auto":
		color = s.isTTY && f.output == "" && os.Getenv("NO_COLOR") == ""
	case "always":
		color = true
	case "never":
	default:
		return nil, usageErr(fmt.Errorf("--color: %q is not auto, always or never", f.color))
	}
	var outs []output
	stdoutUsed := false
	for _, spec := range formats {
		name, path, toFile := strings.Cut(spec, "=")
		if toFile && path == "" {
			return nil, usageErr(fmt.Errorf("--format %s: empty path", spec))
		}
		if !toFile && f.output != "" && !stdoutUsed {
			path, toFile = f.output, true
		}
		if !toFile {
			if stdoutUsed {
				return nil, usageErr(fmt.Errorf("--format %s: only one format can go to stdout; write the others to files with FORMAT=PATH", spec))
			}
			stdoutUsed = true
		}
		if name == patchFormat {
			outs = append(outs, output{format: name, path: path})
			continue
		}
		opt := report.Options{Color: color && !toFile, Category: f.category, Hints: reportHints()}
		if _, err := report.New(name, opt); err != nil {
			return nil, usageErr(fmt.Errorf("--format: %w", err))
		}
		outs = append(outs, output{format: name, path: path, opt: opt})
	}
	return outs, nil
}

func (f *scanFlags) run(cmd *cobra.Command, s *streams, args []string) error {
	outs, err := f.outputs(s)
	if err != nil {
		return err
	}
	// An unwritable output path is a usage error before any work.
	for _, o := range outs {
		if o.path != "" {
			if err := checkWritable(o.path); err != nil {
				return usageErr(err)
			}
		}
	}
	stdinUsed := false
	var srcs []scan.Source
	for _, a := range args {
		if a == "-" {
			if stdinUsed {
				return usageErr(errors.New("stdin (-) can be scanned only once"))
			}
			stdinUsed = true
			srcs = append(srcs, scan.Source{Name: "-", Reader: s.in})
			continue
		}
		plans, err := planFiles(a)
		if err != nil {
			return err
		}
		for _, p := range plans {
			srcs = append(srcs, scan.Source{Name: p})
		}
	}
	srcMap, category, err := f.sources()
	if err != nil {
		return err
	}
	for i := range outs {
		if outs[i].format == patchFormat {
			outs[i].writer = &patchWriter{sources: srcMap}
			continue
		}
		if f.category == "" {
			outs[i].opt.Category = category
		}
		if outs[i].writer, err = report.New(outs[i].format, outs[i].opt); err != nil {
			return usageErr(fmt.Errorf("--format: %w", err))
		}
	}
	res, err := f.scan(cmd.Context(), s, srcs)
	if err != nil {
		var paths []string
		for _, o := range outs {
			if o.path != "" {
				paths = append(paths, o.path)
			}
		}
		removeStale(paths)
		return err
	}
	res.Summary.ExitCode = ExitPass
	if !res.Summary.Passed {
		res.Summary.ExitCode = ExitPolicy
	}
	locate(srcMap, &res)
	if srcMap != nil {
		for _, prob := range srcMap.Problems() {
			res.Notices = append(res.Notices, "source: "+prob)
		}
	}
	for _, o := range outs {
		var buf bytes.Buffer
		if err := o.writer.Write(&buf, res); err != nil {
			return fmt.Errorf("render %s: %w", o.format, err)
		}
		if o.path == "" {
			out := buf.Bytes()
			if f.quiet && o.format == "text" {
				out = lastLine(out)
			}
			if _, err := s.out.Write(out); err != nil {
				return fmt.Errorf("write stdout: %w", err)
			}
			continue
		}
		if err := writeAtomic(o.path, buf.Bytes()); err != nil {
			return usageErr(err)
		}
	}
	if !res.Summary.Passed {
		return &exitError{code: ExitPolicy, err: errors.New("the gate did not pass")}
	}
	return nil
}

// scan runs the pipeline: in a supervised child process when user code is loaded (supervise.go),
// in this process otherwise.
func (f *scanFlags) scan(ctx context.Context, s *streams, srcs []scan.Source) (findings.Result, error) {
	if f.supervised() {
		names := make([]string, len(srcs))
		for i, src := range srcs {
			names[i] = src.Name
		}
		return f.superviseScan(ctx, names, s.in, "", scan.Run{})
	}
	p, err := f.build(ctx, time.Now())
	if err != nil {
		return findings.Result{}, err
	}
	return p.scanner.Scan(ctx, srcs, scan.Run{})
}

// sources indexes the Terraform sources for locations, and derives the default SARIF category.
func (f *scanFlags) sources() (*source.Map, string, error) {
	dir := f.sourceDir
	explicit := dir != ""
	if !explicit {
		if matches, _ := filepath.Glob("*.tf"); len(matches) > 0 {
			dir = "."
		}
	}
	category := "karpgate/"
	if dir == "" {
		return nil, category, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, category, usageErr(fmt.Errorf("--source-dir %s: %w", dir, err))
	}
	category = "karpgate/" + filepath.Base(abs) + "/"
	m, err := source.Index(dir, f.repoRoot)
	if err != nil {
		if explicit {
			return nil, category, usageErr(fmt.Errorf("--source-dir %s: %w", dir, err))
		}
		return nil, category, nil
	}
	if rel, ok := m.Rel(abs); ok && rel != "." && rel != "" {
		category = "karpgate/" + rel + "/"
	}
	return m, category, nil
}

// locate fills each finding's Location from the sources, when they are at hand; otherwise the
// location is the plan file (relative to the repository root), line 1, with the reason. A fix
// given in several forms becomes the one for the way the sources write the policy (the scan chose
// from the plan's configuration before; the sources know more).
func locate(m *source.Map, res *findings.Result) {
	for i := range res.Findings {
		f := &res.Findings[i]
		// A fix written for the way the sources write the policy; the others are not reported.
		if m != nil && len(f.FixForms) > 0 {
			f.UseForm(m.PolicyForm(f.PolicyText()))
		}
		f.FixForms = nil
		if m == nil {
			continue
		}
		fallback := func(why string) {
			if rel, ok := m.Rel(f.Plan); ok && f.Plan != "-" {
				f.Location = &findings.Location{File: rel, StartLine: 1, Note: why}
			}
		}
		if f.Edit != nil {
			// A module-argument fix names the block to edit.
			if b, err := m.Module(f.Edit.Module); err == nil {
				f.Fix = strings.TrimRight(f.Fix, "\n") + fmt.Sprintf("\nThe module block is at %s:%d.", b.File, b.Line)
			}
		}
		if f.Address == "" {
			fallback("the plan file: this finding is about the plan as a whole")
			continue
		}
		sid, idx := "", source.NoStatement
		addr := f.Address
		if f.Statement != nil {
			sid, idx = f.Statement.Sid, f.Statement.Index
			if f.Statement.Policy != "" {
				addr = f.Statement.Policy
			}
		}
		loc, ok := m.Locate(addr, sid, idx)
		if !ok {
			fallback("the plan file: no Terraform source found for " + addr + ": " + loc.Note)
			continue
		}
		f.Location = &findings.Location{File: loc.File, StartLine: loc.StartLine, EndLine: loc.EndLine, Note: loc.Note}
	}
}
