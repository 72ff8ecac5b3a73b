// Package runtask is karpgate's HCP Terraform / Terraform Enterprise run-task service (karpgate
// serve): POST /runtask, GET /healthz and GET /metrics.
//
// The handler reads at most MaxRequestBytes, verifies X-TFC-Task-Signature (HMAC-SHA512 of the raw
// body) before decoding, answers the registration ping (access token "test-token") with 200 and
// nothing else, and queues every other task, answering 200 at once. Workers download the plan JSON
// with the task's token, scan it with a Scanner and PATCH one final JSON:API task result (passed or
// failed, a message, an optional URL and, when the caller accepts them, up to ten outcomes, one per
// rule).
//
// Safety rules:
//   - Fail closed: a plan that cannot be downloaded or read, a plan over the size limit, a scanner
//     error, a timeout or a shutdown fails the task with a message; only a scan whose summary
//     passed (or the pre_plan stage, which has no plan) passes.
//   - SSRF: plan and callback URLs must be https on an allowed host (exact host match). A plan
//     download follows redirects only to allowed or redirect-only hosts (default
//     archivist.terraform.io) and sends the token only to the host of the plan URL itself. A task
//     whose plan host is not allowed is failed through its callback; a task whose callback host is
//     not allowed is refused with 422, because there is nowhere to report.
//   - Secrets: the access token is a Secret that prints as "[redacted]"; errors and logs name hosts,
//     never full URLs (the archivist URL is pre-signed).
//   - Exactly once: tasks are keyed by task_result_id; a delivery of a task that is queued, running
//     or recently finished is acknowledged and not run again.
//   - Shutdown stops taking work (503), then drains queued and running tasks.
//
// The package depends on internal/findings only; the CLI adapts the scan pipeline to Scanner.
package runtask
