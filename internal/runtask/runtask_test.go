package runtask

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run with -update and review the diff):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// TestTasks drives one task per scenario through the real HTTP service against the fake HCP
// Terraform and checks the single final callback.
func TestTasks(t *testing.T) {
	big := []byte(`{"fail": false, "padding": "` + strings.Repeat("x", 4096) + `"}`)
	tests := []struct {
		name        string
		fixture     string
		plan        planSpec
		edit        func(map[string]any)
		opts        func(*Options, *fakeTFC)
		cbFailFirst int
		cbStatus    int
		wantCode    int      // answer to the POST when it is not 200; then no work may happen
		wantStatus  string   // status of the accepted callback; "" when none is accepted
		wantMsg     []string // substrings of its message
		notMsg      []string // must not appear in it
		outcomes    int
		golden      string
		attempts    int // exact callback attempts, when set
		check       func(t *testing.T, f *fakeTFC, cb callback)
	}{
		{
			name:       "a passing plan downloaded through the archivist redirect passes",
			plan:       planSpec{body: readTestdata(t, "plan_pass.json")},
			wantStatus: StatusPassed,
			wantMsg:    []string{"karpgate passed: 0 errors, 0 warnings, 0 notes (fail-on error)."},
			check: func(t *testing.T, f *fakeTFC, _ callback) {
				if api, arch := f.gets("plan-1"); api != 1 || arch != 1 {
					t.Errorf("plan fetched %d times from the API and %d from the archivist, want 1 and 1", api, arch)
				}
			},
		},
		{
			name:       "a failing plan fails with one outcome per rule",
			plan:       planSpec{body: readTestdata(t, "plan_fail.json")},
			wantStatus: StatusFailed,
			wantMsg:    []string{"karpgate failed: 2 errors, 1 warning, 0 notes, 1 suppressed from 2 rules (fail-on error)."},
			outcomes:   2,
			golden:     "callback_failed.json",
		},
		{
			name:       "outcomes are left out when the caller does not accept them",
			plan:       planSpec{body: []byte(`{"fail": true}`), direct: true},
			edit:       func(d map[string]any) { d["capabilities"] = map[string]any{"outcomes": false} },
			wantStatus: StatusFailed,
			outcomes:   0,
		},
		{
			name: "the results URL template is filled in",
			plan: planSpec{body: []byte(`{"fail": false}`)},
			opts: func(o *Options, _ *fakeTFC) {
				o.ResultsURL = "https://karpgate.example/runs/{organization}/{workspace}/{run_id}"
			},
			wantStatus: StatusPassed,
			check: func(t *testing.T, _ *fakeTFC, cb callback) {
				if got, want := cb.doc.Data.Attributes.URL, "https://karpgate.example/runs/acme/eks-prod/run-i3Df5to9ELvibKpQ"; got != want {
					t.Errorf("url = %q, want %q", got, want)
				}
			},
		},
		{
			name:       "a plan answered 204 is retried until it is ready",
			plan:       planSpec{body: []byte(`{"fail": false}`), notReady: 2},
			wantStatus: StatusPassed,
			check: func(t *testing.T, f *fakeTFC, _ callback) {
				if api, _ := f.gets("plan-1"); api != 3 {
					t.Errorf("plan URL requested %d times, want 3", api)
				}
			},
		},
		{
			name:       "a plan that stays 204 fails the task",
			plan:       planSpec{body: []byte(`{}`), notReady: 100},
			wantStatus: StatusFailed,
			wantMsg:    []string{"could not download the plan", "after 4 attempts", "plan JSON is not ready (204)"},
		},
		{
			name:       "a plan that cannot be downloaded fails the task",
			plan:       planSpec{status: http.StatusNotFound},
			wantStatus: StatusFailed,
			wantMsg:    []string{"karpgate: could not download the plan", "404", "Failing closed."},
			check: func(t *testing.T, f *fakeTFC, _ callback) {
				if api, _ := f.gets("plan-1"); api != 1 {
					t.Errorf("a 404 was retried: %d requests", api)
				}
			},
		},
		{
			name:       "a plan answered 500 is retried and then fails the task",
			plan:       planSpec{status: http.StatusInternalServerError},
			wantStatus: StatusFailed,
			wantMsg:    []string{"500"},
			check: func(t *testing.T, f *fakeTFC, _ callback) {
				if api, _ := f.gets("plan-1"); api != 4 {
					t.Errorf("plan URL requested %d times, want 4", api)
				}
			},
		},
		{
			name:       "a plan whose Content-Length is over the limit fails the task",
			plan:       planSpec{body: big, direct: true},
			opts:       func(o *Options, _ *fakeTFC) { o.MaxPlanSize = 1024 },
			wantStatus: StatusFailed,
			wantMsg:    []string{"plan is larger than the limit of 1024 bytes"},
		},
		{
			name:       "a streamed plan that grows over the limit fails the task",
			plan:       planSpec{body: big, chunked: true},
			opts:       func(o *Options, _ *fakeTFC) { o.MaxPlanSize = 1024 },
			wantStatus: StatusFailed,
			wantMsg:    []string{"plan is larger than the limit of 1024 bytes"},
		},
		{
			name:       "a scanner error fails the task",
			plan:       planSpec{body: readTestdata(t, "plan_error.json")},
			wantStatus: StatusFailed,
			wantMsg:    []string{"could not scan the plan", "plan has no resource_changes"},
		},
		{
			name:       "a plan the scanner cannot decode fails the task",
			plan:       planSpec{body: []byte(`not json`)},
			wantStatus: StatusFailed,
			wantMsg:    []string{"could not scan the plan"},
		},
		{
			name:       "a scanner panic fails the task instead of the service",
			plan:       planSpec{body: []byte(`{"panic": true}`)},
			wantStatus: StatusFailed,
			wantMsg:    []string{"scanner panicked"},
		},
		{
			name:       "a slow scan past the task timeout fails the task",
			plan:       planSpec{body: []byte(`{"block": true}`)},
			opts:       func(o *Options, _ *fakeTFC) { o.TaskTimeout = 100 * time.Millisecond },
			wantStatus: StatusFailed,
			wantMsg:    []string{"within the task timeout of 100ms"},
		},
		{
			name: "a plan URL on a host that is not allowed is never fetched and fails the task",
			plan: planSpec{body: []byte(`{"fail": false}`)},
			edit: func(d map[string]any) {
				d["plan_json_api_url"] = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
			},
			wantStatus: StatusFailed,
			wantMsg:    []string{"host is not allowed", "169.254.169.254"},
			notMsg:     []string{"meta-data"},
		},
		{
			name:     "a plan URL over plain http is refused without the test option",
			plan:     planSpec{body: []byte(`{"fail": false}`)},
			opts:     func(o *Options, _ *fakeTFC) { o.InsecureAllowHTTP = false },
			wantCode: http.StatusUnprocessableEntity, // the callback URL is plain http too
		},
		{
			name:       "a redirect to a host that is not allowed is not followed and fails the task",
			plan:       planSpec{redirectTo: "http://127.0.0.1:1/v1/object/evil?sig=ArchivistSignature"},
			wantStatus: StatusFailed,
			wantMsg:    []string{"host is not allowed", "redirect to 127.0.0.1:1"},
			notMsg:     []string{"ArchivistSignature", "/v1/object"},
		},
		{
			name: "an unreachable archivist fails the task without leaking its signed URL",
			plan: planSpec{body: []byte(`{}`)},
			opts: func(o *Options, f *fakeTFC) {
				f.archivist.Close()
			},
			wantStatus: StatusFailed,
			wantMsg:    []string{"could not download the plan"},
			notMsg:     []string{"ArchivistSignature", "/v1/object", "atlasv1"},
		},
		{
			name:        "a callback answered 502 is retried",
			plan:        planSpec{body: []byte(`{"fail": false}`)},
			cbFailFirst: 2,
			wantStatus:  StatusPassed,
			attempts:    3,
		},
		{
			name:       "a callback answered 422 is not retried",
			plan:       planSpec{body: []byte(`{"fail": false}`)},
			cbStatus:   http.StatusUnprocessableEntity,
			wantStatus: "",
			attempts:   1,
		},
		{
			name:       "a callback answered 429 is retried until the attempts run out",
			plan:       planSpec{body: []byte(`{"fail": false}`)},
			cbStatus:   http.StatusTooManyRequests,
			wantStatus: "",
			attempts:   4,
		},
		{
			name:       "the pre_plan stage passes without fetching anything",
			fixture:    "request_pre_plan.json",
			wantStatus: StatusPassed,
			wantMsg:    []string{"pre_plan stage has no plan"},
			check: func(t *testing.T, f *fakeTFC, _ callback) {
				if api, _ := f.gets("plan-1"); api != 0 {
					t.Errorf("pre_plan fetched a plan")
				}
			},
		},
		{
			name:       "a post_plan request without a plan URL fails the task",
			edit:       func(d map[string]any) { delete(d, "plan_json_api_url") },
			wantStatus: StatusFailed,
			wantMsg:    []string{"has no plan_json_api_url"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, func(o *Options, f *fakeTFC) {
				if tt.opts != nil {
					tt.opts(o, f)
				}
			})
			fake := e.fake
			fake.addPlan("plan-1", tt.plan)
			task := "taskrs-1"
			fixture := tt.fixture
			if fixture == "" {
				fixture = "request_post_plan.json"
			}
			body := fake.request(t, fixture, task, "plan-1", tt.edit)
			if tt.cbFailFirst > 0 {
				fake.cbFailFirst[task] = tt.cbFailFirst
			}
			if tt.cbStatus > 0 {
				fake.cbStatus[task] = tt.cbStatus
			}
			code := e.post(t, body, testKey)
			if tt.wantCode != 0 {
				if code != tt.wantCode {
					t.Fatalf("POST = %d, want %d", code, tt.wantCode)
				}
				if err := e.stop(); err != nil {
					t.Fatal(err)
				}
				if api, arch := fake.gets("plan-1"); api+arch+fake.attempts(task) != 0 {
					t.Errorf("a refused task did work: %d plan requests, %d callbacks", api+arch, fake.attempts(task))
				}
				return
			}
			if code != http.StatusOK {
				t.Fatalf("POST = %d, want 200", code)
			}
			want := max(tt.attempts, 1)
			fake.waitAttempts(t, task, want)
			if err := e.stop(); err != nil { // drains: every attempt has been made
				t.Fatalf("Serve: %v", err)
			}
			if tt.attempts > 0 {
				if got := fake.attempts(task); got != tt.attempts {
					t.Errorf("callback attempts = %d, want %d", got, tt.attempts)
				}
			}
			acc := fake.accepted(task)
			if tt.wantStatus == "" {
				if len(acc) != 0 {
					t.Fatalf("%d callbacks accepted, want none", len(acc))
				}
				return
			}
			if len(acc) != 1 {
				t.Fatalf("%d callbacks accepted, want exactly 1", len(acc))
			}
			cb := acc[0]
			attrs := cb.doc.Data.Attributes
			t.Logf("%s: %s", attrs.Status, attrs.Message)
			if cb.doc.Data.Type != "task-results" || attrs.Status != tt.wantStatus {
				t.Errorf("callback = %s %q, want task-results %q (message %q)", cb.doc.Data.Type, attrs.Status, tt.wantStatus, attrs.Message)
			}
			for _, s := range tt.wantMsg {
				if !strings.Contains(attrs.Message, s) {
					t.Errorf("message %q does not contain %q", attrs.Message, s)
				}
			}
			for _, s := range append(tt.notMsg, ".atlasv1.") {
				if strings.Contains(string(cb.raw), s) {
					t.Errorf("callback contains %q: %s", s, cb.raw)
				}
			}
			if n := len([]rune(attrs.Message)); n == 0 || n > MaxMessageChars {
				t.Errorf("message has %d characters", n)
			}
			if got := outcomeCount(cb.doc); got != tt.outcomes {
				t.Errorf("%d outcomes, want %d", got, tt.outcomes)
			}
			if arch, bad := fake.misuse(); arch != 0 || bad != 0 {
				t.Errorf("token misuse: %d archivist requests with a token, %d plan requests without the task's token", arch, bad)
			}
			if tt.golden != "" {
				var pretty map[string]any
				if err := json.Unmarshal(cb.raw, &pretty); err != nil {
					t.Fatal(err)
				}
				var out strings.Builder
				enc := json.NewEncoder(&out)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(pretty); err != nil {
					t.Fatal(err)
				}
				assertGolden(t, tt.golden, []byte(out.String()))
			}
			if tt.check != nil {
				tt.check(t, fake, cb)
			}
		})
	}
}

