package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzLocate indexes one arbitrary .tf file (and an arbitrary modules.json) and locates an arbitrary
// address in it: nothing may panic, and every location found must be a real line range in a
// repository file. Seeded from testdata; run with `go test -fuzz FuzzLocate ./internal/source/`.
func FuzzLocate(f *testing.F) {
	addresses := []string{
		"aws_iam_policy.controller[0]", "aws_iam_role.controller", "aws_iam_policy.jsonencoded",
		"aws_iam_role_policy.heredoc", "aws_iam_role_policy.via_local", "data.aws_iam_policy_document.controller",
		`module.karpenter.aws_iam_policy.controller[0]`, `module.clusters["prod"].module.eks.aws_iam_role.r`,
	}
	manifest, _ := os.ReadFile(filepath.Join("testdata", "modules", "live", manifestPath))
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.tf"))
	more, _ := filepath.Glob(filepath.Join("testdata", "modules", "*", "*", "*.tf"))
	for i, name := range append(files, more...) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, manifest, addresses[i%len(addresses)], "AllowPassingInstanceRole", i%3-1)
	}
	f.Add([]byte("policy = <<EOF\n{\"Statement\": [{\"Sid\": \"x\"}]}\nEOF\n"), []byte(nil), "x.y", "x", 0)

	f.Fuzz(func(t *testing.T, src, manifest []byte, addr, sid string, index int) {
		fsys := fstest.MapFS{
			"live/main.tf":                        {Data: src},
			"live/" + manifestPath:                {Data: manifest},
			"modules/karpenter/main.tf":           {Data: src},
			"live/.terraform/modules/eks/main.tf": {Data: src},
		}
		m, err := indexFS(fsys, "live")
		if err != nil {
			t.Fatalf("indexFS: %v", err)
		}
		loc, ok := m.Locate(addr, sid, index)
		if !ok {
			if loc.File != "" {
				t.Errorf("Locate = %+v, false; want no file", loc)
			}
			return
		}
		if _, in := fsys[loc.File]; !in || strings.Contains(loc.File, ".terraform") {
			t.Errorf("Locate = %+v: file is not an indexed repository file", loc)
		}
		if loc.StartLine < 1 || loc.EndLine < loc.StartLine {
			t.Errorf("Locate = %+v: bad line range", loc)
		}
		if lines := strings.Count(string(src), "\n") + 1; loc.EndLine > lines {
			t.Errorf("Locate = %+v: past the last line %d", loc, lines)
		}
	})
}
