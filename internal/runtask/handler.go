package runtask

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// maxTaskIDLen bounds task_result_id, which keys the task set and goes into logs.
const maxTaskIDLen = 256

// queueRetryAfter is the Retry-After hint, in seconds, of a 503.
const queueRetryAfter = 10

// enqueuer takes accepted tasks (the worker pool).
type enqueuer interface {
	enqueue(req Request, received time.Time) (dup bool, err error)
}

// handler answers POST /runtask. It checks and queues; it never fetches or calls out, so HCP
// Terraform gets its 200 at once. Order: size limit, raw body, signature (401/400), decode (400),
// verification ping (200), validation (400/422), enqueue (503 when full or stopping), 200.
type handler struct {
	verify  func(body []byte, sig string) error
	hosts   hostPolicy
	queue   enqueuer
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.log.With(slog.String("remote", r.RemoteAddr))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.reply(w, http.StatusRequestEntityTooLarge, reqTooLarge, "request body is larger than 1 MiB")
			log.Warn("request refused", slog.String("reason", "body too large"))
			return
		}
		h.reply(w, http.StatusBadRequest, reqBadRequest, "cannot read request body")
		log.Warn("request refused", slog.String("reason", "read body"), slog.String("error", err.Error()))
		return
	}
	if err := h.verify(body, r.Header.Get(SignatureHeader)); err != nil {
		code, result := http.StatusUnauthorized, reqUnauthorized
		if errors.Is(err, ErrSignatureUnexpected) {
			code, result = http.StatusBadRequest, reqBadRequest
		}
		h.reply(w, code, result, err.Error())
		log.Warn("request refused", slog.String("reason", err.Error()))
		return
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		h.reply(w, http.StatusBadRequest, reqBadRequest, "request body is not a run-task payload")
		log.Warn("request refused", slog.String("reason", "decode payload"), slog.String("error", err.Error()))
		return
	}
	if req.IsVerification() {
		h.reply(w, http.StatusOK, reqVerification, "")
		log.Info("verification request answered", slog.Any("task", req))
		return
	}
	log = log.With(slog.Any("task", req))
	if msg := validate(req); msg != "" {
		h.reply(w, http.StatusBadRequest, reqBadRequest, msg)
		log.Warn("request refused", slog.String("reason", msg))
		return
	}
	if req.PayloadVersion != PayloadVersion {
		log.Warn("unexpected payload version; processing it as version 1", slog.Int("payload_version", req.PayloadVersion))
	}
	// With a callback host karpgate must not call, there is no way to report; refuse so the run
	// task errors instead of waiting for a callback that never comes.
	if _, err := h.hosts.parse(req.TaskResultCallbackURL); err != nil {
		h.reply(w, http.StatusUnprocessableEntity, reqRejected, "callback URL is not allowed")
		log.Warn("request refused", slog.String("reason", "callback URL"), slog.String("error", err.Error()))
		return
	}
	dup, err := h.queue.enqueue(req, h.now())
	switch {
	case errors.Is(err, errQueueFull):
		w.Header().Set("Retry-After", strconv.Itoa(queueRetryAfter))
		h.reply(w, http.StatusServiceUnavailable, reqQueueFull, "task queue is full")
		log.Warn("request refused", slog.String("reason", "queue full"))
	case err != nil:
		w.Header().Set("Retry-After", strconv.Itoa(queueRetryAfter))
		h.reply(w, http.StatusServiceUnavailable, reqDraining, "not accepting tasks")
		log.Warn("request refused", slog.String("reason", "not accepting tasks"))
	case dup:
		h.reply(w, http.StatusOK, reqDuplicate, "")
		log.Info("duplicate delivery acknowledged")
	default:
		h.reply(w, http.StatusOK, reqAccepted, "")
		log.Info("task accepted")
	}
}

// validate returns what makes req unusable, or "".
func validate(req Request) string {
	switch {
	case req.TaskResultID == "":
		return "task_result_id is missing"
	case len(req.TaskResultID) > maxTaskIDLen:
		return "task_result_id is too long"
	case req.AccessToken == "":
		return "access_token is missing"
	case req.TaskResultCallbackURL == "":
		return "task_result_callback_url is missing"
	case req.Stage == "":
		return "stage is missing"
	}
	return ""
}

// reply writes the status (and a one-line text body unless it is 200) and counts the request.
func (h *handler) reply(w http.ResponseWriter, code int, result, msg string) {
	h.metrics.request(result)
	if code == http.StatusOK {
		w.WriteHeader(code)
		return
	}
	http.Error(w, msg, code)
}
