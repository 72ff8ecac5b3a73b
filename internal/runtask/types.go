package runtask

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/karpgate/karpgate/internal/findings"
)

// Protocol constants of HCP Terraform / Terraform Enterprise run tasks.
const (
	// VerificationToken is the access token of the request HCP Terraform sends when a run task is
	// registered or edited. It is never a valid API token; the request gets 200 and nothing else.
	VerificationToken = "test-token"
	// SignatureHeader carries the hex HMAC-SHA512 of the raw request body, or "" without a key.
	SignatureHeader = "X-TFC-Task-Signature"
	// PayloadVersion is the only request payload version HCP Terraform sends.
	PayloadVersion = 1

	// Stages a run task can be attached to.
	StagePrePlan   = "pre_plan"
	StagePostPlan  = "post_plan"
	StagePreApply  = "pre_apply"
	StagePostApply = "post_apply"

	// Task result statuses karpgate reports. "running" exists but karpgate sends final results only.
	StatusPassed = "passed"
	StatusFailed = "failed"

	// JSON:API media type and resource types of the callback.
	jsonAPIMediaType   = "application/vnd.api+json"
	taskResultsType    = "task-results"
	taskOutcomesType   = "task-result-outcomes"
	defaultUserAgent   = "karpgate-runtask"
	defaultAllowedHost = "app.terraform.io"
	defaultRedirHost   = "archivist.terraform.io"
)

// Limits. The callback limits come from HCP Terraform's run-task result JSON schema.
const (
	// MaxRequestBytes caps a run-task request body; larger bodies get 413.
	MaxRequestBytes = 1 << 20
	// DefaultMaxPlanSize caps a downloaded plan JSON (1 GiB); larger plans fail the task.
	DefaultMaxPlanSize int64 = 1 << 30
	// MaxMessageChars caps the task result message (characters, not bytes).
	MaxMessageChars = 1000
	// MaxOutcomes caps the outcomes of one task result.
	MaxOutcomes = 10
	// MaxOutcomeBodyChars caps an outcome's markdown body.
	MaxOutcomeBodyChars = 10000
	// MaxDescriptionChars caps an outcome's description.
	MaxDescriptionChars = 1000
	// MaxURLChars caps the result and outcome URLs; longer URLs are left out.
	MaxURLChars = 500
	// MaxOutcomeIDChars caps an outcome id.
	MaxOutcomeIDChars = 64
	// MaxLabelChars caps a tag label.
	MaxLabelChars = 32
	// maxRedirects bounds the redirects one plan download follows (HCP Terraform sends one).
	maxRedirects = 3
	// recentTasks is how many finished task ids are remembered to swallow late duplicate deliveries.
	recentTasks = 4096
)

// Defaults of Options.
const (
	DefaultAddr            = ":8080"
	DefaultWorkers         = 4
	DefaultQueueSize       = 64
	DefaultTaskTimeout     = 8 * time.Minute // HCP Terraform errors a task without news for 10 minutes
	DefaultCallbackTimeout = time.Minute     // all attempts of one callback together
	// DefaultGracePeriod is how long karpgate may take from SIGTERM to exit: give the process
	// manager this long (terminationGracePeriodSeconds, TimeoutStopSec). The drain timeout is
	// derived from it (see drainBudget).
	DefaultGracePeriod    = 330 * time.Second
	DefaultRequestTimeout = 30 * time.Second // one callback attempt; response headers of a plan download

	// http.Server timeouts of Run/Serve.
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	httpShutdownWait  = 15 * time.Second
)

// Scanner evaluates one plan. The CLI adapts the scan pipeline (plan, facts, engine, findings) to it;
// it must be safe for concurrent use by several workers.
type Scanner interface {
	// Scan evaluates one plan read from r (name is used in messages) with the given run metadata and returns the result.
	Scan(ctx context.Context, name string, r io.Reader, run RunInfo) (findings.Result, error)
}

// RunInfo is the run metadata of a task, given to the Scanner (it becomes input.run).
type RunInfo struct {
	Workspace    string
	Stage        string
	RunID        string
	Organization string
}

