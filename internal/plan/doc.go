// Package plan reads what `terraform show -json` prints, for a saved plan or for a state, and
// indexes it for the IAM model.
//
// It owns decoding (UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM; a size limit; strict UTF-8),
// validation (format_version 0.x or 1.x; a plan or a state, nothing else), the resource index by
// absolute address across planned_values, prior_state, resource_changes and configuration, and the
// resolution of module-relative configuration references to absolute addresses. It knows nothing
// about IAM; internal/facts builds on it.
//
// Read is the one way in. It validates the whole document in one pass with the lexer of
// internal/jsontext, which owns the JSON syntax, and keeps only the resources Options.Keep selects,
// their values as checked JSON text (Attrs) decoded when read. It slides a window along the input so
// the document is never held whole, unless Options.Text asks for the text (input.plan); a large file
// is read on all cores in sections that start at top-level members (split.go), falling back to the
// single pass for anything but a clean join, so its results and errors are the single pass's. The
// tests check it against an oracle that decodes everything with encoding/json (oracle_test.go).
//
// The files by job: read.go the entry point and its errors, walk.go the schema walk driven by the
// table of keys in keys.go, own.go the memory a Plan keeps, split.go the parse on several cores,
// plan.go the Plan and its index, address.go the resolution of configuration references.
package plan
