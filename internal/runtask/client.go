package runtask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Download and callback errors the worker branches on.
var (
	// ErrHostNotAllowed: a plan, redirect or callback URL names a host karpgate must not contact, or
	// a scheme other than https.
	ErrHostNotAllowed = errors.New("host is not allowed")
	// ErrPlanTooLarge: the plan JSON is larger than Options.MaxPlanSize.
	ErrPlanTooLarge = errors.New("plan is larger than the limit")
	// ErrPlanNotReady: the plan URL kept answering 204 (plan not finished) until retries ran out.
	ErrPlanNotReady = errors.New("plan JSON is not ready")
)

// StatusError is an HTTP answer karpgate did not expect.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("unexpected status %d %s", e.Code, http.StatusText(e.Code))
}

// retryable reports whether a status is worth another attempt: 429 and 5xx.
func retryable(code int) bool { return code == http.StatusTooManyRequests || code >= 500 }

// hostPolicy decides which URLs karpgate may contact (SSRF guard). Hosts are compared exactly after
// lower-casing and dropping the scheme's default port.
type hostPolicy struct {
	allowed   map[string]bool // plan URLs, callbacks; the token may go there
	redirect  map[string]bool // plan redirects only; never the token
	allowHTTP bool
}

func newHostPolicy(allowed, redirect []string, allowHTTP bool) (hostPolicy, error) {
	p := hostPolicy{allowed: map[string]bool{}, redirect: map[string]bool{}, allowHTTP: allowHTTP}
	for _, set := range []struct {
		hosts []string
		into  map[string]bool
		what  string
	}{{allowed, p.allowed, "allowed host"}, {redirect, p.redirect, "redirect host"}} {
		for _, h := range set.hosts {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" || strings.ContainsAny(h, "/?#@ ") {
				return hostPolicy{}, fmt.Errorf("parse %s %q: want a host name or host:port", set.what, h)
			}
			set.into[strings.TrimSuffix(h, ":443")] = true
		}
	}
	if len(p.allowed) == 0 {
		return hostPolicy{}, errors.New("check allowed hosts: none configured")
	}
	return p, nil
}

// hostKey is the comparable host of u: lower case, default port dropped.
func hostKey(u *url.URL) string {
	h := strings.ToLower(u.Host)
	switch u.Scheme {
	case "https":
		h = strings.TrimSuffix(h, ":443")
	case "http":
		h = strings.TrimSuffix(h, ":80")
	}
	return h
}

// checkScheme refuses anything but an absolute https (or, in tests, http) URL without user info.
func (p hostPolicy) checkScheme(u *url.URL) error {
	switch {
	case u.Scheme == "https", u.Scheme == "http" && p.allowHTTP:
	default:
		return fmt.Errorf("%w: scheme %q of %s", ErrHostNotAllowed, u.Scheme, u.Host)
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return fmt.Errorf("%w: malformed URL for %q", ErrHostNotAllowed, u.Host)
	}
	return nil
}

// parse reads raw as a plan or callback URL and checks its host against the allowed hosts. Errors
// name the host only: some URLs carry credentials in their path or query.
func (p hostPolicy) parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: unparseable URL", ErrHostNotAllowed)
	}
	if err := p.checkScheme(u); err != nil {
		return nil, err
	}
	if !p.allowed[hostKey(u)] {
		return nil, fmt.Errorf("%w: %s", ErrHostNotAllowed, u.Host)
	}
	return u, nil
}

// checkRedirect accepts a plan redirect to an allowed or a redirect-only host.
func (p hostPolicy) checkRedirect(u *url.URL) error {
	if err := p.checkScheme(u); err != nil {
		return err
	}
	if k := hostKey(u); !p.allowed[k] && !p.redirect[k] {
		return fmt.Errorf("%w: redirect to %s", ErrHostNotAllowed, u.Host)
	}
	return nil
}

