package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// indexTestdata indexes dir (under testdata) with repoRoot (under testdata) as the repository root.
func indexTestdata(t *testing.T, dir, repoRoot string) *Map {
	t.Helper()
	m, err := Index(filepath.Join("testdata", dir), filepath.Join("testdata", repoRoot))
	if err != nil {
		t.Fatalf("Index(%s): %v", dir, err)
	}
	return m
}

type locateCase struct {
	name    string
	address string
	sid     string
	index   int
	want    Location
	wantOK  bool
}

func runLocate(t *testing.T, m *Map, tests []locateCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := m.Locate(tt.address, tt.sid, tt.index)
			if ok != tt.wantOK {
				t.Errorf("Locate(%q, %q, %d) ok = %v, want %v (note %q)", tt.address, tt.sid, tt.index, ok, tt.wantOK, got.Note)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Locate(%q, %q, %d) (-want +got):\n%s", tt.address, tt.sid, tt.index, diff)
			}
		})
	}
}

func TestLocateRootModule(t *testing.T) {
	m := indexTestdata(t, "basic", "basic")
	if p := m.Problems(); len(p) != 0 {
		t.Fatalf("Problems() = %q, want none", p)
	}
	runLocate(t, m, []locateCase{
		{
			name: "a root resource is its whole block", address: "aws_iam_role.node", index: NoStatement,
			want: Location{File: "main.tf", StartLine: 44, EndLine: 46}, wantOK: true,
		},
		{
			name: "instance keys are ignored", address: "aws_iam_policy.controller[0]", index: NoStatement,
			want: Location{File: "main.tf", StartLine: 38, EndLine: 42}, wantOK: true,
		},
		{
			name: "a data source address finds the data block", address: "data.aws_iam_policy_document.assume", index: NoStatement,
			want: Location{File: "main.tf", StartLine: 8, EndLine: 17}, wantOK: true,
		},
		{
			name: "a Sid finds the statement block of a policy document", address: "data.aws_iam_policy_document.controller",
			sid: "AllowScopedEC2InstanceAccessActions", index: NoStatement,
			want: Location{File: "main.tf", StartLine: 20, EndLine: 24}, wantOK: true,
		},
		{
			name: "a Sid in a policy follows data.aws_iam_policy_document.x.json", address: "aws_iam_policy.controller[0]",
			sid: "AllowPassingInstanceRole", index: NoStatement,
			want: Location{File: "main.tf", StartLine: 31, EndLine: 35}, wantOK: true,
		},
		{
			name: "a trust policy Sid follows assume_role_policy", address: "aws_iam_role.controller",
			sid: "PodIdentity", index: NoStatement,
			want: Location{File: "main.tf", StartLine: 9, EndLine: 16}, wantOK: true,
		},
		{
			name: "an index without Sid counts statement blocks", address: "aws_iam_policy.controller[0]", index: 1,
			want: Location{File: "main.tf", StartLine: 26, EndLine: 29}, wantOK: true,
		},
		{
			name: "an unknown Sid falls back to the block with a note", address: "aws_iam_policy.controller[0]",
			sid: "NotThere", index: NoStatement,
			want: Location{File: "main.tf", StartLine: 38, EndLine: 42,
				Note: `statement Sid "NotThere" not found in the source of aws_iam_policy.controller; location is the whole block`},
			wantOK: true,
		},
		{
			name: "an unknown Sid with a known index uses the index and says so", address: "aws_iam_policy.controller[0]",
			sid: "Renamed", index: 2,
			want: Location{File: "main.tf", StartLine: 31, EndLine: 35,
				Note: `statement Sid "Renamed" not found in the source; located statement 2 by position`},
			wantOK: true,
		},
		{
			name: "an index past the last statement falls back to the block", address: "data.aws_iam_policy_document.controller", index: 3,
			want: Location{File: "main.tf", StartLine: 19, EndLine: 36,
				Note: "statement 3 not determinable from the source of data.aws_iam_policy_document.controller; location is the whole block"},
			wantOK: true,
		},
		{
			name: "a Sid finds the object inside jsonencode", address: "aws_iam_policy.jsonencoded",
			sid: "AllowRegionalReadActions", index: NoStatement,
			want: Location{File: "policies.tf", StartLine: 8, EndLine: 13}, wantOK: true,
		},
		{
			name: "a quoted Sid key inside jsonencode is found too", address: "aws_iam_policy.jsonencoded",
			sid: "AllowUnscopedTerminate", index: NoStatement,
			want: Location{File: "policies.tf", StartLine: 14, EndLine: 19}, wantOK: true,
		},
		{
			name: "an index finds the element of the jsonencode Statement list", address: "aws_iam_policy.jsonencoded", index: 1,
			want: Location{File: "policies.tf", StartLine: 14, EndLine: 19}, wantOK: true,
		},
		{
			name: "a Sid finds the statement object in heredoc JSON", address: "aws_iam_role_policy.heredoc",
			sid: "AllowAPIServerEndpointDiscovery", index: NoStatement,
			want: Location{File: "policies.tf", StartLine: 38, EndLine: 43}, wantOK: true,
		},
		{
			name: "an index finds the statement in heredoc JSON with interpolations", address: "aws_iam_role_policy.heredoc", index: 0,
			want: Location{File: "policies.tf", StartLine: 32, EndLine: 37}, wantOK: true,
		},
		{
			name: "a Sid follows a policy held in a local", address: "aws_iam_role_policy.via_local",
			sid: "AllowNodeInstanceProfile", index: NoStatement,
			want: Location{File: "policies.tf", StartLine: 58, EndLine: 63}, wantOK: true,
		},
		{
			name: "index 0 of a single Statement object is that object", address: "aws_iam_role_policy.via_local", index: 0,
			want: Location{File: "policies.tf", StartLine: 58, EndLine: 63}, wantOK: true,
		},
		{
			name: "a Sid finds the statement in a JSON file read with file()", address: "aws_iam_policy.from_file",
			sid: "AllowScopedDeletion", index: NoStatement,
			want: Location{File: "policies/controller.json", StartLine: 10, EndLine: 18}, wantOK: true,
		},
		{
			name: "an index finds the statement in a JSON file read with templatefile()", address: "aws_iam_policy.from_template",
			index: 0,
			want:  Location{File: "policies/controller.json", StartLine: 4, EndLine: 9}, wantOK: true,
		},
		{
			name: "a resource missing from the root module is not found", address: "aws_iam_role.ghost", index: NoStatement,
			want: Location{Note: "no aws_iam_role.ghost block in ."}, wantOK: false,
		},
		{
			name: "a module missing from the root module is not found", address: "module.ghost.aws_iam_role.x", index: NoStatement,
			want: Location{Note: `no module "ghost" block in .`}, wantOK: false,
		},
		{
			name: "a malformed address is not found and says why", address: "aws_iam_role.", index: NoStatement,
			want: Location{Note: `malformed resource address "aws_iam_role.": expected a name at offset 13`}, wantOK: false,
		},
	})
}

