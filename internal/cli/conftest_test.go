package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// conftestFinding is what TestConftestPoliciesRunUnchanged compares: a verdict of conftest's
// semantics (rule, message, excepted or not).
type conftestFinding struct {
	Rule       string
	Message    string
	Suppressed bool
}

// TestConftestPoliciesRunUnchanged scans two Terraform plans with a set of conftest policies
// written for `conftest test plan.json` (input is the plan; a helper library; an exception; a
// second namespace with structured violations), once in Rego v1 and once in v0 syntax, and requires
// the verdicts conftest gives: the same failures, warnings and exceptions, while karpgate's own
// rules still read input.iam.
func TestConftestPoliciesRunUnchanged(t *testing.T) {
	const inline = "../../testdata/plans/eks-v21.8-inline/plan.json"
	const v033 = "../../testdata/plans/eks-v20.24-v033/plan.json"
	wantInline := []conftestFinding{
		{"main/deny", "module.karpenter.aws_iam_policy.controller[0]: IAM resources may not be deleted by a pipeline ([\"delete\"])", false},
		{"main/deny", "module.karpenter.aws_iam_role_policy_attachment.controller[0]: IAM resources may not be deleted by a pipeline ([\"delete\"])", false},
		{"main/warn", "Karpenter-prod keeps messages only 300 seconds", false},
		{"terraform.iam/violation", "module.karpenter.aws_iam_role_policy.controller[0]: statement AllowPricingReadActions allows pricing:GetProducts on every resource", false},
		{"terraform.iam/violation", "module.karpenter.aws_iam_role_policy.controller[0]: statement AllowRegionalReadActions allows [\"ec2:DescribeSubnets\", \"ec2:DescribeSpotPriceHistory\", \"ec2:DescribeSecurityGroups\", \"ec2:DescribeLaunchTemplates\", \"ec2:DescribeInstances\", \"ec2:DescribeInstanceTypes\", \"ec2:DescribeInstanceTypeOfferings\", \"ec2:DescribeImages\", \"ec2:DescribeCapacityReservations\", \"ec2:DescribeAvailabilityZones\"] on every resource", false},
		{"terraform.iam/violation", "module.karpenter.aws_iam_role_policy.controller[0]: statement AllowUnscopedInstanceProfileListAction allows iam:ListInstanceProfiles on every resource", false},
	}
	// A first apply creates the module's roles without a Team tag: the exception names "untagged", so
	// conftest exempts every result of deny_untagged, and the warning alone does not fail the gate.
	const firstApply = "../../testdata/plans/first-apply/plan.json"
	wantFirstApply := []conftestFinding{
		{"KARP020", "", false},
		{"main/deny_untagged", "module.karpenter.aws_iam_role.controller[0] has no Team tag", true},
		{"main/deny_untagged", "module.karpenter.aws_iam_role.node[0] has no Team tag", true},
		{"main/warn", "Karpenter-prod keeps messages only 300 seconds", false},
	}
	wantV033 := []conftestFinding{
		{"KARP001", "", false}, // karpgate's own rule, on input.iam
		{"main/warn", "Karpenter-prod keeps messages only 300 seconds", false},
	}
	for _, version := range []string{"v1", "v0"} {
		for _, tc := range []struct {
			plan string
			want []conftestFinding
			code int
		}{
			{inline, wantInline, ExitPolicy},
			{v033, wantV033, ExitPolicy},
			{firstApply, wantFirstApply, ExitPass},
		} {
			t.Run(version+"/"+tc.plan, func(t *testing.T) {
				code, out, stderr := run(t, "", "scan", "--format", "json", "--karpenter-version", "1.0.0", "--rego-version", version,
					"--policy", "testdata/conftest/"+version, "--namespace", "main", "--namespace", "terraform.iam", tc.plan)
				if code != tc.code {
					t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
				}
				var res struct {
					Findings []struct {
						RuleID      string `json:"rule_id"`
						Message     string `json:"message"`
						Suppression *struct {
							Reason string `json:"reason"`
						} `json:"suppression"`
					} `json:"findings"`
				}
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatal(err)
				}
				var got []conftestFinding
				for _, f := range res.Findings {
					msg := f.Message
					if strings.HasPrefix(f.RuleID, "KARP") {
						msg = ""
					}
					got = append(got, conftestFinding{f.RuleID, msg, f.Suppression != nil})
				}
				got = slices.Compact(got)
				if !slices.Equal(got, tc.want) {
					t.Errorf("findings:\n got %+v\nwant %+v", got, tc.want)
				}
			})
		}
	}
}

func TestConftestRegoVersion(t *testing.T) {
	const plan = "../../testdata/plans/eks-v21.8-inline/plan.json"
	t.Run("v0 policies without the flag are a policy error naming it", func(t *testing.T) {
		code, _, stderr := run(t, "", "scan", "--policy", "testdata/conftest/v0", plan)
		if code != ExitBundle || !strings.Contains(stderr, "changes.rego:") || !strings.Contains(stderr, "--rego-version v0") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("v1 policies under --rego-version v0 do not parse", func(t *testing.T) {
		if code, _, stderr := run(t, "", "scan", "--rego-version", "v0", "--policy", "testdata/conftest/v1", plan); code != ExitBundle {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("an unknown version is a usage error", func(t *testing.T) {
		if code, _, stderr := run(t, "", "scan", "--rego-version", "v2", plan); code != ExitUsage || !strings.Contains(stderr, "--rego-version") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	for _, version := range []string{"v1", "v0"} {
		t.Run("karpgate test runs the "+version+" conftest tests", func(t *testing.T) {
			code, out, stderr := run(t, "", "test", "--rego-version", version, "testdata/conftest/"+version)
			if code != 0 || !strings.Contains(out, "4 tests, 4 passed") {
				t.Errorf("exit %d: %s %s", code, out, stderr)
			}
		})
	}
}
