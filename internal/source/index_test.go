package source

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestIndexErrors(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		repoRoot string
		wantIs   error
	}{
		{name: "a source dir outside the repository root is refused", dir: "testdata/basic", repoRoot: "testdata/modules", wantIs: ErrOutsideRoot},
		{name: "a missing source dir is an error", dir: "testdata/does-not-exist", repoRoot: "testdata"},
		{name: "a missing repository root is an error", dir: "testdata/basic", repoRoot: "testdata/does-not-exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Index(tt.dir, tt.repoRoot)
			if err == nil {
				t.Fatalf("Index(%q, %q) = %v, want an error", tt.dir, tt.repoRoot, m)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Index(%q, %q) error = %v, want errors.Is %v", tt.dir, tt.repoRoot, err, tt.wantIs)
			}
		})
	}
}

func TestIndexDefaultsToGitTopLevel(t *testing.T) {
	repo := t.TempDir()
	dir := filepath.Join(repo, "clusters", "prod")
	for _, d := range []string{filepath.Join(repo, ".git"), dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("resource \"aws_iam_role\" \"r\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Index(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := m.Locate("aws_iam_role.r", "", NoStatement)
	want := Location{File: "clusters/prod/main.tf", StartLine: 1, EndLine: 1}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("Locate ok=%v (-want +got):\n%s", ok, diff)
	}
	realRepo, err := filepath.EvalSymlinks(repo)
	if err != nil {
		t.Fatal(err)
	}
	if m.RepoRoot() != realRepo {
		t.Errorf("RepoRoot() = %q, want %q", m.RepoRoot(), realRepo)
	}
	plan := filepath.Join(dir, "plan.json")
	if rel, ok := m.Rel(plan); !ok || rel != "clusters/prod/plan.json" {
		t.Errorf("Rel(%q) = %q, %v; want clusters/prod/plan.json, true", plan, rel, ok)
	}
	if rel, ok := m.Rel(filepath.Dir(repo)); ok {
		t.Errorf("Rel(parent of repo) = %q, true; want false", rel)
	}
}

func TestIndexNeverReadsOutsideTheRepository(t *testing.T) {
	base := t.TempDir()
	repo, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
	for _, d := range []string{repo, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, src string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "main.tf"), "resource \"aws_iam_role\" \"secret\" {}\n")
	write(filepath.Join(repo, "main.tf"), "module \"linked\" {\n  source = \"./linked\"\n}\n")
	if err := os.Symlink(outside, filepath.Join(repo, "linked")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	if err := os.Symlink(filepath.Join(outside, "main.tf"), filepath.Join(repo, "escape.tf")); err != nil {
		t.Fatal(err)
	}

	m, err := Index(repo, repo)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := m.Locate("module.linked.aws_iam_role.secret", "", NoStatement)
	want := Location{File: "main.tf", StartLine: 1, EndLine: 3,
		Note: "inside module ./linked, whose directory linked is not in the repository"}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("Locate through a symlink out of the repository, ok=%v (-want +got):\n%s", ok, diff)
	}
	if got, ok := m.Locate("aws_iam_role.secret", "", NoStatement); ok {
		t.Errorf("Locate found %+v through a symlinked file outside the repository", got)
	}
	if len(m.Problems()) != 2 {
		t.Errorf("Problems() = %q, want one for the module and one for escape.tf", m.Problems())
	}
}

