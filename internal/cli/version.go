package cli

import (
	"runtime/debug"
	"strings"
)

// Version is set at build time by make build, from git describe:
// -ldflags "-X github.com/karpgate/karpgate/internal/cli.Version=v1.2.3". Left at "dev", the
// version comes from the build info (see version).
var Version = "dev"

// version is karpgate's version as reports and `karpgate version` print it.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	return versionOf(Version, bi, ok)
}

// versionOf picks the version: the one make build links in; else the module version Go records
// for `go install github.com/karpgate/karpgate/cmd/karpgate@v1.2.3` (a tag, or a pseudo-version
// for a commit); else, for a build from a checkout, "dev+" and the commit with "-dirty" when the
// tree had changes; else "dev".
func versionOf(linked string, bi *debug.BuildInfo, ok bool) string {
	if linked != "" && linked != "dev" {
		return linked
	}
	if !ok || bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "dev+" + rev
	if dirty {
		v += "-dirty"
	}
	return strings.TrimSpace(v)
}
