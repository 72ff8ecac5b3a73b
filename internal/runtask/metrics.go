package runtask

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Label values of the counters. Requests are counted by how the handler answered; tasks by how
// they ended.
const (
	reqAccepted     = "accepted"     // 200, queued
	reqVerification = "verification" // 200, test-token
	reqDuplicate    = "duplicate"    // 200, task already queued, running or done
	reqUnauthorized = "unauthorized" // 401
	reqBadRequest   = "bad_request"  // 400
	reqTooLarge     = "too_large"    // 413
	reqRejected     = "rejected"     // 422, callback host not allowed
	reqQueueFull    = "queue_full"   // 503
	reqDraining     = "draining"     // 503, shutting down

	taskPassed  = "passed"  // scanned, gate passed
	taskFailed  = "failed"  // scanned, gate failed
	taskErrored = "errored" // not evaluated (download, scan, timeout, shutdown): reported failed
	taskSkipped = "skipped" // nothing to scan (pre_plan): reported passed

	cbDelivered = "delivered"
	cbFailed    = "failed"
)

// durationBuckets are the upper bounds, in seconds, of the task duration histogram.
var durationBuckets = [...]float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// metrics are the service's counters, written by hand in the Prometheus text format so the service
// needs no client library. All methods are safe for concurrent use.
type metrics struct {
	mu        sync.Mutex
	requests  map[string]uint64
	tasks     map[string]uint64
	callbacks map[string]uint64
	retries   uint64 // callback attempts beyond the first
	buckets   [len(durationBuckets)]uint64
	durCount  uint64
	durSum    float64
	running   int64
}

func newMetrics() *metrics {
	return &metrics{requests: map[string]uint64{}, tasks: map[string]uint64{}, callbacks: map[string]uint64{}}
}

func (m *metrics) request(result string) {
	m.mu.Lock()
	m.requests[result]++
	m.mu.Unlock()
}

func (m *metrics) started() {
	m.mu.Lock()
	m.running++
	m.mu.Unlock()
}

// finished records a task's end, its duration from acceptance and its callback.
func (m *metrics) finished(outcome string, d time.Duration, attempts int, delivered bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running--
	m.tasks[outcome]++
	sec := d.Seconds()
	m.durCount++
	m.durSum += sec
	for i, le := range durationBuckets {
		if sec <= le {
			m.buckets[i]++
		}
	}
	if attempts > 1 {
		m.retries += uint64(attempts - 1)
	}
	if delivered {
		m.callbacks[cbDelivered]++
	} else {
		m.callbacks[cbFailed]++
	}
}

// write renders the metrics; queued, capacity and workers are read from the pool by the caller.
func (m *metrics) write(w io.Writer, queued, capacity, workers int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b []byte
	counter := func(name, help, label string, values map[string]uint64, known ...string) {
		b = fmt.Appendf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		keys := slices.Clone(known)
		for k := range values {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = fmt.Appendf(b, "%s{%s=%q} %d\n", name, label, k, values[k])
		}
	}
	gauge := func(name, help string, v int64) {
		b = fmt.Appendf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	counter("karpgate_runtask_requests_total", "Run-task requests by how they were answered.", "result", m.requests,
		reqAccepted, reqVerification, reqDuplicate, reqUnauthorized, reqBadRequest, reqTooLarge, reqRejected, reqQueueFull, reqDraining)
	counter("karpgate_runtask_tasks_total", "Finished tasks by outcome.", "outcome", m.tasks,
		taskPassed, taskFailed, taskErrored, taskSkipped)
	counter("karpgate_runtask_callbacks_total", "Final callbacks by whether HCP Terraform accepted them.", "result", m.callbacks,
		cbDelivered, cbFailed)
	b = fmt.Appendf(b, "# HELP karpgate_runtask_callback_retries_total Callback attempts beyond the first.\n"+
		"# TYPE karpgate_runtask_callback_retries_total counter\nkarpgate_runtask_callback_retries_total %d\n", m.retries)

	const h = "karpgate_runtask_task_duration_seconds"
	b = fmt.Appendf(b, "# HELP %s Time from accepting a task to its final callback.\n# TYPE %s histogram\n", h, h)
	for i, le := range durationBuckets {
		b = fmt.Appendf(b, "%s_bucket{le=%q} %d\n", h, strconv.FormatFloat(le, 'g', -1, 64), m.buckets[i])
	}
	b = fmt.Appendf(b, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n",
		h, m.durCount, h, strconv.FormatFloat(m.durSum, 'g', -1, 64), h, m.durCount)

	gauge("karpgate_runtask_queue_depth", "Accepted tasks waiting for a worker.", int64(queued))
	gauge("karpgate_runtask_queue_capacity", "Size of the task queue.", int64(capacity))
	gauge("karpgate_runtask_tasks_running", "Tasks a worker is processing.", m.running)
	gauge("karpgate_runtask_workers", "Configured workers.", int64(workers))
	_, err := w.Write(b)
	return err
}