// Backoff is a bounded retry schedule: at most Attempts tries, waiting Initial, then doubling up to
// Max between them (with up to 20% random jitter). Zero fields take the defaults of the schedule.
type Backoff struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
}

// Options configure a Server. Only Scanner is required.
type Options struct {
	// Addr is the listen address of Run (default ":8080").
	Addr string
	// HMACKey is the run task's HMAC key. When set, every request must carry a valid signature (401
	// otherwise). New refuses an empty key unless InsecureNoHMAC is set.
	HMACKey []byte
	// InsecureNoHMAC accepts unsigned requests when HMACKey is empty (a request that carries a
	// signature is then refused with 400); Start logs a warning every time.
	InsecureNoHMAC bool
	// AllowedHosts are the hosts (host or host:port, matched exactly, case-insensitively) whose plan
	// URLs karpgate downloads and whose callback URLs it calls. Default: app.terraform.io.
	AllowedHosts []string
	// RedirectHosts are extra hosts a plan download may be redirected to. They never receive the
	// access token and are never used as a plan or callback URL. nil means archivist.terraform.io
	// (where HCP Terraform redirects plan downloads); an empty non-nil slice means none.
	RedirectHosts []string
	// InsecureAllowHTTP lets plan and callback URLs use http as well as https. Tests only.
	InsecureAllowHTTP bool
	// Workers is the number of tasks processed at once (default 4).
	Workers int
	// QueueSize is the number of accepted tasks waiting for a worker (default 64); a request that
	// finds the queue full gets 503 and HCP Terraform retries it.
	QueueSize int
	// MaxPlanSize caps a downloaded plan JSON in bytes (default 1 GiB).
	MaxPlanSize int64
	// ResultsURL, when set, is sent as the task result's url. It may contain {run_id},
	// {task_result_id}, {workspace} and {organization}, replaced by path-escaped values.
	ResultsURL string
	// Scanner evaluates plans. Required.
	Scanner Scanner
	// Logger receives JSON logs (default: slog JSON handler on stderr). Tokens are never logged.
	Logger *slog.Logger
	// TaskTimeout bounds a task from its acceptance to its final callback (default 8m).
	TaskTimeout time.Duration
	// CallbackTimeout bounds all attempts of one final callback together (default 1m).
	CallbackTimeout time.Duration
	// RequestTimeout bounds one callback attempt and the wait for a plan response's headers (default 30s).
	RequestTimeout time.Duration
	// GracePeriod bounds the whole shutdown, from the end of Serve's context to its return
	// (default DefaultGracePeriod).
	GracePeriod time.Duration
	// DrainTimeout bounds the wait for queued and running tasks at shutdown (default: GracePeriod
	// less CallbackTimeout and the HTTP shutdown reserve, so every accepted task still gets its final
	// callback within GracePeriod); tasks still running then are cancelled and failed with a
	// message, and their callbacks are still sent.
	DrainTimeout time.Duration
	// PlanRetry is the schedule for plan downloads answered 204 (not ready), 429, 5xx or a network
	// error (default 8 attempts, 1s doubling to 10s).
	PlanRetry Backoff
	// CallbackRetry is the schedule for callbacks answered 429, 5xx or a network error (default 5
	// attempts, 1s doubling to 15s). Other 4xx answers are not retried.
	CallbackRetry Backoff
	// Transport is the HTTP transport for plan downloads and callbacks (default: a clone of
	// http.DefaultTransport). Tests pass the httptest server's.
	Transport http.RoundTripper
}

