package runtask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/karpgate/karpgate/internal/findings"
)

// testKey is the HMAC key the fake HCP Terraform signs with.
var testKey = []byte("karpgate-test-hmac-key")

// fakePlan is what the fake scanner reads from a plan: the real plan fields are ignored.
type fakePlan struct {
	Fail    bool   `json:"fail"`
	Error   string `json:"error"`
	SleepMS int    `json:"sleep_ms"`
	Block   bool   `json:"block"`
	Panic   bool   `json:"panic"`
}

// fakeScanner returns a canned result depending on the plan: {"fail":true} fails, {"error":…}
// errors, {"sleep_ms":n} is slow, {"block":true} waits for gate (or its context).
type fakeScanner struct {
	gate chan struct{}
}

func (f fakeScanner) Scan(ctx context.Context, name string, r io.Reader, run RunInfo) (findings.Result, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return findings.Result{}, fmt.Errorf("read plan %s: %w", name, err)
	}
	var p fakePlan
	if err := json.Unmarshal(b, &p); err != nil {
		return findings.Result{}, fmt.Errorf("decode plan %s: %w", name, err)
	}
	if p.SleepMS > 0 {
		select {
		case <-time.After(time.Duration(p.SleepMS) * time.Millisecond):
		case <-ctx.Done():
			return findings.Result{}, ctx.Err()
		}
	}
	if p.Block {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return findings.Result{}, ctx.Err()
		}
	}
	switch {
	case p.Panic:
		panic("fake scanner panic")
	case p.Error != "":
		return findings.Result{}, fmt.Errorf("scan plan %s: %s", name, p.Error)
	case p.Fail:
		return failingResult(name), nil
	}
	return passingResult(name), nil
}

var testRules = []findings.Rule{
	{
		ID: "KARP010", Name: "wildcard_action", Title: "Wildcard action in an Allow statement",
		Description: "An Allow grants `*`, `<service>:*` or a non-read-only wildcard.",
		Severity:    findings.Error, Enabled: true,
		Remediation: "List the exact actions the controller needs, as the upstream Karpenter v1 policy does.",
		Related:     []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html"},
	},
	{
		ID: "KARP020", Name: "indeterminate", Title: "Verdict left open by unknown values",
		Severity: findings.Warning, Enabled: true,
		Remediation: "Make the value known at plan time or add an exception.",
	},
}

func passingResult(name string) findings.Result {
	gate := findings.Gate{FailOn: findings.Error}
	return findings.Result{
		Tool:    findings.Tool{Name: "karpgate", Version: "test"},
		Plans:   []string{name},
		Rules:   testRules,
		Summary: gate.Summarize(nil),
	}
}

func failingResult(name string) findings.Result {
	fs := []findings.Finding{
		{
			RuleID: "KARP010", Severity: findings.Error, Plan: name,
			Address: "module.karpenter.aws_iam_policy.controller[0]", Role: "KarpenterController",
			Message:   `statement "AllowScopedEC2" allows ec2:*`,
			Statement: &findings.StatementRef{Policy: "module.karpenter.aws_iam_policy.controller[0]", Sid: "AllowScopedEC2"},
			Fix:       `{"Effect": "Allow", "Action": ["ec2:CreateFleet", "ec2:RunInstances"], "Resource": "*"}`,
			Location:  &findings.Location{File: "modules/karpenter/iam.tf", StartLine: 42},
		},
		{
			RuleID: "KARP010", Severity: findings.Error, Plan: name,
			Address: "aws_iam_role_policy.extra", Message: `statement "(no Sid)" allows iam:*`,
		},
		{
			RuleID: "KARP010", Severity: findings.Error, Plan: name,
			Address: "aws_iam_role_policy.legacy", Message: `statement "Legacy" allows *`,
			Suppression: &findings.Suppression{Kind: "exception", Reason: "migrating", Expires: "2099-01-01"},
		},
		{
			RuleID: "KARP020", Severity: findings.Warning, Plan: name,
			Address: "aws_iam_role.node", Message: "trust policy principal is unknown until apply",
		},
	}
	findings.Sort(fs)
	gate := findings.Gate{FailOn: findings.Error}
	return findings.Result{
		Tool:     findings.Tool{Name: "karpgate", Version: "test"},
		Plans:    []string{name},
		Rules:    testRules,
		Findings: fs,
		Summary:  gate.Summarize(fs),
	}
}

// planSpec is how the fake HCP Terraform serves one plan id.
type planSpec struct {
	body       []byte
	notReady   int    // answer 204 this many times first
	status     int    // answer this status instead of the plan
	direct     bool   // serve 200 from the API host instead of redirecting to the archivist
	chunked    bool   // stream without Content-Length
	redirectTo string // redirect here instead of the archivist
}

