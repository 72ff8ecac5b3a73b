// Package findings holds karpgate's shared vocabulary: the Rule catalog entry, the Finding a rule
// produces, severities, and the Result of a scan with its pass/fail decision. It imports no other
// karpgate package, so the engine, the report writers and the run-task service can all depend on it
// without depending on each other.
package findings
