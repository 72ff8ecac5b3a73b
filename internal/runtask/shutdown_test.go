package runtask

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDrainAnswers503WithRetryAfter: while tasks drain, /healthz and /runtask still answer (503
// with Retry-After) instead of refusing connections, and the draining task reports when released.
func TestDrainAnswers503WithRetryAfter(t *testing.T) {
	e := startEnv(t, func(o *Options, _ *fakeTFC) { o.Workers = 1 })
	e.fake.addPlan("plan-0", planSpec{body: []byte(`{"block": true}`)})
	if code := e.post(t, e.fake.request(t, "request_post_plan.json", "taskrs-0", "plan-0", nil), testKey); code != http.StatusOK {
		t.Fatalf("POST = %d", code)
	}
	waitFor(t, "the task to run", func() bool { api, _ := e.fake.gets("plan-0"); return api == 1 })
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	waitFor(t, "the drain to start", func() bool { return !e.srv.pool.isAccepting() })

	for _, r := range []struct{ method, path string }{{http.MethodGet, "/healthz"}, {http.MethodPost, "/runtask"}} {
		var body []byte
		if r.method == http.MethodPost {
			body = e.fake.request(t, "request_post_plan.json", "taskrs-late", "plan-0", nil)
		}
		req, _ := http.NewRequest(r.method, e.url+r.path, strings.NewReader(string(body)))
		if body != nil {
			req.Header.Set(SignatureHeader, Sign(body, testKey))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s during the drain: %v", r.method, r.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s during the drain = %d, Retry-After %q; want 503 with Retry-After", r.method, r.path, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	e.release()
	if err := <-stopped; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if acc := e.fake.accepted("taskrs-0"); len(acc) != 1 || acc[0].doc.Data.Attributes.Status != StatusPassed {
		t.Errorf("taskrs-0: %d callbacks after the drain, want 1 passed", len(acc))
	}
}

// TestShutdownFitsTheGracePeriod: with the drain derived from the grace period, a task that never
// ends is cancelled in time to report failed, and Serve returns within the grace period.
func TestShutdownFitsTheGracePeriod(t *testing.T) {
	const grace = 2 * time.Second
	e := startEnv(t, func(o *Options, _ *fakeTFC) {
		o.Workers, o.GracePeriod, o.CallbackTimeout, o.DrainTimeout = 1, grace, 500*time.Millisecond, 0
	})
	e.fake.addPlan("plan-0", planSpec{body: []byte(`{"block": true}`)})
	if code := e.post(t, e.fake.request(t, "request_post_plan.json", "taskrs-0", "plan-0", nil), testKey); code != http.StatusOK {
		t.Fatalf("POST = %d", code)
	}
	waitFor(t, "the task to run", func() bool { api, _ := e.fake.gets("plan-0"); return api == 1 })
	start := time.Now()
	err := e.stop()
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v, want the drain deadline", err)
	}
	if took > grace {
		t.Errorf("shutdown took %s, more than the grace period %s", took, grace)
	}
	acc := e.fake.accepted("taskrs-0")
	if len(acc) != 1 || acc[0].doc.Data.Attributes.Status != StatusFailed {
		t.Fatalf("taskrs-0: %d callbacks, want 1 failed", len(acc))
	}
}

// TestHMACKeyRequired: without a key New refuses to build a server unless InsecureNoHMAC, and
// then every start logs a warning.
func TestHMACKeyRequired(t *testing.T) {
	f := newFakeTFC(t)
	opts := fastOptions(f, t, &syncBuffer{}, nil)
	opts.HMACKey = nil
	if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "HMAC key is required") {
		t.Fatalf("New without a key = %v, want a refusal", err)
	}
	logs := &syncBuffer{}
	opts = fastOptions(f, t, logs, nil)
	opts.HMACKey, opts.InsecureNoHMAC = nil, true
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Shutdown(context.Background())
	if !strings.Contains(logs.String(), "no HMAC key") || !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("no warning about the missing HMAC key in the logs:\n%s", logs)
	}
}
