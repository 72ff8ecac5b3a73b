package report

import (
	"github.com/karpgate/karpgate/internal/escape"
	"github.com/karpgate/karpgate/internal/findings"
)

// The "configuration applied" line every report carries (findings.ConfigApplied): which file set
// the gate and what it relaxed, so a pull request that loosens .karpgate.yaml shows in its own
// report. Empty when the result does not say (a result built by hand).

func configText(r findings.Result) string {
	if r.Config == nil {
		return ""
	}
	return "configuration: " + escape.Terminal(r.Config.Describe())
}

func configMarkdown(r findings.Result) string {
	if r.Config == nil {
		return ""
	}
	mark := ""
	if len(r.Config.Relaxed) > 0 {
		mark = "⚠️ "
	}
	return mark + "**Configuration:** " + escape.Markdown(r.Config.Describe()) + "\n\n"
}

// configSARIF goes into the run's properties.
func configSARIF(r findings.Result) map[string]any {
	if r.Config == nil {
		return nil
	}
	return map[string]any{"karpgate/config": map[string]any{
		"file":    r.Config.File,
		"pinned":  r.Config.Pinned,
		"relaxed": r.Config.Relaxed,
		"summary": r.Config.Describe(),
	}}
}
