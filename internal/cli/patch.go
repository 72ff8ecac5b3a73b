package cli

import (
	"fmt"
	"io"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/patch"
	"github.com/karpgate/karpgate/internal/source"
)

// patchFormat is the --format that writes the module-argument fixes as a unified diff.
const patchFormat = "patch"

// patchWriter renders a result as the diff of internal/patch. Unlike the report writers it needs
// the indexed sources, which scan sets once they are read.
type patchWriter struct {
	sources *source.Map
}

func (p *patchWriter) Write(w io.Writer, r findings.Result) error {
	var src patch.Sources
	if p.sources != nil {
		src = p.sources
	}
	if _, err := w.Write(patch.Diff(src, r.Findings, "run in the root module or "+reportHints().SourceDir)); err != nil {
		return fmt.Errorf("write patch: %w", err)
	}
	return nil
}
