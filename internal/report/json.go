package report

import (
	"io"

	"github.com/karpgate/karpgate/internal/findings"
)

// JSONSchemaVersion is the version of the json format (docs/json-format.md). It changes only when a
// field is removed or changes meaning.
const JSONSchemaVersion = "1"

// JSON renders the result as one JSON document.
type JSON struct{}

type jsonDoc struct {
	SchemaVersion string `json:"schema_version"`
	findings.Result
}

// Write implements Writer.
func (JSON) Write(w io.Writer, r findings.Result) error {
	if r.Findings == nil {
		r.Findings = []findings.Finding{}
	}
	if r.Rules == nil {
		r.Rules = []findings.Rule{}
	}
	if r.Plans == nil {
		r.Plans = []string{}
	}
	return encodeIndented(w, jsonDoc{SchemaVersion: JSONSchemaVersion, Result: r})
}
