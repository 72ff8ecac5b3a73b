package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/runtask"
	"github.com/karpgate/karpgate/internal/scan"
)

type serveFlags struct {
	pipelineFlags
	listen       string
	hmacKeyFile  string
	hmacKeyEnv   string
	allowedHosts []string
	workers      int
	queue        int
	resultsURL   string
	insecureHMAC bool
	grace        time.Duration
}

func newServe(s *streams) *cobra.Command {
	f := &serveFlags{}
	f.newEngine, f.evalFor = s.newEngine, s.evalFor
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run as an HCP Terraform / Terraform Enterprise run task (HTTP service)",
		Long: `Serve the run-task protocol: POST /runtask (HMAC-verified), GET /healthz, GET /metrics.
Every task is scanned with exactly the pipeline and rules of 'karpgate scan'; see docs/terraform-cloud.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd.Context(), s) },
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", runtask.DefaultAddr, "listen address")
	fl.StringVar(&f.hmacKeyFile, "hmac-key-file", "", "file holding the run task's HMAC key")
	fl.StringVar(&f.hmacKeyEnv, "hmac-key-env", "", "environment variable holding the run task's HMAC key")
	fl.StringSliceVar(&f.allowedHosts, "allowed-hosts", []string{"app.terraform.io"}, "hosts karpgate fetches plans from and calls back to")
	fl.IntVar(&f.workers, "workers", 4, "tasks processed at once")
	fl.IntVar(&f.queue, "queue", 64, "tasks waiting for a worker before new ones get 503")
	fl.BoolVar(&f.insecureHMAC, "insecure-no-hmac", false, "accept unsigned tasks when no HMAC key is given (anyone who reaches the service can send tasks); warns at every start")
	fl.DurationVar(&f.grace, "grace-period", runtask.DefaultGracePeriod, "longest shutdown after SIGTERM: give the process manager this long; queued and running tasks drain for it less the callback timeout and a reserve")
	fl.StringVar(&f.resultsURL, "results-url", "", "URL sent with each task result ({run_id}, {task_result_id}, {workspace}, {organization} are replaced)")
	return cmd
}

func (f *serveFlags) run(ctx context.Context, s *streams) error {
	var key []byte
	switch {
	case f.hmacKeyFile != "" && f.hmacKeyEnv != "":
		return usageErr(errors.New("--hmac-key-file and --hmac-key-env exclude each other"))
	case f.hmacKeyFile != "":
		b, err := os.ReadFile(f.hmacKeyFile)
		if err != nil {
			return usageErr(fmt.Errorf("--hmac-key-file: %w", unwrapPath(err)))
		}
		key = []byte(strings.TrimSpace(string(b)))
	case f.hmacKeyEnv != "":
		v, ok := os.LookupEnv(f.hmacKeyEnv)
		if !ok || v == "" {
			return usageErr(fmt.Errorf("--hmac-key-env: %s is not set", f.hmacKeyEnv))
		}
		key = []byte(v)
	}
	if len(key) == 0 && !f.insecureHMAC {
		return usageErr(errors.New("serve needs an HMAC key (--hmac-key-file or --hmac-key-env); --insecure-no-hmac accepts unsigned tasks from anyone"))
	}
	if len(key) > 0 && f.insecureHMAC {
		return usageErr(errors.New("--insecure-no-hmac and an HMAC key exclude each other"))
	}
	p, err := f.build(ctx, time.Now())
	if err != nil {
		return err
	}
	srv, err := runtask.New(runtask.Options{
		Addr:           f.listen,
		HMACKey:        key,
		InsecureNoHMAC: f.insecureHMAC,
		GracePeriod:    f.grace,
		AllowedHosts:   f.allowedHosts,
		Workers:        f.workers,
		QueueSize:      f.queue,
		MaxPlanSize:    f.maxPlanSize,
		ResultsURL:     f.resultsURL,
		Scanner:        f.taskScanner(p),
		Logger:         slog.New(slog.NewJSONHandler(s.err, nil)),
	})
	if err != nil {
		return usageErr(err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Run(ctx)
}

// taskScanner is the scanner of every task: the pipeline built at start (which has checked the
// configuration and compiled the policies), or, with user code loaded, a supervised child process
// per task (supervise.go), so that one hostile evaluation fails its task and nothing else.
func (f *serveFlags) taskScanner(p *pipeline) runtaskScanner {
	if f.supervised() {
		return runtaskScanner{sup: &f.pipelineFlags}
	}
	return runtaskScanner{sc: p.scanner}
}

// runtaskScanner adapts the scan pipeline to runtask.Scanner.
type runtaskScanner struct {
	sc  *scan.Scanner
	sup *pipelineFlags // when set, each task is scanned in a supervised child process
}

func (r runtaskScanner) Scan(ctx context.Context, name string, body io.Reader, run runtask.RunInfo) (findings.Result, error) {
	sr := scan.Run{Workspace: run.Workspace, Stage: run.Stage, RunID: run.RunID, Organization: run.Organization}
	if r.sup != nil {
		return r.sup.superviseScan(ctx, []string{"-"}, body, name, sr)
	}
	return r.sc.Scan(ctx, []scan.Source{{Name: name, Reader: body}}, sr)
}