// Request is the body HCP Terraform POSTs to the run task URL (payload version 1). Unknown fields
// are ignored; run_created_at stays a string.
type Request struct {
	PayloadVersion                  int          `json:"payload_version"`
	Stage                           string       `json:"stage"`
	AccessToken                     Secret       `json:"access_token"`
	Capabilities                    Capabilities `json:"capabilities"`
	ConfigurationVersionDownloadURL string       `json:"configuration_version_download_url"`
	ConfigurationVersionID          string       `json:"configuration_version_id"`
	IsSpeculative                   bool         `json:"is_speculative"`
	OrganizationName                string       `json:"organization_name"`
	PlanJSONAPIURL                  string       `json:"plan_json_api_url"`
	RunAppURL                       string       `json:"run_app_url"`
	RunCreatedAt                    string       `json:"run_created_at"`
	RunCreatedBy                    string       `json:"run_created_by"`
	RunID                           string       `json:"run_id"`
	RunMessage                      string       `json:"run_message"`
	TaskResultCallbackURL           string       `json:"task_result_callback_url"`
	TaskResultEnforcementLevel      string       `json:"task_result_enforcement_level"`
	TaskResultID                    string       `json:"task_result_id"`
	VCSBranch                       string       `json:"vcs_branch"`
	VCSCommitURL                    string       `json:"vcs_commit_url"`
	VCSCommitHash                   string       `json:"vcs_commit_hash"`
	VCSPullRequestURL               string       `json:"vcs_pull_request_url"`
	VCSRepoURL                      string       `json:"vcs_repo_url"`
	WorkspaceAppURL                 string       `json:"workspace_app_url"`
	WorkspaceID                     string       `json:"workspace_id"`
	WorkspaceName                   string       `json:"workspace_name"`
	WorkspaceWorkingDirectory       string       `json:"workspace_working_directory"`
}

// Capabilities are what the caller accepts in the callback.
type Capabilities struct {
	Outcomes bool `json:"outcomes"`
}

// IsVerification reports whether the request is the registration ping.
func (r Request) IsVerification() bool { return r.AccessToken.Reveal() == VerificationToken }

// LogValue lists the fields worth logging; the access token is not one of them.
func (r Request) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("task_result_id", r.TaskResultID),
		slog.String("run_id", r.RunID),
		slog.String("organization", r.OrganizationName),
		slog.String("workspace", r.WorkspaceName),
		slog.String("stage", r.Stage),
		slog.String("enforcement", r.TaskResultEnforcementLevel),
	)
}

// RunInfo returns the run metadata handed to the Scanner.
func (r Request) RunInfo() RunInfo {
	return RunInfo{Workspace: r.WorkspaceName, Stage: r.Stage, RunID: r.RunID, Organization: r.OrganizationName}
}

// Secret is a string that prints, logs and marshals as "[redacted]", so an access token cannot leak
// through a %v, a log attribute or a JSON dump. Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, for the Authorization header only.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]".
func (s Secret) GoString() string { return redacted }

// LogValue returns "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]"; JSON encoding of a Request never contains the token.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// UnmarshalText keeps the text as the secret.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// TaskResult is the JSON:API document PATCHed to the callback URL.
type TaskResult struct {
	Data TaskResultData `json:"data"`
}

// TaskResultData is the task-results resource.
type TaskResultData struct {
	Type          string                   `json:"type"`
	Attributes    TaskResultAttributes     `json:"attributes"`
	Relationships *TaskResultRelationships `json:"relationships,omitempty"`
}

// TaskResultAttributes carry the status (passed or failed), a message of at most 1,000 characters
// and an optional URL.
type TaskResultAttributes struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	URL     string `json:"url,omitempty"`
}

// TaskResultRelationships hold the outcomes (1 to 10), sent only when the caller accepts them.
type TaskResultRelationships struct {
	Outcomes OutcomeList `json:"outcomes"`
}

// OutcomeList is the JSON:API to-many relationship of outcomes.
type OutcomeList struct {
	Data []Outcome `json:"data"`
}

// Outcome is one task-result-outcomes resource: one karpgate rule with findings.
type Outcome struct {
	Type       string            `json:"type"`
	Attributes OutcomeAttributes `json:"attributes"`
}

// OutcomeAttributes describe one rule's findings; Body is markdown of at most 10,000 characters.
type OutcomeAttributes struct {
	OutcomeID   string           `json:"outcome-id"`
	Description string           `json:"description"`
	Body        string           `json:"body,omitempty"`
	URL         string           `json:"url,omitempty"`
	Tags        map[string][]Tag `json:"tags,omitempty"`
}

// Tag is a rich label; Level is none, info, warning or error.
type Tag struct {
	Label string `json:"label"`
	Level string `json:"level,omitempty"`
}
