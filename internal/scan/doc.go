// Package scan is karpgate's one pipeline, shared by the CLI and the run-task service: read each
// plan (internal/plan), build input.iam (internal/facts), evaluate the rules (internal/engine),
// apply the user's overrides and exceptions and decide the gate (internal/findings). Several plans
// are scanned concurrently; the result does not depend on their order or on scheduling.
package scan
