package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".karpgate.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScanWithConfig drives .karpgate.yaml end to end: exceptions with a future expiry suppress
// (the finding stays in the report with its reason, the gate passes), with a past expiry they do
// not (and karpgate says so); rule overrides; extra requests; strict parsing.
func TestScanWithConfig(t *testing.T) {
	const v033 = "../../testdata/plans/eks-v20.24-v033/plan.json"
	const upstream = "../../testdata/plans/upstream-v1/plan.json"
	tests := []struct {
		name     string
		config   string
		plan     string
		wantCode int
		check    func(t *testing.T, res jsonResult, raw, stderr string)
	}{
		{
			name: "an unexpired exception suppresses the finding and the gate passes",
			config: `exceptions:
  - rule: KARP001
    address: "module.karpenter.*"
    reason: "upgrade scheduled, OPS-1234"
    expires: 2999-01-31
`,
			plan: v033, wantCode: 0,
			check: func(t *testing.T, res jsonResult, raw, _ string) {
				if len(res.Findings) != 1 || res.Findings[0].Suppression == nil || !strings.Contains(raw, "OPS-1234") {
					t.Errorf("want one suppressed KARP001 with its reason:\n%s", raw)
				}
			},
		},
		{
			name: "an expired exception no longer applies and karpgate says so",
			config: `exceptions:
  - rule: KARP001
    address: "module.karpenter.*"
    reason: "upgrade scheduled, OPS-1234"
    expires: 2020-01-31
`,
			plan: v033, wantCode: 1,
			check: func(t *testing.T, res jsonResult, raw, _ string) {
				if len(res.Findings) != 1 || res.Findings[0].Suppression != nil || !strings.Contains(raw, "expired") {
					t.Errorf("want an unsuppressed KARP001 and a notice:\n%s", raw)
				}
			},
		},
		{
			name:   "a rule's severity can be lowered below fail_on",
			config: "rules:\n  KARP001: {severity: warning}\n",
			plan:   v033, wantCode: 0,
			check: func(t *testing.T, res jsonResult, raw, _ string) {
				if len(res.Findings) != 1 || res.Findings[0].Severity != "warning" {
					t.Errorf("want KARP001 as a warning:\n%s", raw)
				}
			},
		},
		{
			name:   "a disabled rule reports nothing",
			config: "rules:\n  KARP001: {enabled: false}\n",
			plan:   v033, wantCode: 0,
			check: func(t *testing.T, res jsonResult, raw, _ string) {
				if len(res.Findings) != 0 {
					t.Errorf("want no findings:\n%s", raw)
				}
			},
		},
		{
			name:   "fail_on warning fails on a warning",
			config: "fail_on: warning\n",
			plan:   "../../testdata/plans/common-fix/plan.json", wantCode: 1,
		},
		{
			name: "a must_allow request the policy refuses is a KARP005 error",
			config: `requests:
  must_allow:
    - action: "ec2:CreateTags"
      resource: "arn:aws:ec2:us-west-2:111122223333:instance/i-0123456789abcdef0"
      context: {"aws:RequestedRegion": ["us-west-2"]}
`,
			plan: upstream, wantCode: 1,
			check: func(t *testing.T, res jsonResult, raw, _ string) {
				if len(res.Findings) != 1 || res.Findings[0].RuleID != "KARP005" {
					t.Errorf("want one KARP005:\n%s", raw)
				}
			},
		},
		{
			name: "a must_deny request the policy refuses passes",
			config: `requests:
  must_deny:
    - action: "ec2:TerminateInstances"
      resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-0fedcba9876543210"
      context: {"aws:ResourceTag/Name": "prod-db"}
`,
			plan: upstream, wantCode: 0,
		},
		{
			name: "an open must_allow verdict is KARP020 and passes by default",
			config: `requests:
  must_allow:
    - action: "ec2:DescribeInstances"
      resource: "*"
      context: {"aws:RequestedRegion": ["us-west-2"], "aws:SourceIp": ["203.0.113.7"]}
    - action: "ec2:CreateTags"
      resource: "arn:aws:ec2:us-west-2:111122223333:instance/i-0123456789abcdef0"
      context: {"aws:RequestedRegion": ["us-west-2"], "ec2:InstanceType": ["m5.large"]}
`,
			plan: "../../testdata/plans/external-policy/plan.json", wantCode: 0,
			check: func(t *testing.T, res jsonResult, raw, _ string) {
				if !hasOpenKARP005(res) {
					t.Errorf("want a KARP020 naming KARP005:\n%s", raw)
				}
			},
		},
		{
			name: "unknown: fail fails on an open must_allow verdict",
			config: `unknown: fail
requests:
  must_allow:
    - action: "ec2:CreateTags"
      resource: "arn:aws:ec2:us-west-2:111122223333:instance/i-0123456789abcdef0"
      context: {"aws:RequestedRegion": ["us-west-2"]}
`,
			plan: "../../testdata/plans/external-policy/plan.json", wantCode: 1,
			check: func(t *testing.T, res jsonResult, raw, _ string) {
				if !hasOpenKARP005(res) {
					t.Errorf("want a KARP020 naming KARP005:\n%s", raw)
				}
			},
		},
		{
			name:   "an unknown key is a configuration error naming file and line",
			config: "fail_on: error\nkarpenter:\n  regoin: us-west-2\n",
			plan:   upstream, wantCode: ExitUsage,
			check: func(t *testing.T, _ jsonResult, _, stderr string) {
				if !strings.Contains(stderr, ".karpgate.yaml:3") || !strings.Contains(stderr, "regoin") {
					t.Errorf("stderr %q", stderr)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, tc.config)
			// The plans hold no helm_release: the version the scenarios were written for.
			code, out, stderr := run(t, "", "scan", "--config", cfg, "--karpenter-version", "1.0.0", "--format", "json", tc.plan)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.wantCode, stderr)
			}
			var res jsonResult
			if code <= 1 {
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatal(err)
				}
			}
			if tc.check != nil {
				tc.check(t, res, out, stderr)
			}
		})
	}
}

