// Package escape makes text that comes from a plan or a policy (messages, statement Sids,
// addresses, rule metadata) safe for the format it lands in: Markdown (pull-request comments,
// SARIF help, run-task outcome bodies), HTML inside Markdown, and a terminal. JSON and XML writers
// escape through their encoders.
package escape