// TestRequests checks the synchronous answers of POST /runtask: nothing here may fetch a plan or
// call back.
func TestRequests(t *testing.T) {
	tests := []struct {
		name   string
		key    []byte // server key
		sign   []byte // client key; nil sends no signature
		header string // explicit signature header, overrides sign
		body   func(f *fakeTFC, t *testing.T) []byte
		want   int
	}{
		{name: "a signed task is accepted", key: testKey, sign: testKey, want: http.StatusOK},
		{name: "a bad signature is refused", key: testKey, sign: []byte("wrong-key"), want: http.StatusUnauthorized},
		{name: "a missing signature is refused when a key is configured", key: testKey, want: http.StatusUnauthorized},
		{name: "an empty signature is refused when a key is configured", key: testKey, header: " ", want: http.StatusUnauthorized},
		{name: "a signature that is not hex is refused", key: testKey, header: "zz-not-hex", want: http.StatusUnauthorized},
		{name: "a signed request is refused when no key is configured", key: nil, sign: testKey, want: http.StatusBadRequest},
		{name: "an unsigned task is accepted when no key is configured", key: nil, want: http.StatusOK},
		{
			name: "the verification ping is answered 200", key: testKey, sign: testKey, want: http.StatusOK,
			body: func(f *fakeTFC, t *testing.T) []byte { return readTestdata(t, "request_verification.json") },
		},
		{
			name: "an unsigned verification ping is refused when a key is configured", key: testKey, want: http.StatusUnauthorized,
			body: func(f *fakeTFC, t *testing.T) []byte { return readTestdata(t, "request_verification.json") },
		},
		{
			name: "a body over 1 MiB is refused", key: testKey, sign: testKey, want: http.StatusRequestEntityTooLarge,
			body: func(f *fakeTFC, t *testing.T) []byte {
				return f.request(t, "request_post_plan.json", "taskrs-1", "plan-1", func(d map[string]any) {
					d["run_message"] = strings.Repeat("m", MaxRequestBytes)
				})
			},
		},
		{
			name: "a body that is not JSON is refused", key: testKey, sign: testKey, want: http.StatusBadRequest,
			body: func(*fakeTFC, *testing.T) []byte { return []byte(`{"payload_version": 1,`) },
		},
		{
			name: "a task without task_result_id is refused", key: testKey, sign: testKey, want: http.StatusBadRequest,
			body: func(f *fakeTFC, t *testing.T) []byte {
				return f.request(t, "request_post_plan.json", "taskrs-1", "plan-1", func(d map[string]any) { delete(d, "task_result_id") })
			},
		},
		{
			name: "a callback URL on a host that is not allowed is refused", key: testKey, sign: testKey, want: http.StatusUnprocessableEntity,
			body: func(f *fakeTFC, t *testing.T) []byte {
				return f.request(t, "request_post_plan.json", "taskrs-1", "plan-1", func(d map[string]any) {
					d["task_result_callback_url"] = "https://app.terraform.io.evil.example/api/v2/task-results/x/callback"
				})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, func(o *Options, _ *fakeTFC) { o.HMACKey, o.InsecureNoHMAC = tt.key, tt.key == nil })
			e.fake.addPlan("plan-1", planSpec{body: []byte(`{"fail": false}`)})
			var body []byte
			if tt.body != nil {
				body = tt.body(e.fake, t)
			} else {
				body = e.fake.request(t, "request_post_plan.json", "taskrs-1", "plan-1", nil)
			}
			// The recorder avoids racing the client's body upload against an early 413.
			req := httptest.NewRequest(http.MethodPost, "/runtask", strings.NewReader(string(body)))
			switch {
			case tt.header != "":
				req.Header.Set(SignatureHeader, tt.header)
			case tt.sign != nil:
				req.Header.Set(SignatureHeader, Sign(body, tt.sign))
			}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("POST = %d %q, want %d", rec.Code, rec.Body.String(), tt.want)
			}
			if err := e.stop(); err != nil {
				t.Fatal(err)
			}
			api, arch := e.fake.gets("plan-1")
			calls := e.fake.attempts("taskrs-1") + e.fake.attempts("taskrs-xxxxxxxxxxxxxxxx")
			if tt.want != http.StatusOK || tt.body != nil { // refused, or the ping: no work at all
				if api+arch+calls != 0 {
					t.Errorf("a refused request or ping did work: %d plan requests, %d callbacks", api+arch, calls)
				}
				return
			}
			if n := len(e.fake.accepted("taskrs-1")); n != 1 {
				t.Errorf("accepted task got %d callbacks, want 1", n)
			}
		})
	}
}

