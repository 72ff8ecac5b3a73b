package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
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

// TestServeUsesTheScanPipeline drives the run-task service wired exactly as `karpgate serve` wires
// it (the real rules, not a fake scanner) with an in-process fake HCP Terraform: a plan with the
// v0.33 policy fails with a KARP001 outcome, the upstream policy passes.
func TestServeUsesTheScanPipeline(t *testing.T) {
	plans := map[string]string{
		"/plans/bad":  "../../testdata/plans/eks-v20.24-v033/plan.json",
		"/plans/good": "../../testdata/plans/upstream-v1/plan.json",
	}
	var mu sync.Mutex
	callbacks := map[string]map[string]any{}
	tfc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
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
			mu.Lock()
			callbacks[strings.TrimPrefix(r.URL.Path, "/callback/")] = body
			mu.Unlock()
			w.WriteHeader(http.StatusOK)
		default:
			http.NotFound(w, r)
		}
	}))
	defer tfc.Close()
	host := strings.TrimPrefix(tfc.URL, "http://")

	f := &serveFlags{}
	cmd := &cobra.Command{}
	f.register(cmd) // the flags' defaults, exactly as karpgate serve has them
	if err := cmd.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	p, err := f.build(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("hmac-secret")
	srv, err := runtask.New(runtask.Options{
		HMACKey:           key,
		AllowedHosts:      []string{host},
		InsecureAllowHTTP: true,
		Scanner:           runtaskScanner{sc: p.scanner},
		Transport:         tfc.Client().Transport,
		Logger:            discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Shutdown(context.Background())
	h := srv.Handler()

	for _, id := range []string{"bad", "good"} {
		body, _ := json.Marshal(map[string]any{
			"payload_version": 1, "stage": "post_plan", "access_token": "tok",
			"capabilities":             map[string]any{"outcomes": true},
			"plan_json_api_url":        tfc.URL + "/plans/" + id,
			"task_result_callback_url": tfc.URL + "/callback/" + id,
			"task_result_id":           "taskrs-" + id, "run_id": "run-" + id, "workspace_name": "eks",
		})
		req := httptest.NewRequest(http.MethodPost, "/runtask", bytes.NewReader(body))
		req.Header.Set("X-TFC-Task-Signature", runtask.Sign(body, key))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: POST answered %d: %s", id, rec.Code, rec.Body)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(callbacks)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	status := func(id string) (string, string) {
		cb := callbacks[id]
		if cb == nil {
			t.Fatalf("no callback for %s", id)
		}
		b, _ := json.Marshal(cb)
		attrs := cb["data"].(map[string]any)["attributes"].(map[string]any)
		return attrs["status"].(string), string(b)
	}
	if st, raw := status("bad"); st != "failed" || !strings.Contains(raw, "KARP001") {
		t.Errorf("the v0.33 policy should fail with a KARP001 outcome, got %s: %s", st, raw)
	}
	if st, raw := status("good"); st != "passed" {
		t.Errorf("the upstream policy should pass, got %s: %s", st, raw)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