// hasOpenKARP005 reports whether a KARP020 finding names an open KARP005 verdict.
func hasOpenKARP005(res jsonResult) bool {
	for _, f := range res.Findings {
		if f.RuleID == "KARP020" && strings.Contains(f.Message, "KARP005") {
			return true
		}
	}
	return false
}

// TestScanWithSuppliedDocuments: a policy document config supplies is read relative to the
// configuration file and decides the verdicts it settles; an unreadable one is exit 2 naming the
// file and line; `karpgate facts` shows where each layer came from.
func TestScanWithSuppliedDocuments(t *testing.T) {
	const plan = "../../testdata/plans/boundary-external/plan.json"
	dir := t.TempDir()
	cfg := filepath.Join(dir, ".karpgate.yaml")
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".karpgate.yaml", "policies:\n  - {arn: \"arn:aws:iam::111122223333:policy/OrgDeveloperBoundary\", file: iam/boundary.json}\n")

	code, _, stderr := run(t, "", "scan", "--config", cfg, plan)
	if code != ExitUsage || !strings.Contains(stderr, cfg+":2: policies[0].file: cannot read \"iam/boundary.json\"") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("a missing document: exit %d, stderr %q; want exit %d and one line naming the file and line", code, stderr, ExitUsage)
	}

	write("iam/boundary.json", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}`)
	code, out, stderr := run(t, "", "scan", "--format", "json", "--config", cfg, plan)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the supplied boundary refuses tagging); stderr %s", code, stderr)
	}
	if !strings.Contains(out, "because no permissions boundary allows the ec2:CreateTags action") {
		t.Errorf("the supplied boundary should decide KARP001:\n%s", out)
	}

	code, out, stderr = run(t, "", "facts", "--config", cfg, plan)
	if code != 0 {
		t.Fatalf("facts: exit %d, stderr %s", code, stderr)
	}
	var iam struct {
		Roles []struct {
			Layers *struct {
				Boundary struct {
					Source string `json:"source"`
					Status string `json:"status"`
				} `json:"boundary"`
			} `json:"layers"`
		} `json:"roles"`
	}
	if err := json.Unmarshal([]byte(out), &iam); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range iam.Roles {
		if r.Layers != nil && r.Layers.Boundary.Source == "config:iam/boundary.json" && r.Layers.Boundary.Status == "known" {
			found = true
		}
	}
	if !found {
		t.Errorf("facts does not show the boundary from config:iam/boundary.json:\n%s", out)
	}
}