// callback is one PATCH the fake received.
type callback struct {
	auth        string
	contentType string
	doc         TaskResult
	raw         []byte
	answered    int
}

// fakeTFC is an in-process HCP Terraform: an API host serving plans (with 204 and 307) and
// recording callbacks, and an archivist host the plans redirect to.
type fakeTFC struct {
	t         *testing.T
	api       *httptest.Server
	archivist *httptest.Server

	mu          sync.Mutex
	plans       map[string]planSpec
	planGets    map[string]int
	archGets    map[string]int
	archAuth    int // archivist requests that carried Authorization (must stay 0)
	badAuth     int // API requests without the expected bearer token
	callbacks   map[string][]callback
	cbFailFirst map[string]int // answer 500 to this many callbacks of a task first
	cbStatus    map[string]int // answer this status to every callback of a task
	tokens      map[string]string
}

func newFakeTFC(t *testing.T) *fakeTFC {
	t.Helper()
	f := &fakeTFC{
		t: t, plans: map[string]planSpec{}, planGets: map[string]int{}, archGets: map[string]int{},
		callbacks: map[string][]callback{}, cbFailFirst: map[string]int{}, cbStatus: map[string]int{},
		tokens: map[string]string{},
	}
	f.archivist = httptest.NewServer(http.HandlerFunc(f.serveArchivist))
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v2/plans/{id}/json-output", f.servePlan)
	api.HandleFunc("PATCH /api/v2/task-results/{id}/callback", f.serveCallback)
	f.api = httptest.NewServer(api)
	t.Cleanup(func() {
		f.api.Close()
		f.archivist.Close()
	})
	return f
}

func (f *fakeTFC) addPlan(id string, spec planSpec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plans[id] = spec
}

func (f *fakeTFC) token(task string) string { return "tok-" + task + ".atlasv1.S3cr3tT0k3nV4lu3" }

func (f *fakeTFC) authorized(r *http.Request, task string) bool {
	want := "Bearer " + f.token(task)
	return r.Header.Get("Authorization") == want
}

func (f *fakeTFC) servePlan(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f.mu.Lock()
	spec, ok := f.plans[id]
	f.planGets[id]++
	n := f.planGets[id]
	task := f.tokens[id]
	if !f.authorized(r, task) {
		f.badAuth++
	}
	f.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, `{"errors":[{"status":"404","title":"not found"}]}`, http.StatusNotFound)
	case spec.status != 0:
		http.Error(w, http.StatusText(spec.status), spec.status)
	case n <= spec.notReady:
		w.WriteHeader(http.StatusNoContent)
	case spec.redirectTo != "":
		http.Redirect(w, r, spec.redirectTo, http.StatusTemporaryRedirect)
	case spec.direct:
		writePlan(w, spec)
	default:
		http.Redirect(w, r, f.archivist.URL+"/v1/object/"+id+"?sig=ArchivistSignature", http.StatusTemporaryRedirect)
	}
}

func writePlan(w http.ResponseWriter, spec planSpec) {
	w.Header().Set("Content-Type", "application/json")
	if spec.chunked {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
	}
	_, _ = w.Write(spec.body)
}

func (f *fakeTFC) serveArchivist(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/v1/object/")
	f.mu.Lock()
	spec, ok := f.plans[id]
	f.archGets[id]++
	if r.Header.Get("Authorization") != "" {
		f.archAuth++
	}
	f.mu.Unlock()
	if !ok || r.URL.Query().Get("sig") != "ArchivistSignature" {
		http.Error(w, "no such object", http.StatusNotFound)
		return
	}
	writePlan(w, spec)
}

func (f *fakeTFC) serveCallback(w http.ResponseWriter, r *http.Request) {
	task := r.PathValue("id")
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	cb := callback{auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), raw: raw}
	if err := json.Unmarshal(raw, &cb.doc); err != nil {
		http.Error(w, "decode body", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	cb.answered = http.StatusOK
	switch {
	case !f.authorized(r, task) || cb.contentType != jsonAPIMediaType:
		cb.answered = http.StatusUnauthorized
	case f.cbStatus[task] != 0:
		cb.answered = f.cbStatus[task]
	case f.cbFailFirst[task] > 0:
		f.cbFailFirst[task]--
		cb.answered = http.StatusBadGateway
	}
	f.callbacks[task] = append(f.callbacks[task], cb)
	f.mu.Unlock()
	if cb.answered == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "0")
	}
	w.Header().Set("Content-Type", jsonAPIMediaType)
	w.WriteHeader(cb.answered)
	_, _ = w.Write([]byte(`{}`))
}

