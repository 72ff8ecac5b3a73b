package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// copyTree copies a directory of regular files.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// moduleArgument returns the source text of an argument of a module block in a .tf file.
func moduleArgument(t *testing.T, path, module, arg string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s does not parse: %s", path, diags.Error())
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "module" && len(b.Labels) == 1 && b.Labels[0] == module {
			if a, ok := b.Body.Attributes[arg]; ok {
				r := a.Expr.Range()
				return string(src[r.Start.Byte:r.End.Byte])
			}
		}
	}
	return ""
}

// TestScanPatchTurnsOnTheModuleSwitch: the README sample's fix as a patch. Applied to the
// scenario's configuration it gives the configuration of eks-v20.24-v1, whose plan scans clean;
// where Terraform and the provider mirror are at hand, the patched configuration is planned again
// and that plan scans clean too.
func TestScanPatchTurnsOnTheModuleSwitch(t *testing.T) {
	patchBin, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("no patch command on PATH")
	}
	tfRoot := t.TempDir()
	copyTree(t, "../../testdata/tf/eks-v20.24-v033", filepath.Join(tfRoot, "eks-v20.24-v033"))
	copyTree(t, "../../testdata/tf/modules/karpenter-v20.24", filepath.Join(tfRoot, "modules", "karpenter-v20.24"))
	scenario := filepath.Join(tfRoot, "eks-v20.24-v033")
	diffPath := filepath.Join(t.TempDir(), "fix.diff")
	textPath := filepath.Join(t.TempDir(), "report.txt")
	for _, policy := range []string{"", "supervised"} {
		args := []string{"scan", "--source-dir", scenario, "--repo-root", tfRoot, "--format", "text=" + textPath, "--format", "patch=" + diffPath}
		if policy != "" {
			// A user policy makes the scan run in the supervised child: the edit must cross back.
			args = append(args, "--policy", "testdata/conftest/v1")
		}
		code, _, stderr := run(t, "", append(args, "../../testdata/plans/eks-v20.24-v033/plan.json")...)
		if code != ExitPolicy {
			t.Fatalf("%s scan: exit %d, want %d: %s", policy, code, ExitPolicy, stderr)
		}
		diff, err := os.ReadFile(diffPath)
		if err != nil {
			t.Fatal(err)
		}
		if text, _ := os.ReadFile(textPath); !strings.Contains(string(text), "enable_v1_permissions = true\n") || !strings.Contains(string(text), "The module block is at eks-v20.24-v033/main.tf:15.") {
			t.Errorf("%s scan: the fix does not show the switch and the module block's line:\n%s", policy, text)
		}
		for _, want := range []string{"--- a/eks-v20.24-v033/main.tf\n", "-  enable_v1_permissions = false\n", "+  enable_v1_permissions = true\n"} {
			if !strings.Contains(string(diff), want) {
				t.Fatalf("%s scan: the patch lacks %q:\n%s", policy, want, diff)
			}
		}
	}
	diff, _ := os.ReadFile(diffPath)
	cmd := exec.Command(patchBin, "-p1", "--batch", "--forward")
	cmd.Dir = tfRoot
	cmd.Stdin = bytes.NewReader(diff)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch -p1: %v\n%s", err, out)
	}
	main := filepath.Join(scenario, "main.tf")
	if got := moduleArgument(t, main, "karpenter", "enable_v1_permissions"); got != "true" {
		t.Fatalf("patched enable_v1_permissions = %q, want true", got)
	}
	for _, arg := range []string{"source", "cluster_name", "create_pod_identity_association", "enable_v1_permissions"} {
		if got, want := moduleArgument(t, main, "karpenter", arg), moduleArgument(t, "../../testdata/tf/eks-v20.24-v1/main.tf", "karpenter", arg); got != want {
			t.Errorf("patched %s = %s; the eks-v20.24-v1 configuration has %s", arg, got, want)
		}
	}
	if code, stdout, stderr := run(t, "", "scan", "--no-config", "../../testdata/plans/eks-v20.24-v1/plan.json"); code != ExitPass {
		t.Errorf("the plan of the patched configuration: exit %d\n%s%s", code, stdout, stderr)
	}

	t.Run("re-planned with Terraform", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: no Terraform run")
		}
		if _, err := exec.LookPath("terraform"); err != nil && os.Getenv("KARPGATE_TERRAFORM") == "" {
			t.Skip("no terraform on PATH")
		}
		out := t.TempDir()
		gen := exec.Command("go", "run", "./internal/tools/tfplans", "-tf", tfRoot, "-out", out, "-run", "^eks-v20.24-v033$", "-j", "1")
		gen.Dir = "../.."
		if b, err := gen.CombinedOutput(); err != nil {
			if strings.Contains(string(b), "missing tool") {
				t.Skipf("tfplans cannot run here: %s", b)
			}
			t.Fatalf("tfplans: %v\n%s", err, b)
		}
		plan := filepath.Join(out, "eks-v20.24-v033", "plan.json")
		if code, stdout, stderr := run(t, "", "scan", "--no-config", plan); code != ExitPass {
			t.Errorf("the re-planned patched configuration: exit %d\n%s%s", code, stdout, stderr)
		}
	})
}