func TestIndexFS(t *testing.T) {
	tests := []struct {
		name         string
		files        fstest.MapFS
		address      string
		sid          string
		want         Location
		wantProblems []string
	}{
		{
			name: "an override file does not replace the primary block",
			files: fstest.MapFS{
				"a_override.tf": {Data: []byte("resource \"aws_iam_role\" \"r\" {\n  name = \"x\"\n}\n")},
				"main.tf":       {Data: []byte("\n\nresource \"aws_iam_role\" \"r\" {}\n")},
			},
			address: "aws_iam_role.r",
			want:    Location{File: "main.tf", StartLine: 3, EndLine: 3},
		},
		{
			name: "a duplicate block is a problem and the first one wins",
			files: fstest.MapFS{
				"a.tf": {Data: []byte("resource \"aws_iam_role\" \"r\" {}\n")},
				"b.tf": {Data: []byte("\nresource \"aws_iam_role\" \"r\" {}\n")},
			},
			address:      "aws_iam_role.r",
			want:         Location{File: "a.tf", StartLine: 1, EndLine: 1},
			wantProblems: []string{"b.tf:2: duplicate block aws_iam_role.r (first defined at a.tf:1)"},
		},
		{
			name: "a module calling itself terminates and still locates",
			files: fstest.MapFS{
				"main.tf": {Data: []byte("module \"self\" {\n  source = \"./\"\n}\nresource \"aws_iam_role\" \"r\" {}\n")},
			},
			address: "module.self.module.self.aws_iam_role.r",
			want:    Location{File: "main.tf", StartLine: 4, EndLine: 4},
		},
		{
			name: "editor and hidden files are ignored",
			files: fstest.MapFS{
				".hidden.tf": {Data: []byte("resource \"aws_iam_role\" \"r\" {}\n")},
				"#main.tf#":  {Data: []byte("resource \"aws_iam_role\" \"r\" {}\n")},
				"main.tf":    {Data: []byte("\nresource \"aws_iam_role\" \"r\" {}\n")},
			},
			address: "aws_iam_role.r",
			want:    Location{File: "main.tf", StartLine: 2, EndLine: 2},
		},
		{
			name: "a module source that is not a literal is a problem",
			files: fstest.MapFS{
				"main.tf": {Data: []byte("module \"m\" {\n  source = \"./${var.x}\"\n}\n")},
			},
			address:      "module.m.aws_iam_role.r",
			want:         Location{File: "main.tf", StartLine: 1, EndLine: 3, Note: "module source is not a literal string"},
			wantProblems: []string{`main.tf:1: module "m": source is not a literal string`},
		},
		{
			name: "a broken modules.json is a problem and registry modules stay at their call",
			files: fstest.MapFS{
				"main.tf":                         {Data: []byte("module \"m\" {\n  source = \"org/m/aws\"\n}\n")},
				".terraform/modules/modules.json": {Data: []byte("{not json")},
			},
			address: "module.m.aws_iam_role.r",
			want:    Location{File: "main.tf", StartLine: 1, EndLine: 3, Note: "inside registry module org/m/aws"},
			wantProblems: []string{
				".terraform/modules/modules.json: decode module manifest: invalid character 'n' looking for beginning of object key string",
			},
		},
		{
			name: "a file() outside the repository is never read",
			files: fstest.MapFS{
				"live/main.tf": {Data: []byte("resource \"aws_iam_policy\" \"p\" {\n  policy = file(\"${path.module}/../../p.json\")\n}\n")},
				"p.json":       {Data: []byte(`{"Statement": [{"Sid": "S"}]}`)},
			},
			address: "aws_iam_policy.p", sid: "S",
			want: Location{File: "live/main.tf", StartLine: 1, EndLine: 3,
				Note: `statement Sid "S" not found in the source of aws_iam_policy.p; location is the whole block`},
		},
		{
			name: "a missing file() target is a problem",
			files: fstest.MapFS{
				"live/main.tf": {Data: []byte("resource \"aws_iam_policy\" \"p\" {\n  policy = file(\"${path.module}/p.json\")\n}\n")},
			},
			address: "aws_iam_policy.p", sid: "S",
			want: Location{File: "live/main.tf", StartLine: 1, EndLine: 3,
				Note: `statement Sid "S" not found in the source of aws_iam_policy.p; location is the whole block`},
			wantProblems: []string{"live/main.tf:2: file(live/p.json): open live/p.json: file does not exist"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := "."
			if _, ok := tt.files["live/main.tf"]; ok {
				dir = "live"
			}
			m, err := indexFS(tt.files, dir)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := m.Locate(tt.address, tt.sid, NoStatement)
			if diff := cmp.Diff(tt.want, got); !ok || diff != "" {
				t.Errorf("Locate(%q) ok=%v (-want +got):\n%s", tt.address, ok, diff)
			}
			if diff := cmp.Diff(tt.wantProblems, m.Problems()); diff != "" {
				t.Errorf("Problems() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIndexIsDeterministic(t *testing.T) {
	first := indexTestdata(t, "broken", "broken")
	for range 5 {
		again := indexTestdata(t, "broken", "broken")
		if diff := cmp.Diff(first.Problems(), again.Problems()); diff != "" {
			t.Fatalf("Problems() changed between runs (-first +again):\n%s", diff)
		}
	}
}