func TestOtherEndpoints(t *testing.T) {
	e := startEnv(t, nil)
	if code, body := e.get(t, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q", code, body)
	}
	if code, _ := e.get(t, "/runtask"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /runtask = %d, want 405", code)
	}
	if code, _ := e.get(t, "/nope"); code != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", code)
	}
	e.fake.addPlan("plan-1", planSpec{body: []byte(`{"fail": true}`)})
	if code := e.post(t, e.fake.request(t, "request_post_plan.json", "taskrs-1", "plan-1", nil), testKey); code != http.StatusOK {
		t.Fatalf("POST = %d", code)
	}
	if code := e.post(t, readTestdata(t, "request_verification.json"), testKey); code != http.StatusOK {
		t.Fatalf("ping = %d", code)
	}
	if code := e.post(t, []byte(`{}`), []byte("bad")); code != http.StatusUnauthorized {
		t.Fatalf("bad signature = %d", code)
	}
	e.fake.waitAttempts(t, "taskrs-1", 1)
	var metrics string
	for range 200 { // the callback is recorded a moment before the metrics
		_, metrics = e.get(t, "/metrics")
		if strings.Contains(metrics, `karpgate_runtask_tasks_total{outcome="failed"} 1`) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, want := range []string{
		"# TYPE karpgate_runtask_requests_total counter",
		`karpgate_runtask_requests_total{result="accepted"} 1`,
		`karpgate_runtask_requests_total{result="verification"} 1`,
		`karpgate_runtask_requests_total{result="unauthorized"} 1`,
		`karpgate_runtask_tasks_total{outcome="failed"} 1`,
		`karpgate_runtask_tasks_total{outcome="passed"} 0`,
		`karpgate_runtask_callbacks_total{result="delivered"} 1`,
		"# TYPE karpgate_runtask_task_duration_seconds histogram",
		`karpgate_runtask_task_duration_seconds_bucket{le="+Inf"} 1`,
		"karpgate_runtask_task_duration_seconds_count 1",
		"karpgate_runtask_queue_depth 0",
		"karpgate_runtask_queue_capacity 16",
		"karpgate_runtask_tasks_running 0",
		"karpgate_runtask_workers 2",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
}

// TestHandlerBeforeStart: a Handler used without Start accepts no task (it would never run).
func TestHandlerBeforeStart(t *testing.T) {
	f := newFakeTFC(t)
	s, err := New(fastOptions(f, t, &syncBuffer{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	body := f.request(t, "request_post_plan.json", "taskrs-1", "plan-1", nil)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/runtask", strings.NewReader(string(body)))
	req.Header.Set(SignatureHeader, Sign(body, testKey))
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("POST before Start = %d, want 503", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /healthz before Start = %d, want 503", rec.Code)
	}
}
