package runtask

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDuplicateDeliveryRunsOnce(t *testing.T) {
	e := startEnv(t, nil)
	e.fake.addPlan("plan-1", planSpec{body: []byte(`{"block": true, "fail": true}`)})
	body := e.fake.request(t, "request_post_plan.json", "taskrs-1", "plan-1", nil)
	for i := range 3 { // first delivery, then two redeliveries while it runs or waits
		if code := e.post(t, body, testKey); code != http.StatusOK {
			t.Fatalf("delivery %d = %d, want 200", i+1, code)
		}
	}
	e.release()
	e.fake.waitAttempts(t, "taskrs-1", 1)
	if code := e.post(t, body, testKey); code != http.StatusOK { // late redelivery after the callback
		t.Fatalf("late delivery = %d, want 200", code)
	}
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.attempts("taskrs-1"); n != 1 {
		t.Errorf("%d callbacks, want exactly 1", n)
	}
	if api, _ := e.fake.gets("plan-1"); api != 1 {
		t.Errorf("plan fetched %d times, want 1", api)
	}
}

func TestQueueFullIsRefused(t *testing.T) {
	e := startEnv(t, func(o *Options, _ *fakeTFC) { o.Workers, o.QueueSize = 1, 1 })
	for i := range 3 {
		e.fake.addPlan(fmt.Sprintf("plan-%d", i), planSpec{body: []byte(`{"block": true}`)})
	}
	post := func(i int) int {
		return e.post(t, e.fake.request(t, "request_post_plan.json", fmt.Sprintf("taskrs-%d", i), fmt.Sprintf("plan-%d", i), nil), testKey)
	}
	if code := post(0); code != http.StatusOK {
		t.Fatalf("task 0 = %d", code)
	}
	waitFor(t, "task 0 to be running", func() bool { api, _ := e.fake.gets("plan-0"); return api == 1 })
	if code := post(1); code != http.StatusOK {
		t.Fatalf("task 1 = %d, want 200 (queued)", code)
	}
	if code := post(2); code != http.StatusServiceUnavailable {
		t.Fatalf("task 2 = %d, want 503 (queue full)", code)
	}
	e.release()
	for i := range 2 {
		e.fake.waitAttempts(t, fmt.Sprintf("taskrs-%d", i), 1)
	}
	if code := post(2); code != http.StatusOK { // HCP Terraform's retry now fits
		t.Fatalf("task 2 retried = %d, want 200", code)
	}
	e.fake.waitAttempts(t, "taskrs-2", 1)
}

// TestShutdownDrains: cancelling Serve's context refuses new tasks with 503 and returns only once
// every accepted task has called back.
func TestShutdownDrains(t *testing.T) {
	e := startEnv(t, func(o *Options, _ *fakeTFC) { o.Workers, o.QueueSize = 1, 8 })
	const n = 4
	for i := range n {
		plan, task := fmt.Sprintf("plan-%d", i), fmt.Sprintf("taskrs-%d", i)
		e.fake.addPlan(plan, planSpec{body: []byte(`{"sleep_ms": 30}`)})
		if code := e.post(t, e.fake.request(t, "request_post_plan.json", task, plan, nil), testKey); code != http.StatusOK {
			t.Fatalf("%s = %d", task, code)
		}
	}
	if err := e.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for i := range n {
		task := fmt.Sprintf("taskrs-%d", i)
		acc := e.fake.accepted(task)
		if len(acc) != 1 || acc[0].doc.Data.Attributes.Status != StatusPassed {
			t.Errorf("%s: %d accepted callbacks after drain, want 1 passed", task, len(acc))
		}
	}
	body := e.fake.request(t, "request_post_plan.json", "taskrs-late", "plan-0", nil)
	req := httptest.NewRequest(http.MethodPost, "/runtask", strings.NewReader(string(body)))
	req.Header.Set(SignatureHeader, Sign(body, testKey))
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("POST after shutdown = %d, want 503", rec.Code)
	}
	rec = httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /healthz after shutdown = %d, want 503", rec.Code)
	}
}

// TestShutdownDrainTimeout: tasks still running when the drain times out are cancelled and still
// report failed.
func TestShutdownDrainTimeout(t *testing.T) {
	e := startEnv(t, func(o *Options, _ *fakeTFC) { o.Workers, o.DrainTimeout = 1, 50*time.Millisecond })
	for i := range 2 { // one running, one queued
		plan, task := fmt.Sprintf("plan-%d", i), fmt.Sprintf("taskrs-%d", i)
		e.fake.addPlan(plan, planSpec{body: []byte(`{"block": true}`)})
		if code := e.post(t, e.fake.request(t, "request_post_plan.json", task, plan, nil), testKey); code != http.StatusOK {
			t.Fatalf("%s = %d", task, code)
		}
	}
	waitFor(t, "task 0 to be running", func() bool { api, _ := e.fake.gets("plan-0"); return api == 1 })
	if err := e.stop(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Serve = %v, want a drain deadline error", err)
	}
	for i := range 2 {
		task := fmt.Sprintf("taskrs-%d", i)
		acc := e.fake.accepted(task)
		if len(acc) != 1 {
			t.Fatalf("%s: %d accepted callbacks, want 1", task, len(acc))
		}
		a := acc[0].doc.Data.Attributes
		if a.Status != StatusFailed || !strings.Contains(a.Message, "shut down") {
			t.Errorf("%s: %s %q, want failed because of the shutdown", task, a.Status, a.Message)
		}
	}
}

func TestRunRefusesABadAddress(t *testing.T) {
	f := newFakeTFC(t)
	opts := fastOptions(f, t, &syncBuffer{}, nil)
	opts.Addr = "127.0.0.1:-1"
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen on 127.0.0.1:-1") {
		t.Errorf("Run = %v, want a listen error", err)
	}
}

func TestNewChecksOptions(t *testing.T) {
	f := newFakeTFC(t)
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"a scanner is required", func(o *Options) { o.Scanner = nil }, "Scanner is required"},
		{"an empty allowed host list is refused", func(o *Options) { o.AllowedHosts = []string{} }, "none configured"},
		{"an allowed host with a scheme is refused", func(o *Options) { o.AllowedHosts = []string{"https://app.terraform.io"} }, "want a host name"},
		{"a negative queue is refused", func(o *Options) { o.QueueSize = -1 }, "must not be negative"},
		{"a relative results URL is refused", func(o *Options) { o.ResultsURL = "/runs/{run_id}" }, "check results URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fastOptions(f, t, &syncBuffer{}, nil)
			tt.edit(&opts)
			if _, err := New(opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	s, err := New(Options{Scanner: fakeScanner{}, HMACKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	o := s.opts
	if o.Addr != ":8080" || o.Workers != DefaultWorkers || o.QueueSize != DefaultQueueSize || o.MaxPlanSize != 1<<30 ||
		len(o.AllowedHosts) != 1 || o.AllowedHosts[0] != "app.terraform.io" || o.RedirectHosts[0] != "archivist.terraform.io" ||
		o.GracePeriod != DefaultGracePeriod || o.DrainTimeout+o.CallbackTimeout+stopReserve(o.GracePeriod) > o.GracePeriod {
		t.Errorf("defaults = %+v", o)
	}
}

// waitFor polls cond for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
