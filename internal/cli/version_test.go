package cli

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	info := func(main string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/karpgate/karpgate", Version: main}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, tc := range []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		ok     bool
		want   string
	}{
		{"make build links git describe in", "v1.3.0-2-gabc1234", info("(devel)"), true, "v1.3.0-2-gabc1234"},
		{"the linked version wins over the module version", "v1.3.0", info("v1.2.0"), true, "v1.3.0"},
		{"go install module@v1.2.3", "dev", info("v1.2.3"), true, "v1.2.3"},
		{"go install module@commit", "dev", info("v0.0.0-20261206211000-0123456789ab"), true, "v0.0.0-20261206211000-0123456789ab"},
		{"go build in a checkout", "dev", info("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.modified", "false"), true, "dev+0123456789ab"},
		{"go build in a changed checkout", "dev", info("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"), true, "dev+0123456789ab-dirty"},
		{"no VCS information", "dev", info("(devel)"), true, "dev"},
		{"no build info", "dev", nil, false, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionOf(tc.linked, tc.bi, tc.ok); got != tc.want {
				t.Errorf("versionOf = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestVersionCommandPrintsTheResolvedVersion: the test binary has build info, so `karpgate
// version` never prints an empty version, and SARIF/JSON reports carry the same string.
func TestVersionCommandPrintsTheResolvedVersion(t *testing.T) {
	code, out, stderr := run(t, "", "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "karpgate " + version() + "\n"; out != want {
		t.Errorf("version printed %q, want %q", out, want)
	}
	if strings.TrimSpace(strings.TrimPrefix(out, "karpgate")) == "" {
		t.Error("empty version")
	}
}