// accepted returns the callbacks of task the fake answered 200.
func (f *fakeTFC) accepted(task string) []callback {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []callback
	for _, c := range f.callbacks[task] {
		if c.answered == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// misuse counts archivist requests that carried a token and plan requests without the task's token.
func (f *fakeTFC) misuse() (archivistAuth, badAuth int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.archAuth, f.badAuth
}

func (f *fakeTFC) attempts(task string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.callbacks[task])
}

func (f *fakeTFC) gets(plan string) (api, archivist int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.planGets[plan], f.archGets[plan]
}

// waitAttempts waits until task has had at least n callback attempts, failing after 5s.
func (f *fakeTFC) waitAttempts(t *testing.T, task string, n int) []callback {
	t.Helper()
	for range 1000 {
		f.mu.Lock()
		cbs := append([]callback(nil), f.callbacks[task]...)
		f.mu.Unlock()
		if len(cbs) >= n {
			return cbs
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("task %s: fewer than %d callbacks after 5s", task, n)
	return nil
}

// request builds a signed-ready post_plan payload for task reading plan from the fake, based on the
// testdata fixture; edit changes the decoded document before it is encoded.
func (f *fakeTFC) request(t *testing.T, fixture, task, plan string, edit func(map[string]any)) []byte {
	t.Helper()
	doc := readFixture(t, fixture)
	f.mu.Lock()
	f.tokens[plan] = task
	f.mu.Unlock()
	doc["task_result_id"] = task
	doc["access_token"] = f.token(task)
	doc["task_result_callback_url"] = f.api.URL + "/api/v2/task-results/" + task + "/callback"
	if _, ok := doc["plan_json_api_url"]; ok {
		doc["plan_json_api_url"] = f.api.URL + "/api/v2/plans/" + plan + "/json-output"
	}
	if edit != nil {
		edit(doc)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return doc
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is a running Server wired to a fake HCP Terraform.
type testEnv struct {
	fake   *fakeTFC
	srv    *Server
	url    string // base URL of the service
	logs   *syncBuffer
	gate   chan struct{}
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// fastOptions are Options for tests: the fake's hosts allowed over http, millisecond backoffs.
func fastOptions(f *fakeTFC, t *testing.T, logs io.Writer, gate chan struct{}) Options {
	return Options{
		HMACKey:           testKey,
		AllowedHosts:      []string{hostOf(t, f.api.URL)},
		RedirectHosts:     []string{hostOf(t, f.archivist.URL)},
		InsecureAllowHTTP: true,
		Workers:           2,
		QueueSize:         16,
		Scanner:           fakeScanner{gate: gate},
		Logger:            slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		TaskTimeout:       10 * time.Second,
		CallbackTimeout:   5 * time.Second,
		RequestTimeout:    2 * time.Second,
		DrainTimeout:      5 * time.Second,
		PlanRetry:         Backoff{Attempts: 4, Initial: time.Millisecond, Max: 4 * time.Millisecond},
		CallbackRetry:     Backoff{Attempts: 4, Initial: time.Millisecond, Max: 4 * time.Millisecond},
	}
}

// startEnv starts a Server on 127.0.0.1 with fastOptions changed by edit; cleanup stops it and
// checks that no token reached the logs.
func startEnv(t *testing.T, edit func(*Options, *fakeTFC)) *testEnv {
	t.Helper()
	e := &testEnv{fake: newFakeTFC(t), logs: &syncBuffer{}, gate: make(chan struct{}), done: make(chan error, 1)}
	opts := fastOptions(e.fake, t, e.logs, e.gate)
	if edit != nil {
		edit(&opts, e.fake)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	srv.Start() // Serve starts it too; here so the handler accepts tasks before Serve runs
	go func() { e.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		e.release()
		if err := e.stop(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve: %v", err)
		}
		if logs := e.logs.String(); strings.Contains(logs, ".atlasv1.") || strings.Contains(logs, "ArchivistSignature") {
			t.Errorf("a token or signed URL reached the logs:\n%s", logs)
		}
	})
	return e
}

// release opens the gate blocked plans wait on.
func (e *testEnv) release() {
	select {
	case <-e.gate:
	default:
		close(e.gate)
	}
}

// stop cancels Serve's context and returns its error (once).
func (e *testEnv) stop() error {
	e.once.Do(func() {
		e.cancel()
		select {
		case e.err = <-e.done:
		case <-time.After(20 * time.Second):
			e.err = errors.New("Serve did not return within 20s")
		}
	})
	return e.err
}

// post sends body to /runtask, signed with key when key is not nil.
func (e *testEnv) post(t *testing.T, body []byte, key []byte) int {
	t.Helper()
	return postTo(t, e.url+"/runtask", body, key)
}

func postTo(t *testing.T, target string, body []byte, key []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "TFC/1.0 (+https://app.terraform.io; TFC)")
	if key != nil {
		req.Header.Set(SignatureHeader, Sign(body, key))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /runtask: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func (e *testEnv) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