func TestLocateModules(t *testing.T) {
	m := indexTestdata(t, "modules/live", "modules")
	wantProblems := []string{
		`live/main.tf:28: module "missing": source ./not-there: directory live/not-there not found in the repository`,
	}
	if diff := cmp.Diff(wantProblems, m.Problems()); diff != "" {
		t.Errorf("Problems() (-want +got):\n%s", diff)
	}
	runLocate(t, m, []locateCase{
		{
			name: "a local module resource is located inside the module", address: "module.karpenter.aws_iam_role.controller[0]",
			index: NoStatement,
			want:  Location{File: "modules/karpenter/main.tf", StartLine: 5, EndLine: 18}, wantOK: true,
		},
		{
			name: "a module call address is the module block", address: "module.karpenter", index: NoStatement,
			want: Location{File: "live/main.tf", StartLine: 1, EndLine: 5}, wantOK: true,
		},
		{
			name: "a Sid follows source_policy_documents into a dynamic statement", address: "module.karpenter.aws_iam_policy.controller[0]",
			sid: "AllowScopedInstanceProfileCreationActions", index: NoStatement,
			want: Location{File: "modules/karpenter/policy.tf", StartLine: 10, EndLine: 17}, wantOK: true,
		},
		{
			name:    "an index before the first dynamic statement is known through one source document",
			address: "module.karpenter.aws_iam_policy.controller[0]", index: 0,
			want: Location{File: "modules/karpenter/policy.tf", StartLine: 4, EndLine: 8}, wantOK: true,
		},
		{
			name: "an index after a dynamic statement is not determinable", address: "module.karpenter.aws_iam_policy.controller[0]", index: 1,
			want: Location{File: "modules/karpenter/main.tf", StartLine: 20, EndLine: 24,
				Note: "statement 1 not determinable from the source of module.karpenter.aws_iam_policy.controller; location is the whole block"},
			wantOK: true,
		},
		{
			name: "a for_each module with nested local module is followed", address: `module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`,
			sid: "PodIdentity", index: NoStatement,
			want: Location{File: "modules/karpenter/main.tf", StartLine: 11, EndLine: 16}, wantOK: true,
		},
		{
			name: "a quoted key containing dots and brackets is skipped", address: `module.clusters["a.b[\"c\"]"].module.karpenter.aws_iam_role.controller[0]`,
			index: NoStatement,
			want:  Location{File: "modules/karpenter/main.tf", StartLine: 5, EndLine: 18}, wantOK: true,
		},
		{
			name: "a registry module nested in a local module is its module block", address: `module.clusters["prod"].module.eks_karpenter.aws_iam_role.controller[0]`,
			sid: "PodIdentity", index: NoStatement,
			want: Location{File: "modules/cluster/main.tf", StartLine: 11, EndLine: 14,
				Note: "inside registry module terraform-aws-modules/eks/aws//modules/karpenter"},
			wantOK: true,
		},
		{
			name: "a registry module installed under .terraform is its module block", address: "module.eks.aws_iam_role.cluster",
			index:  NoStatement,
			want:   Location{File: "live/main.tf", StartLine: 14, EndLine: 17, Note: "inside registry module terraform-aws-modules/eks/aws"},
			wantOK: true,
		},
		{
			name: "a registry module that modules.json places in the repository is followed", address: "module.iam.aws_iam_policy.policy",
			index: NoStatement,
			want:  Location{File: "vendor/iam-policy/main.tf", StartLine: 6, EndLine: 8}, wantOK: true,
		},
		{
			name: "a local module outside the repository is its module block", address: "module.outside.aws_iam_role.node",
			index:  NoStatement,
			want:   Location{File: "live/main.tf", StartLine: 24, EndLine: 26, Note: "inside module ../../basic, which is outside the repository"},
			wantOK: true,
		},
		{
			name: "a local module whose directory is missing is its module block", address: "module.missing.aws_iam_role.x",
			index: NoStatement,
			want: Location{File: "live/main.tf", StartLine: 28, EndLine: 30,
				Note: "inside module ./not-there, whose directory live/not-there is not in the repository"},
			wantOK: true,
		},
		{
			name: "a resource missing from a module is that module's block", address: "module.karpenter.aws_sqs_queue.this[0]",
			index:  NoStatement,
			want:   Location{File: "live/main.tf", StartLine: 1, EndLine: 5, Note: "no aws_sqs_queue.this block in modules/karpenter"},
			wantOK: true,
		},
		{
			name: "a module call missing from a module is the enclosing module's block", address: `module.clusters["prod"].module.ghost.aws_iam_role.x`,
			index:  NoStatement,
			want:   Location{File: "live/main.tf", StartLine: 7, EndLine: 12, Note: `no module "ghost" block in modules/cluster`},
			wantOK: true,
		},
	})
}

