package runtask

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// Server is the run-task service: an HTTP handler that acknowledges tasks and a pool of workers
// that evaluate them and call back. Create it with New, then call Run (or Serve, or Start, Handler
// and Shutdown to embed it in another server).
type Server struct {
	opts     Options
	log      *slog.Logger
	client   *client
	metrics  *metrics
	pool     *pool
	handler  http.Handler
	base     context.Context // parent of every task; cancelled when a drain times out
	hardStop context.CancelFunc
	start    sync.Once
}

// New checks opts, fills defaults and returns a Server that is not yet running.
func New(opts Options) (*Server, error) {
	if opts.Scanner == nil {
		return nil, errors.New("check options: a Scanner is required")
	}
	if len(opts.HMACKey) == 0 && !opts.InsecureNoHMAC {
		return nil, errors.New("check options: an HMAC key is required (anyone could otherwise send tasks); set InsecureNoHMAC to accept unsigned tasks")
	}
	o, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	hosts, err := newHostPolicy(o.AllowedHosts, o.RedirectHosts, o.InsecureAllowHTTP)
	if err != nil {
		return nil, err
	}
	base, hardStop := context.WithCancel(context.Background())
	s := &Server{
		opts:     o,
		log:      o.Logger,
		client:   newClient(o, hosts),
		metrics:  newMetrics(),
		pool:     newPool(o.QueueSize),
		base:     base,
		hardStop: hardStop,
	}
	mux := http.NewServeMux()
	mux.Handle("POST /runtask", &handler{
		verify:  func(body []byte, sig string) error { return Verify(body, sig, o.HMACKey) },
		hosts:   hosts,
		queue:   s.pool,
		log:     s.log,
		metrics: s.metrics,
		now:     time.Now,
	})
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	s.handler = mux
	return s, nil
}

func withDefaults(o Options) (Options, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.AllowedHosts == nil {
		o.AllowedHosts = []string{defaultAllowedHost}
	}
	if o.RedirectHosts == nil {
		o.RedirectHosts = []string{defaultRedirHost}
	}
	if o.Workers < 0 || o.QueueSize < 0 || o.MaxPlanSize < 0 {
		return o, errors.New("check options: workers, queue and max plan size must not be negative")
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.QueueSize == 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxPlanSize == 0 {
		o.MaxPlanSize = DefaultMaxPlanSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.TaskTimeout, DefaultTaskTimeout},
		{&o.CallbackTimeout, DefaultCallbackTimeout},
		{&o.RequestTimeout, DefaultRequestTimeout},
		{&o.GracePeriod, DefaultGracePeriod},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = o.GracePeriod - o.CallbackTimeout - stopReserve(o.GracePeriod)
		if o.DrainTimeout <= 0 {
			return o, fmt.Errorf("check options: grace period %s leaves no time to drain tasks after the callback timeout of %s", o.GracePeriod, o.CallbackTimeout)
		}
	}
	o.PlanRetry = o.PlanRetry.withDefaults(Backoff{Attempts: 8, Initial: time.Second, Max: 10 * time.Second})
	o.CallbackRetry = o.CallbackRetry.withDefaults(Backoff{Attempts: 5, Initial: time.Second, Max: 15 * time.Second})
	if o.ResultsURL != "" {
		u, err := url.Parse(expandResultsURL(o.ResultsURL, Request{RunID: "run-x", TaskResultID: "taskrs-x", WorkspaceName: "ws", OrganizationName: "org"}))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return o, fmt.Errorf("check results URL %q: want an absolute http(s) URL of at most %d characters", o.ResultsURL, MaxURLChars)
		}
	}
	return o, nil
}

// stopReserve is the part of the grace period kept for closing the HTTP server after the drain:
// a tenth of it, at most httpShutdownWait.
func stopReserve(grace time.Duration) time.Duration { return min(grace/10, httpShutdownWait) }

// Handler serves POST /runtask, GET /healthz and GET /metrics. Tasks are accepted only between
// Start and Shutdown; outside that window /runtask answers 503.
func (s *Server) Handler() http.Handler { return s.handler }

// Start starts the workers and begins accepting tasks. Run and Serve call it; calling it again, or
// after Shutdown, does nothing.
func (s *Server) Start() {
	s.start.Do(func() {
		s.pool.start(s.opts.Workers, s.process)
		s.log.Info("run-task workers started", slog.Int("workers", s.opts.Workers), slog.Int("queue", s.opts.QueueSize))
		if len(s.opts.HMACKey) == 0 {
			s.log.Warn("no HMAC key (InsecureNoHMAC): unsigned tasks are accepted, and anyone who can reach this service can send tasks and squat task result ids")
		}
	})
}

// Shutdown stops accepting tasks (503) and waits until every queued and running task has sent its
// final callback. If ctx ends first, the remaining tasks are cancelled (each still reports failed
// with a message, within CallbackTimeout) and Shutdown returns ctx's error once they are done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.pool.stop()
	done := make(chan struct{})
	go func() {
		s.pool.wg.Wait()
		close(done)
	}()
	defer s.hardStop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.log.Warn("drain timed out; cancelling the remaining tasks")
		s.hardStop()
		<-done
		return fmt.Errorf("drain tasks: %w", ctx.Err())
	}
}

// Run listens on Options.Addr and serves until ctx ends (the caller wires SIGTERM to it with
// signal.NotifyContext), then drains as Serve does.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve starts the workers and serves HTTP on ln (closing it) until ctx ends or serving fails.
// Then it stops taking work (503), lets in-flight requests finish, and drains the tasks for at most
// DrainTimeout before returning.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.Start()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("run-task service listening", slog.String("addr", ln.Addr().String()))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serve HTTP: %w", serveErr)
	}
	s.log.Info("run-task service stopping")
	// Drain while HTTP still answers: /runtask and /healthz say 503 with Retry-After rather than
	// refusing connections, and every accepted task gets its final callback.
	s.pool.stop()
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.DrainTimeout)
	drainErr := s.Shutdown(dctx)
	cancel()

	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopReserve(s.opts.GracePeriod))
	httpErr := srv.Shutdown(hctx)
	cancel()
	if httpErr != nil {
		httpErr = fmt.Errorf("shut down HTTP server: %w", httpErr)
	}
	if serveErr == nil {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = fmt.Errorf("serve HTTP: %w", err)
		}
	}
	s.log.Info("run-task service stopped")
	return errors.Join(serveErr, httpErr, drainErr)
}

// healthz answers 200 while tasks are accepted and 503 otherwise (starting or draining), so a
// load balancer stops sending work to a replica that is shutting down.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !s.pool.isAccepting() {
		w.Header().Set("Retry-After", strconv.Itoa(queueRetryAfter))
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not accepting tasks\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := s.metrics.write(w, len(s.pool.queue), cap(s.pool.queue), s.opts.Workers); err != nil {
		s.log.Warn("write metrics", slog.String("error", err.Error()))
	}
}
