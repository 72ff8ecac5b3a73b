package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// The versions the committed plans were made with. Another Terraform or provider version prints
// other bytes (terraform_version, new attributes), so the generator refuses it unless told
// otherwise (-any-version).
const (
	terraformVersion = "1.11.4"
	awsVersion       = "5.100.0"
	awsSource        = "registry.terraform.io/hashicorp/aws"
)

// Fake static credentials: the provider signs requests with them, and only the STS stub reads them.
const (
	fakeAccessKey = "AKIAIOSFODNN7EXAMPLE"
	fakeSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// errMissingTool marks an absent Terraform CLI or provider mirror.
var errMissingTool = errors.New("missing tool")

// findTerraform returns the terraform binary to use: the given path, $KARPGATE_TERRAFORM, or
// terraform on PATH.
func findTerraform(given string) (string, error) {
	if given == "" {
		given = os.Getenv("KARPGATE_TERRAFORM")
	}
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("%w: terraform %s: %w", errMissingTool, given, err)
		}
		return given, nil
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		return "", fmt.Errorf("%w: no terraform on PATH (set KARPGATE_TERRAFORM)", errMissingTool)
	}
	return p, nil
}

// terraformVersionOf runs `terraform version -json` and returns the version it reports.
func terraformVersionOf(tf string) (string, error) {
	out, err := exec.Command(tf, "version", "-json").Output()
	if err != nil {
		return "", fmt.Errorf("run %s version: %w", tf, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return "", fmt.Errorf("read %s version: %w", tf, err)
	}
	return v.Version, nil
}

// mirrorCandidates are the usual places of a provider filesystem mirror, the ones Terraform
// itself searches on Linux and the one this project's CI image uses.
func mirrorCandidates() []string {
	c := []string{"/opt/tf-plugins"}
	if home, err := os.UserHomeDir(); err == nil {
		c = append(c, filepath.Join(home, ".terraform.d", "plugins"))
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		c = append(c, filepath.Join(x, "terraform", "plugins"))
	}
	return append(c, "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins")
}

// findMirror returns a filesystem mirror directory holding hashicorp/aws awsVersion for this
// platform: the given one, $KARPGATE_TF_MIRROR, or the first usual place that has it.
func findMirror(given string) (string, error) {
	if given == "" {
		given = os.Getenv("KARPGATE_TF_MIRROR")
	}
	candidates := mirrorCandidates()
	if given != "" {
		candidates = []string{given}
	}
	for _, dir := range candidates {
		if mirrorHasAWS(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: no mirror of %s %s for %s_%s in %s (set KARPGATE_TF_MIRROR)",
		errMissingTool, awsSource, awsVersion, runtime.GOOS, runtime.GOARCH, strings.Join(candidates, ", "))
}

// mirrorHasAWS reports whether dir holds the pinned aws provider, unpacked or packed.
func mirrorHasAWS(dir string) bool {
	platform := platform()
	base := filepath.Join(dir, filepath.FromSlash(awsSource))
	unpacked, _ := filepath.Glob(filepath.Join(base, awsVersion, platform, "terraform-provider-aws_*"))
	packed, _ := filepath.Glob(filepath.Join(base, "terraform-provider-aws_"+awsVersion+"_"+platform+".zip"))
	return len(unpacked)+len(packed) > 0
}

// cliConfig is the Terraform CLI configuration of one run: providers only from the mirror (no
// network), and a plugin cache so every init links the provider instead of copying it.
func cliConfig(mirror, cache string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "disable_checkpoint = true\nplugin_cache_dir   = %q\n\n", cache)
	fmt.Fprintf(&b, "provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n}\n", mirror, awsSource)
	return b.Bytes()
}

// toolEnv is the whole environment of every terraform (and provider) process: nothing from the
// caller's AWS or Terraform settings leaks in.
func toolEnv(home, cliConfigFile, stsURL string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + os.TempDir(),
		"TF_CLI_CONFIG_FILE=" + cliConfigFile,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"AWS_ACCESS_KEY_ID=" + fakeAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + fakeSecretKey,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_STS=" + stsURL,
	}
}

// platform is Terraform's name of this OS and architecture (linux_amd64).
func platform() string { return runtime.GOOS + "_" + runtime.GOARCH }
