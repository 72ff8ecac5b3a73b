package runtask

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestLoad sends 200 tasks, 32 at a time, through a small pool (so the queue fills and HCP
// Terraform's retry of a 503 is exercised), with slow plans, failing plans, plans not ready at
// first, flaky callbacks and duplicate deliveries, and checks that every task gets exactly one
// accepted final callback with the right status. Run it with -race.
func TestLoad(t *testing.T) {
	const (
		tasks       = 200
		concurrency = 32
	)
	e := startEnv(t, func(o *Options, _ *fakeTFC) { o.Workers, o.QueueSize = 8, 32 })
	type item struct {
		task, plan string
		body       []byte
		fail, dup  bool
		flaky      bool
	}
	items := make([]item, tasks)
	for i := range items {
		it := item{task: fmt.Sprintf("taskrs-load-%03d", i), plan: fmt.Sprintf("plan-load-%03d", i), fail: i%3 == 0, dup: i%7 == 0, flaky: i%13 == 0}
		spec := planSpec{body: fmt.Appendf(nil, `{"fail": %t, "sleep_ms": %d}`, it.fail, map[bool]int{true: 40}[i%10 == 0])}
		if i%11 == 0 {
			spec.notReady = 1
		}
		if i%17 == 0 {
			spec.direct = true
		}
		e.fake.addPlan(it.plan, spec)
		if it.flaky {
			e.fake.mu.Lock()
			e.fake.cbFailFirst[it.task] = 1
			e.fake.mu.Unlock()
		}
		it.body = e.fake.request(t, "request_post_plan.json", it.task, it.plan, nil)
		items[i] = it
	}

	client := &http.Client{Timeout: 5 * time.Second}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		refused   int // 503 answers retried
		postErrs  []string
		next      = make(chan item)
		deliverOK = func(it item) error {
			for range 2000 { // HCP Terraform retries a non-200 answer; bounded here
				req, err := http.NewRequest(http.MethodPost, e.url+"/runtask", bytes.NewReader(it.body))
				if err != nil {
					return err
				}
				req.Header.Set(SignatureHeader, Sign(it.body, testKey))
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					return nil
				case http.StatusServiceUnavailable:
					mu.Lock()
					refused++
					mu.Unlock()
					time.Sleep(5 * time.Millisecond)
				default:
					return fmt.Errorf("%s: status %d", it.task, resp.StatusCode)
				}
			}
			return fmt.Errorf("%s: still refused after 2000 tries", it.task)
		}
	)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				err := deliverOK(it)
				if err == nil && it.dup {
					err = deliverOK(it)
				}
				if err != nil {
					mu.Lock()
					postErrs = append(postErrs, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	start := time.Now()
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
	if len(postErrs) > 0 {
		t.Fatalf("%d deliveries failed, first: %s", len(postErrs), postErrs[0])
	}
	if err := e.stop(); err != nil { // drains every accepted task
		t.Fatalf("Serve: %v", err)
	}
	t.Logf("%d tasks in %v; %d deliveries refused with 503 and retried", tasks, time.Since(start).Round(time.Millisecond), refused)

	passed, failed := 0, 0
	for _, it := range items {
		acc := e.fake.accepted(it.task)
		if len(acc) != 1 {
			t.Errorf("%s: %d accepted callbacks, want exactly 1", it.task, len(acc))
			continue
		}
		want := StatusPassed
		if it.fail {
			want = StatusFailed
		}
		if got := acc[0].doc.Data.Attributes.Status; got != want {
			t.Errorf("%s: status %s, want %s (%s)", it.task, got, want, acc[0].doc.Data.Attributes.Message)
		}
		wantAttempts := 1
		if it.flaky {
			wantAttempts = 2
		}
		if got := e.fake.attempts(it.task); got != wantAttempts {
			t.Errorf("%s: %d callback attempts, want %d", it.task, got, wantAttempts)
		}
		if acc[0].doc.Data.Attributes.Status == StatusPassed {
			passed++
		} else {
			failed++
		}
	}
	if arch, bad := e.fake.misuse(); arch != 0 || bad != 0 {
		t.Errorf("token misuse: %d archivist requests with a token, %d plan requests without", arch, bad)
	}
	m := e.srv.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tasks[taskPassed] != uint64(passed) || m.tasks[taskFailed] != uint64(failed) || m.tasks[taskErrored] != 0 {
		t.Errorf("metrics tasks = %v, want passed %d failed %d", m.tasks, passed, failed)
	}
	if m.requests[reqAccepted] != tasks || m.callbacks[cbDelivered] != tasks || m.running != 0 || m.durCount != tasks {
		t.Errorf("metrics: requests %v, callbacks %v, running %d, durations %d", m.requests, m.callbacks, m.running, m.durCount)
	}
}
