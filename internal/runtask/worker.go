package runtask

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/karpgate/karpgate/internal/findings"
)

// Errors of enqueue; the handler answers both with 503 so HCP Terraform retries.
var (
	errQueueFull    = errors.New("task queue is full")
	errNotAccepting = errors.New("not accepting tasks")
)

// job is one accepted task.
type job struct {
	req      Request
	received time.Time
}

// pool is the bounded task queue and the set of tasks it knows, keyed by task_result_id, so a
// redelivered task is acknowledged without running (and calling back) twice.
type pool struct {
	mu        sync.Mutex
	queue     chan job
	active    map[string]bool // queued or running
	done      recent          // finished lately
	accepting bool            // set by start, cleared by stop
	stopped   bool
	wg        sync.WaitGroup
}

func newPool(size int) *pool {
	return &pool{queue: make(chan job, size), active: map[string]bool{}, done: newRecent(recentTasks)}
}

// enqueue queues a task. dup reports a task already queued, running or finished; it is not queued
// again. Otherwise the error is errQueueFull or errNotAccepting.
func (p *pool) enqueue(req Request, received time.Time) (dup bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.TaskResultID
	if p.active[id] || p.done.has(id) {
		return true, nil
	}
	if !p.accepting {
		return false, errNotAccepting
	}
	select {
	case p.queue <- job{req: req, received: received}:
		p.active[id] = true
		return false, nil
	default:
		return false, errQueueFull
	}
}

// start begins accepting tasks and runs n workers calling process for each job.
func (p *pool) start(n int, process func(job)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.accepting = true
	for range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.queue {
				process(j)
			}
		}()
	}
}

// stop refuses new tasks; workers finish the queue and exit. Safe to call more than once.
func (p *pool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accepting = false
	if !p.stopped {
		p.stopped = true
		close(p.queue)
	}
}

// finish forgets a task as active and remembers it as done.
func (p *pool) finish(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.active, id)
	p.done.add(id)
}

func (p *pool) isAccepting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepting
}

// recent is a fixed-size set of the last n finished task ids.
type recent struct {
	ids  []string
	set  map[string]bool
	next int
}

func newRecent(n int) recent { return recent{ids: make([]string, 0, n), set: map[string]bool{}} }

func (r *recent) has(id string) bool { return r.set[id] }

func (r *recent) add(id string) {
	if r.set[id] {
		return
	}
	if len(r.ids) < cap(r.ids) {
		r.ids = append(r.ids, id)
	} else {
		delete(r.set, r.ids[r.next])
		r.ids[r.next] = id
		r.next = (r.next + 1) % len(r.ids)
	}
	r.set[id] = true
}

// process runs one task to its single final callback: evaluate, then PATCH the result. Whatever
// happens during evaluation, the result is passed or failed and the callback is attempted once
// (with retries of that one PATCH).
func (s *Server) process(j job) {
	s.metrics.started()
	log := s.log.With(slog.Any("task", j.req))
	ctx, cancel := context.WithDeadline(s.base, j.received.Add(s.opts.TaskTimeout))
	outcome, tr := s.evaluate(ctx, j.req, log)
	cancel()

	// The callback outlives a shutdown's cancellation: a task that was acknowledged gets its answer.
	cbCtx, cbCancel := context.WithTimeout(context.WithoutCancel(s.base), s.opts.CallbackTimeout)
	attempts, err := s.client.sendResult(cbCtx, j.req.TaskResultCallbackURL, j.req.AccessToken, tr)
	cbCancel()

	d := time.Since(j.received)
	s.metrics.finished(outcome, d, attempts, err == nil)
	s.pool.finish(j.req.TaskResultID)
	attrs := []any{
		slog.String("outcome", outcome),
		slog.String("status", tr.Data.Attributes.Status),
		slog.Int("outcomes", outcomeCount(tr)),
		slog.Duration("duration", d),
		slog.Int("callback_attempts", attempts),
	}
	if err != nil {
		log.Error("task result not delivered", append(attrs, slog.String("error", err.Error()))...)
		return
	}
	log.Info("task finished", attrs...)
}

func outcomeCount(tr TaskResult) int {
	if tr.Data.Relationships == nil {
		return 0
	}
	return len(tr.Data.Relationships.Outcomes.Data)
}

// evaluate decides a task: the pre_plan stage passes (there is no plan); every other path either
// scans the plan or fails closed with a message.
func (s *Server) evaluate(ctx context.Context, req Request, log *slog.Logger) (string, TaskResult) {
	resultsURL := expandResultsURL(s.opts.ResultsURL, req)
	if req.Stage == StagePrePlan {
		return taskSkipped, newTaskResult(StatusPassed,
			"karpgate: the pre_plan stage has no plan to scan; attach karpgate to post_plan or pre_apply.", resultsURL, nil)
	}
	if req.PlanJSONAPIURL == "" {
		log.Warn("request has no plan URL")
		return taskErrored, failResult(fmt.Sprintf("the %s request has no plan_json_api_url; failing closed.", req.Stage), resultsURL)
	}
	if ctx.Err() != nil {
		return taskErrored, failResult(s.interrupted(ctx, "start"), resultsURL)
	}
	body, err := s.client.fetchPlan(ctx, req.PlanJSONAPIURL, req.AccessToken)
	if err != nil {
		log.Warn("plan download failed", slog.String("error", err.Error()))
		return taskErrored, failResult(s.explain(ctx, "download the plan", err), resultsURL)
	}
	defer body.Close()
	res, err := s.scan(ctx, planName(req), body, req.RunInfo())
	if body.err != nil { // a broken or oversize download, whatever the scanner made of it
		log.Warn("plan download failed", slog.String("error", body.err.Error()))
		return taskErrored, failResult(s.explain(ctx, "download the plan", body.err), resultsURL)
	}
	if err != nil {
		log.Warn("scan failed", slog.String("error", err.Error()))
		return taskErrored, failResult(s.explain(ctx, "scan the plan", err), resultsURL)
	}
	tr := buildResult(res, req.Capabilities.Outcomes, resultsURL)
	if res.Summary.Passed {
		return taskPassed, tr
	}
	return taskFailed, tr
}

// scan calls the Scanner, turning a panic into an error so one bad plan cannot take down the
// service and lose every queued task's callback.
func (s *Server) scan(ctx context.Context, name string, body *planReader, run RunInfo) (res findings.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("scanner panicked: %v", r)
		}
	}()
	return s.opts.Scanner.Scan(ctx, name, body, run)
}

// planName is how the scanner names the plan in findings and messages.
func planName(req Request) string {
	switch {
	case req.WorkspaceName != "" && req.RunID != "":
		return req.WorkspaceName + "/" + req.RunID
	case req.RunID != "":
		return req.RunID
	}
	return "plan.json"
}

// explain turns an evaluation error into the task message, telling a timeout and a shutdown apart
// from a plain failure. Errors never contain the token or a full URL (see client.go).
func (s *Server) explain(ctx context.Context, what string, err error) string {
	if ctx.Err() != nil {
		return s.interrupted(ctx, what)
	}
	return fmt.Sprintf("could not %s: %v. Failing closed.", what, err)
}

func (s *Server) interrupted(ctx context.Context, what string) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("could not %s within the task timeout of %s. Failing closed.", what, s.opts.TaskTimeout)
	}
	return fmt.Sprintf("the service shut down before it could %s; re-run the task. Failing closed.", what)
}
