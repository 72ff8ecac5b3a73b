package runtask

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHostPolicy(t *testing.T) {
	p, err := newHostPolicy([]string{"app.terraform.io", "TFE.example.com:8443"}, []string{"archivist.terraform.io"}, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url      string
		parse    bool // usable as a plan or callback URL
		redirect bool // usable as a redirect target
	}{
		{"https://app.terraform.io/api/v2/plans/plan-1/json-output", true, true},
		{"https://APP.terraform.io:443/api/v2/plans/plan-1/json-output", true, true},
		{"https://tfe.example.com:8443/api/v2/task-results/x/callback", true, true},
		{"https://tfe.example.com/api/v2/task-results/x/callback", false, false},
		{"https://archivist.terraform.io/v1/object/abc", false, true},
		{"http://app.terraform.io/api/v2/plans/plan-1/json-output", false, false},
		{"https://user@app.terraform.io/api", false, false},
		{"https://app.terraform.io.evil.example/api", false, false},
		{"https://evil.example/?app.terraform.io", false, false},
		{"https://169.254.169.254/latest/meta-data/", false, false},
		{"file:///etc/passwd", false, false},
		{"app.terraform.io/api", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := p.parse(tt.url)
			if (err == nil) != tt.parse {
				t.Errorf("parse = %v, want allowed %t", err, tt.parse)
			}
			if err != nil && !errors.Is(err, ErrHostNotAllowed) {
				t.Errorf("parse error %v is not ErrHostNotAllowed", err)
			}
			u, uerr := url.Parse(tt.url)
			if uerr != nil {
				return
			}
			if rerr := p.checkRedirect(u); (rerr == nil) != tt.redirect {
				t.Errorf("checkRedirect = %v, want allowed %t", rerr, tt.redirect)
			}
		})
	}
	http, err := newHostPolicy([]string{"127.0.0.1:8080"}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := http.parse("http://127.0.0.1:8080/x"); err != nil {
		t.Errorf("http with InsecureAllowHTTP: %v", err)
	}
}

func TestBackoffIsBounded(t *testing.T) {
	b := Backoff{Attempts: 10, Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; attempt <= 12; attempt++ {
		d := b.delay(attempt)
		want := min(100*time.Millisecond<<(attempt-1), time.Second)
		if d > want || d < want*4/5 {
			t.Errorf("delay(%d) = %v, want within 20%% below %v", attempt, d, want)
		}
	}
	if d := (Backoff{}).delay(3); d != 0 {
		t.Errorf("zero backoff delay = %v", d)
	}
}

func TestSecretsStayHidden(t *testing.T) {
	req := Request{AccessToken: "abc.atlasv1.secret", TaskResultID: "taskrs-1"}
	var logs syncBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", slog.Any("task", req), slog.Any("token", req.AccessToken))
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", req, req, req, req.AccessToken), logs.String()} {
		if strings.Contains(s, "atlasv1") {
			t.Errorf("token leaked: %s", s)
		}
	}
	err := redactURLError(&url.Error{Op: "Get", URL: "https://archivist.terraform.io/v1/object/SIGNED?x=y", Err: errors.New("connection reset")})
	if got := err.Error(); got != "get archivist.terraform.io: connection reset" {
		t.Errorf("redactURLError = %q", got)
	}
}