func TestLocateBrokenFiles(t *testing.T) {
	m := indexTestdata(t, "broken", "broken")
	problems := m.Problems()
	for _, file := range []string{"bad.tf:", "encoding.tf:"} {
		if !strings.Contains(strings.Join(problems, "\n"), file) {
			t.Errorf("Problems() = %q, want one for %s", problems, file)
		}
	}
	runLocate(t, m, []locateCase{
		{
			name: "a statement in a good file is found despite broken neighbours", address: "aws_iam_policy.fine", sid: "Fine",
			index: NoStatement,
			want:  Location{File: "good.tf", StartLine: 3, EndLine: 3}, wantOK: true,
		},
		{
			name: "a complete block before the parse error is found", address: "aws_iam_role.half", index: NoStatement,
			want: Location{File: "bad.tf", StartLine: 1, EndLine: 3}, wantOK: true,
		},
		{
			name: "a block cut short by the end of the file still has a line", address: "aws_iam_policy.unterminated",
			sid: "Any", index: 0,
			want: Location{File: "bad.tf", StartLine: 5, EndLine: 8,
				Note: `statement Sid "Any" not found in the source of aws_iam_policy.unterminated; location is the whole block`},
			wantOK: true,
		},
	})
}

// TestLocationSurvivesInsertedLines checks what SARIF fingerprints rely on: when lines are added
// above a block, a location by Sid moves by as many lines and keeps its file, so a fingerprint of
// rule, file and address (never the line) stays the same.
func TestLocationSurvivesInsertedLines(t *testing.T) {
	const hclLines = "# a comment\n\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n\n"
	tests := []struct {
		name    string
		file    string
		address string
		sid     string
		insert  string // text put at the top of file
	}{
		{name: "a policy document statement moves with its block", file: "main.tf", address: "aws_iam_policy.controller[0]", sid: "AllowPassingInstanceRole", insert: hclLines},
		{name: "a jsonencode statement moves with its block", file: "policies.tf", address: "aws_iam_policy.jsonencoded", sid: "AllowUnscopedTerminate", insert: hclLines},
		{name: "a heredoc statement moves with its block", file: "policies.tf", address: "aws_iam_role_policy.heredoc", sid: "AllowAPIServerEndpointDiscovery", insert: hclLines},
		{name: "a statement in a file() JSON moves with its file", file: "policies/controller.json", address: "aws_iam_policy.from_file", sid: "AllowScopedDeletion", insert: "\n\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := indexTestdata(t, "basic", "basic")
			want, ok := before.Locate(tt.address, tt.sid, NoStatement)
			if !ok || want.Note != "" {
				t.Fatalf("before: Locate = %+v, %v; want an exact location", want, ok)
			}

			repo := t.TempDir()
			if err := os.CopyFS(repo, os.DirFS(filepath.Join("testdata", "basic"))); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(repo, tt.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append([]byte(tt.insert), src...), 0o644); err != nil {
				t.Fatal(err)
			}
			after, err := Index(repo, repo)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := after.Locate(tt.address, tt.sid, NoStatement)
			if !ok {
				t.Fatalf("after: Locate = %+v, not found", got)
			}
			inserted := strings.Count(tt.insert, "\n")
			want.StartLine += inserted
			want.EndLine += inserted
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after inserting %d lines (-want +got):\n%s", inserted, diff)
			}
		})
	}
}
