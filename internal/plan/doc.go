// Package plan reads what `terraform show -json` prints, for a saved plan or for a state, and
// indexes it for the IAM model.
//
// It owns decoding (UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM; a size limit; strict UTF-8),
// validation (format_version 0.x or 1.x; a plan or a state, nothing else), the resource index by
// absolute address across planned_values, prior_state, resource_changes and configuration, and the
// resolution of module-relative configuration references to absolute addresses. It knows nothing
// about IAM; internal/facts builds on it.
package plan