// delay is the wait after the given failed attempt (1-based), with up to 20% jitter.
func (b Backoff) delay(attempt int) time.Duration {
	d := b.Initial
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 0 {
		return 0
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

func (b Backoff) withDefaults(def Backoff) Backoff {
	if b.Attempts <= 0 {
		b.Attempts = def.Attempts
	}
	if b.Initial <= 0 {
		b.Initial = def.Initial
	}
	if b.Max <= 0 {
		b.Max = def.Max
	}
	b.Max = max(b.Max, b.Initial)
	return b
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// redactURLError replaces the URL of a *url.Error by its host: plan redirect URLs are
// pre-authenticated, so they must not reach logs or task messages.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	host := "URL"
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Errorf("%s %s: %w", strings.ToLower(ue.Op), host, ue.Err)
}

// client downloads plans and sends callbacks. It only contacts hosts its policy allows, sends the
// access token only to the host of the URL it was given, and never puts a token or a full URL in an
// error.
type client struct {
	hosts          hostPolicy
	plan           *http.Client // follows redirects through checkRedirect
	callback       *http.Client // follows none
	planRetry      Backoff
	callbackRetry  Backoff
	maxPlan        int64
	requestTimeout time.Duration
}

func newClient(o Options, hosts hostPolicy) *client {
	c := &client{
		hosts:          hosts,
		planRetry:      o.PlanRetry,
		callbackRetry:  o.CallbackRetry,
		maxPlan:        o.MaxPlanSize,
		requestTimeout: o.RequestTimeout,
	}
	c.plan = &http.Client{Transport: o.Transport, CheckRedirect: c.checkRedirect}
	c.callback = &http.Client{
		Transport: o.Transport,
		Timeout:   o.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return c
}

// checkRedirect follows a plan redirect only to an allowed or redirect-only host, and drops the
// token whenever the host differs from the first request's (the archivist URL is pre-signed).
func (c *client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stop after %d redirects", maxRedirects)
	}
	if err := c.hosts.checkRedirect(req.URL); err != nil {
		return err
	}
	if hostKey(req.URL) != hostKey(via[0].URL) {
		req.Header.Del("Authorization")
	}
	return nil
}

// planReader streams a plan body, failing once it passes the size limit and remembering the first
// read error so the worker can tell a broken download from a plan the scanner rejected.
type planReader struct {
	body   io.ReadCloser
	cancel context.CancelFunc
	n, max int64
	err    error
}

func (p *planReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	k, err := p.body.Read(b)
	p.n += int64(k)
	if p.n > p.max {
		p.err = fmt.Errorf("%w of %d bytes", ErrPlanTooLarge, p.max)
		return k, p.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		p.err = fmt.Errorf("read body: %w", redactURLError(err))
		return k, p.err
	}
	return k, err
}

// Close closes the body and releases its request.
func (p *planReader) Close() error {
	err := p.body.Close()
	p.cancel()
	return err
}

// fetchPlan GETs the plan JSON with the access token, following the redirect to the archivist,
// retrying 204 (not ready yet), 429, 5xx and network errors on the plan schedule. The caller closes
// the reader and checks its err after reading.
func (c *client) fetchPlan(ctx context.Context, raw string, token Secret) (*planReader, error) {
	u, err := c.hosts.parse(raw)
	if err != nil {
		return nil, fmt.Errorf("check plan URL: %w", err)
	}
	var last error
	for attempt := 1; attempt <= c.planRetry.Attempts; attempt++ {
		pr, retry, err := c.getPlan(ctx, u, token)
		if err == nil {
			return pr, nil
		}
		if !retry || ctx.Err() != nil {
			return nil, err
		}
		last = err
		if attempt == c.planRetry.Attempts {
			break
		}
		if err := sleep(ctx, c.planRetry.delay(attempt)); err != nil {
			return nil, fmt.Errorf("wait to retry: %w (last: %w)", err, last)
		}
	}
	return nil, fmt.Errorf("give up after %d attempts: %w", c.planRetry.Attempts, last)
}

// getPlan makes one download attempt; retry tells whether another may succeed. Errors are bare
// (fetchPlan's caller says "download the plan").
func (c *client) getPlan(ctx context.Context, u *url.URL, token Secret) (*planReader, bool, error) {
	actx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, false, fmt.Errorf("build plan request: %w", redactURLError(err))
	}
	req.Header.Set("Authorization", "Bearer "+token.Reveal())
	req.Header.Set("Content-Type", jsonAPIMediaType)
	req.Header.Set("User-Agent", defaultUserAgent)
	// The timer bounds the wait for response headers; the body is bounded by the task's deadline.
	timer := time.AfterFunc(c.requestTimeout, cancel)
	resp, err := c.plan.Do(req)
	fired := !timer.Stop()
	if err != nil {
		cancel()
		if fired && ctx.Err() == nil {
			return nil, true, fmt.Errorf("get %s: no response within %s", u.Host, c.requestTimeout)
		}
		err = redactURLError(err)
		return nil, !errors.Is(err, ErrHostNotAllowed), err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if resp.ContentLength > c.maxPlan {
			drain(resp.Body)
			cancel()
			return nil, false, fmt.Errorf("%w of %d bytes (it has %d)", ErrPlanTooLarge, c.maxPlan, resp.ContentLength)
		}
		return &planReader{body: resp.Body, cancel: cancel, max: c.maxPlan}, false, nil
	case resp.StatusCode == http.StatusNoContent:
		err = fmt.Errorf("%w (204)", ErrPlanNotReady)
	default:
		err = &StatusError{Code: resp.StatusCode}
	}
	drain(resp.Body)
	cancel()
	return nil, resp.StatusCode == http.StatusNoContent || retryable(resp.StatusCode), err
}

// drain reads a little of an unwanted body so the connection can be reused, then closes it.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// sendResult PATCHes the task result to the callback URL, retrying 429, 5xx and network errors on
// the callback schedule; other answers are final. It returns the number of attempts made.
func (c *client) sendResult(ctx context.Context, raw string, token Secret, doc TaskResult) (int, error) {
	u, err := c.hosts.parse(raw)
	if err != nil {
		return 0, fmt.Errorf("check callback URL: %w", err)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return 0, fmt.Errorf("encode task result: %w", err)
	}
	var last error
	for attempt := 1; attempt <= c.callbackRetry.Attempts; attempt++ {
		wait, retry, err := c.patch(ctx, u, token, body)
		if err == nil {
			return attempt, nil
		}
		if !retry || ctx.Err() != nil {
			return attempt, fmt.Errorf("send task result: %w", err)
		}
		last = err
		if attempt == c.callbackRetry.Attempts {
			break
		}
		if wait <= 0 {
			wait = c.callbackRetry.delay(attempt)
		}
		if err := sleep(ctx, min(wait, c.callbackRetry.Max)); err != nil {
			return attempt, fmt.Errorf("send task result: wait to retry: %w (last: %w)", err, last)
		}
	}
	return c.callbackRetry.Attempts, fmt.Errorf("send task result: give up after %d attempts: %w", c.callbackRetry.Attempts, last)
}

// patch makes one callback attempt. wait is the server's Retry-After, when it sent one.
func (c *client) patch(ctx context.Context, u *url.URL, token Secret, body []byte) (wait time.Duration, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, false, fmt.Errorf("build callback request: %w", redactURLError(err))
	}
	req.Header.Set("Authorization", "Bearer "+token.Reveal())
	req.Header.Set("Content-Type", jsonAPIMediaType)
	req.Header.Set("Accept", jsonAPIMediaType)
	req.Header.Set("User-Agent", defaultUserAgent)
	resp, err := c.callback.Do(req)
	if err != nil {
		return 0, true, redactURLError(err)
	}
	drain(resp.Body)
	if resp.StatusCode/100 == 2 {
		return 0, false, nil
	}
	if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
		wait = time.Duration(s) * time.Second
	}
	return wait, retryable(resp.StatusCode), &StatusError{Code: resp.StatusCode}
}