// TestScanPatchEditsTheListEntry: the common fix written as an entry of the module's
// iam_policy_statements is fixed in that entry. The fix shows the entry in HCL object syntax (no
// condition blocks, which do not parse inside the list); the patch sets the entry's attributes
// (KARP014: the ownership conditions added to its conditions; KARP002: the region in its ARN, both
// in one edit when both fire), which gives the configuration of the "-scoped" twin, whose plan
// scans clean even with warnings failing the gate; where Terraform is at hand, the patched
// configuration is planned again and scans clean too.
func TestScanPatchEditsTheListEntry(t *testing.T) {
	patchBin, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("no patch command on PATH")
	}
	for _, tc := range []struct {
		scenario string
		rules    []string
		diff     []string
	}{
		{"common-fix", []string{"KARP014"}, []string{"+          variable = \"aws:ResourceTag/kubernetes.io/cluster/prod\"\n"}},
		{"common-fix-no-region", []string{"KARP002", "KARP014"}, []string{"+      resources = [\"arn:aws:ec2:eu-west-1:*:instance/*\"]\n", "+          variable = \"aws:ResourceTag/karpenter.sh/nodepool\"\n"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			tfRoot := t.TempDir()
			copyTree(t, "../../testdata/tf/"+tc.scenario, filepath.Join(tfRoot, tc.scenario))
			copyTree(t, "../../testdata/tf/modules/karpenter-v20.24", filepath.Join(tfRoot, "modules", "karpenter-v20.24"))
			scenario := filepath.Join(tfRoot, tc.scenario)
			diffPath := filepath.Join(t.TempDir(), "fix.diff")
			textPath := filepath.Join(t.TempDir(), "report.txt")
			gate := []string{"--no-config", "--fail-on", "warning", "--karpenter-version", "1.0.0"}
			args := append([]string{"scan", "--source-dir", scenario, "--repo-root", tfRoot, "--format", "text=" + textPath, "--format", "patch=" + diffPath}, gate...)
			code, _, stderr := run(t, "", append(args, "../../testdata/plans/"+tc.scenario+"/plan.json")...)
			if code != ExitPolicy {
				t.Fatalf("scan: exit %d, want %d: %s", code, ExitPolicy, stderr)
			}
			text, _ := os.ReadFile(textPath)
			for _, want := range append(tc.rules,
				"The statement is the entry \"AllowKarpenterV1InstanceTagging\" of the iam_policy_statements list of module.karpenter",
				"{ test = \"StringLike\", variable = \"aws:ResourceTag/karpenter.sh/nodepool\", values = [\"*\"] },",
				"The module block is at "+tc.scenario+"/main.tf:15.",
			) {
				if !strings.Contains(string(text), want) {
					t.Errorf("the report lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(string(text), "condition {") {
				t.Errorf("the fix of a list entry shows condition blocks:\n%s", text)
			}
			diff, err := os.ReadFile(diffPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range append([]string{"--- a/" + tc.scenario + "/main.tf\n"}, tc.diff...) {
				if !strings.Contains(string(diff), want) || strings.Contains(string(diff), "# karpgate") {
					t.Fatalf("the patch lacks %q or has notes:\n%s", want, diff)
				}
			}
			cmd := exec.Command(patchBin, "-p1", "--batch", "--forward")
			cmd.Dir = tfRoot
			cmd.Stdin = bytes.NewReader(diff)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("patch -p1: %v\n%s", err, out)
			}
			main := filepath.Join(scenario, "main.tf")
			twin := tc.scenario + "-scoped"
			for _, arg := range []string{"source", "cluster_name", "create_pod_identity_association", "iam_policy_statements"} {
				if got, want := moduleArgument(t, main, "karpenter", arg), moduleArgument(t, "../../testdata/tf/"+twin+"/main.tf", "karpenter", arg); got != want || got == "" {
					t.Errorf("patched %s =\n%s\nthe %s configuration has\n%s", arg, got, twin, want)
				}
			}
			if code, stdout, stderr := run(t, "", append(append([]string{"scan"}, gate...), "../../testdata/plans/"+twin+"/plan.json")...); code != ExitPass {
				t.Errorf("the plan of the patched configuration: exit %d\n%s%s", code, stdout, stderr)
			}

			t.Run("re-planned with Terraform", func(t *testing.T) {
				if testing.Short() {
					t.Skip("-short: no Terraform run")
				}
				if _, err := exec.LookPath("terraform"); err != nil && os.Getenv("KARPGATE_TERRAFORM") == "" {
					t.Skip("no terraform on PATH")
				}
				out := t.TempDir()
				gen := exec.Command("go", "run", "./internal/tools/tfplans", "-tf", tfRoot, "-out", out, "-run", "^"+regexp.QuoteMeta(tc.scenario)+"$", "-j", "1")
				gen.Dir = "../.."
				if b, err := gen.CombinedOutput(); err != nil {
					if strings.Contains(string(b), "missing tool") {
						t.Skipf("tfplans cannot run here: %s", b)
					}
					t.Fatalf("tfplans: %v\n%s", err, b)
				}
				plan := filepath.Join(out, tc.scenario, "plan.json")
				if code, stdout, stderr := run(t, "", append(append([]string{"scan"}, gate...), plan)...); code != ExitPass {
					t.Errorf("the re-planned patched configuration: exit %d\n%s%s", code, stdout, stderr)
				}
			})
		})
	}
}

// TestScanPatchAppendsAListEntry: calls of a later Karpenter that the module's v1 policy lacks
// (KARP004, with the switch already on) are fixed by a new iam_policy_statements entry; the patch
// adds the list to the module block, which gives the configuration of eks-v20.24-v1-later-entry,
// whose plan scans clean.
func TestScanPatchAppendsAListEntry(t *testing.T) {
	patchBin, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("no patch command on PATH")
	}
	tfRoot := t.TempDir()
	copyTree(t, "../../testdata/tf/eks-v20.24-v1-later", filepath.Join(tfRoot, "eks-v20.24-v1-later"))
	scenario := filepath.Join(tfRoot, "eks-v20.24-v1-later")
	diffPath := filepath.Join(t.TempDir(), "fix.diff")
	gate := []string{"--no-config", "--fail-on", "warning", "--karpenter-version", "1.12.0"}
	args := append([]string{"scan", "--source-dir", scenario, "--repo-root", tfRoot, "--format", "patch=" + diffPath}, gate...)
	if code, _, stderr := run(t, "", append(args, "../../testdata/plans/eks-v20.24-v1-later/plan.json")...); code != ExitPolicy {
		t.Fatalf("scan: exit %d, want %d: %s", code, ExitPolicy, stderr)
	}
	diff, err := os.ReadFile(diffPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(diff), "+  iam_policy_statements = [\n") || strings.Contains(string(diff), "# karpgate") {
		t.Fatalf("the patch does not add the list, or has notes:\n%s", diff)
	}
	cmd := exec.Command(patchBin, "-p1", "--batch", "--forward")
	cmd.Dir = tfRoot
	cmd.Stdin = bytes.NewReader(diff)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch -p1: %v\n%s", err, out)
	}
	main := filepath.Join(scenario, "main.tf")
	for _, arg := range []string{"source", "cluster_name", "enable_v1_permissions", "iam_policy_statements"} {
		if got, want := moduleArgument(t, main, "karpenter", arg), moduleArgument(t, "../../testdata/tf/eks-v20.24-v1-later-entry/main.tf", "karpenter", arg); got != want || got == "" {
			t.Errorf("patched %s =\n%s\nthe eks-v20.24-v1-later-entry configuration has\n%s", arg, got, want)
		}
	}
	if code, stdout, stderr := run(t, "", append(append([]string{"scan"}, gate...), "../../testdata/plans/eks-v20.24-v1-later-entry/plan.json")...); code != ExitPass {
		t.Errorf("the plan of the patched configuration: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestScanPatchWithoutSourcesSaysWhichFlagGivesThem: the patch package names no flag; the note it
// writes when there are no sources carries cli's words.
func TestScanPatchWithoutSourcesSaysWhichFlagGivesThem(t *testing.T) {
	diffPath := filepath.Join(t.TempDir(), "fix.diff")
	code, _, stderr := run(t, "", "scan", "--format", "patch="+diffPath, "../../testdata/plans/eks-v20.24-v033/plan.json")
	if code != ExitPolicy {
		t.Fatalf("exit %d, want %d: %s", code, ExitPolicy, stderr)
	}
	diff, err := os.ReadFile(diffPath)
	if err != nil {
		t.Fatal(err)
	}
	// The sample's fixes: the switch (KARP001) and an iam_policy_statements entry (KARP004).
	want := "# karpgate: module.karpenter: no Terraform sources to edit (run in the root module or pass --source-dir); " +
		"set enable_v1_permissions = true, add the entry shown in the fix to iam_policy_statements by hand\n"
	if string(diff) != want {
		t.Errorf("patch = %q, want %q", diff, want)
	}
}
