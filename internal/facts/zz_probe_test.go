package facts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/karpgate/karpgate/internal/plan"
)

func TestZZProbe(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/plans/*/plan.json")
	dirs = append(dirs, "../../testdata/plans/state-upstream-v1/state-valid.json")
	for _, f := range dirs {
		if os.Getenv("ONLY") != "" && !contains(f, os.Getenv("ONLY")) {
			continue
		}
		fh, _ := os.Open(f)
		p, err := plan.Parse(f, fh, 0)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		iam := Build(p, Options{})
		for _, r := range iam.Roles {
			if os.Getenv("FULL") != "" {
				b, _ := json.MarshalIndent(r, "", " ")
				t.Logf("%s", b)
				continue
			}
			var ps []string
			for _, e := range r.Policies {
				ps = append(ps, e.Address+"|"+e.Attribute+"|"+e.Kind+"|"+e.Status+"|"+e.Source+"|via="+e.Via)
			}
			t.Logf("%s: %s det=%v %v trust=%s/%s\n   pol=%q\n   ctx=%+v", f[21:], r.Address, r.Karpenter.Detected, r.Karpenter.By, r.Trust.Status, r.Trust.Source, ps, r.Context)
		}
	}
}
func contains(a, b string) bool {
	return len(b) == 0 || (len(a) >= len(b) && (a[:len(b)] == b || contains(a[1:], b)))
}
