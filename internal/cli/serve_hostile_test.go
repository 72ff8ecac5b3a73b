package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/karpgate/karpgate/internal/runtask"
)

// fakeTFC is a minimal HCP Terraform for serve tests: it serves plans by path and records the
// callbacks by task id.
type fakeTFC struct {
	srv       *httptest.Server
	mu        sync.Mutex
	callbacks map[string]map[string]any
}

func newFakeTFC(t *testing.T, plans map[string]string) *fakeTFC {
	t.Helper()
	f := &fakeTFC{callbacks: map[string]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && plans[r.URL.Path] != "":
			b, err := os.ReadFile(plans[r.URL.Path])
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Write(b)
		case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/callback/"):
			var body map[string]any
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			f.mu.Lock()
			f.callbacks[strings.TrimPrefix(r.URL.Path, "/callback/")] = body
			f.mu.Unlock()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// task is a signed post_plan request for the plan at path, calling back under id.
func (f *fakeTFC) task(id, path string, key []byte) *http.Request {
	body, _ := json.Marshal(map[string]any{
		"payload_version": 1, "stage": "post_plan", "access_token": "tok",
		"capabilities":             map[string]any{"outcomes": true},
		"plan_json_api_url":        f.srv.URL + path,
		"task_result_callback_url": f.srv.URL + "/callback/" + id,
		"task_result_id":           "taskrs-" + id, "run_id": "run-" + id, "workspace_name": "eks",
	})
	req := httptest.NewRequest(http.MethodPost, "/runtask", bytes.NewReader(body))
	req.Header.Set("X-TFC-Task-Signature", runtask.Sign(body, key))
	return req
}

// wait returns the callbacks once n arrived, or when the deadline passes.
func (f *fakeTFC) wait(n int, d time.Duration) map[string]map[string]any {
	deadline := time.Now().Add(d)
	for {
		f.mu.Lock()
		got := len(f.callbacks)
		f.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]any{}
	for k, v := range f.callbacks {
		out[k] = v
	}
	return out
}

func callbackStatus(cb map[string]any) (status, raw string) {
	b, _ := json.Marshal(cb)
	attrs, _ := cb["data"].(map[string]any)["attributes"].(map[string]any)
	s, _ := attrs["status"].(string)
	return s, string(b)
}

// TestServeHostileTaskFailsAlone: under serve, a task whose evaluation a user policy blows up
// (one builtin call allocating a terabyte) gets a failed callback naming the reason, and the
// tasks around it get their normal results: the service survives.
func TestServeHostileTaskFailsAlone(t *testing.T) {
	// The policy blows up only on the plan with module.karpenter resources.
	tfc := newFakeTFC(t, map[string]string{"/plans/upstream": upstreamPlan, "/plans/module": "../../testdata/plans/eks-v20.24-v033/plan.json"})
	f := &serveFlags{}
	cmd := &cobra.Command{}
	f.register(cmd)
	if err := cmd.ParseFlags([]string{"--no-config", "--policy", "testdata/hostile/serve", "--timeout", "30s", "--max-memory", "268435456"}); err != nil {
		t.Fatal(err)
	}
	p, err := f.build(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("hmac-secret")
	srv, err := runtask.New(runtask.Options{
		HMACKey:           key,
		AllowedHosts:      []string{strings.TrimPrefix(tfc.srv.URL, "http://")},
		InsecureAllowHTTP: true,
		Scanner:           f.taskScanner(p),
		Transport:         tfc.srv.Client().Transport,
		Logger:            discardLogger(),
		Workers:           2,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Shutdown(context.Background())
	ids := []string{"good1", "bad", "good2"}
	for _, id := range ids {
		rec := httptest.NewRecorder()
		plan := "/plans/upstream"
		if id == "bad" {
			plan = "/plans/module"
		}
		srv.Handler().ServeHTTP(rec, tfc.task(id, plan, key))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: POST answered %d: %s", id, rec.Code, rec.Body)
		}
	}
	cbs := tfc.wait(len(ids), 60*time.Second)
	for _, id := range ids {
		cb := cbs[id]
		if cb == nil {
			t.Errorf("no callback for %s", id)
			continue
		}
		st, raw := callbackStatus(cb)
		switch id {
		case "bad":
			if st != "failed" || !strings.Contains(raw, "memory limit") || !strings.Contains(raw, "testdata/hostile/serve") {
				t.Errorf("bad: want failed naming the memory limit and the policy, got %s: %s", st, raw)
			}
		default:
			if st != "passed" {
				t.Errorf("%s: want passed, got %s: %s", id, st, raw)
			}
		}
	}
}

// TestServeRefusesToStartWithoutHMAC: without a key serve is a usage error, before it listens,
// unless --insecure-no-hmac says so explicitly.
func TestServeRefusesToStartWithoutHMAC(t *testing.T) {
	code, _, stderr := run(t, "", "serve", "--no-config", "--listen", "127.0.0.1:0")
	if code != ExitUsage || !strings.Contains(stderr, "--hmac-key-file") || !strings.Contains(stderr, "--insecure-no-hmac") {
		t.Errorf("serve without a key: exit %d, stderr %q; want exit 2 naming the key flags", code, stderr)
	}
}
