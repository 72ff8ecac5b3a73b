// Package plan reads what `terraform show -json` prints, for a saved plan or for a state, and
// indexes it for the IAM model.
//
// It owns decoding (UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM; a size limit; strict UTF-8),
// validation (format_version 0.x or 1.x; a plan or a state, nothing else), the resource index by
// absolute address across planned_values, prior_state, resource_changes and configuration, and the
// resolution of module-relative configuration references to absolute addresses. It knows nothing
// about IAM; internal/facts builds on it.
//
// Two parsers build the same Plan. Parse decodes everything with encoding/json (the plain
// reference). ParseStream and ParseFast validate the whole document in one pass with the lexer of
// internal/jsontext, which owns the JSON syntax, and keep only the resources a Keep function selects, their values as checked JSON text
// (Attrs) decoded when read; ParseStream slides a window along the input so the document is never
// held whole, ParseFast holds it for input.plan. ParseStream reads a large file on all cores, in
// sections that start at top-level members (split.go); it falls back to the single pass for
// anything but a clean join, so its results and errors are the single pass's.
package plan
