package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/karpgate/karpgate/internal/findings"
)

func ptr[T any](v T) *T { return &v }

// equateEmpty treats nil and empty slices and maps alike: a null section and an absent one are
// the same configuration.
var equateEmpty = cmpopts.EquateEmpty()

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withFile is Default with File set, and whatever change makes it the expected configuration.
func withFile(change func(c *Config)) *Config {
	c := Default()
	c.File = ".karpgate.yaml"
	if change != nil {
		change(c)
	}
	return c
}

func TestDefault(t *testing.T) {
	want := &Config{FailOn: findings.Error, Rules: map[string]findings.RuleOverride{}}
	if diff := cmp.Diff(want, Default()); diff != "" {
		t.Errorf("Default() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(findings.Gate{FailOn: findings.Error}, Default().Gate()); diff != "" {
		t.Errorf("Default().Gate() (-want +got):\n%s", diff)
	}
	if got := Default().Rules; got == nil {
		t.Error("Default().Rules is nil; callers may add to it")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		file string
		want *Config
	}{
		{
			name: "an empty file gives the defaults",
			file: "testdata/valid/empty.yaml",
			want: withFile(nil),
		},
		{
			name: "a file of comments gives the defaults",
			file: "testdata/valid/comments.yaml",
			want: withFile(nil),
		},
		{
			name: "sections left empty are the same as absent ones",
			file: "testdata/valid/null-sections.yaml",
			want: withFile(nil),
		},
		{
			name: "fail_on never and unknown warn set the gate",
			file: "testdata/valid/never.yaml",
			want: withFile(func(c *Config) { c.FailOn = findings.None }),
		},
		{
			name: "every field is read, and a string context value becomes a list",
			file: "testdata/valid/full.yaml",
			want: withFile(func(c *Config) {
				c.FailOn = findings.Warning
				c.UnknownFail = true
				c.Rules = map[string]findings.RuleOverride{
					"KARP004": {Enabled: ptr(false)},
					"KARP014": {Severity: ptr(findings.Error)},
					"KARP010": {Enabled: ptr(true), Severity: ptr(findings.Note)},
				}
				c.Karpenter = Karpenter{
					Roles: []string{"module.karpenter.aws_iam_role.controller[0]", "name:KarpenterController-*"},
					Values: Values{
						Region:         "us-west-2",
						Account:        "011122223333",
						Partition:      "aws",
						Cluster:        "prod",
						Version:        "1.12.0",
						UpgradeFrom:    "v0.37.7",
						ServiceAccount: "kube-system/karpenter",
						Settings: map[string]string{
							"interruptionQueue": "Karpenter-prod", "enableZonalShift": "false", "featureGates.reservedCapacity": "true",
						},
						Features: map[string]bool{"spot": true, "nodeclass_role": false},
						Network:  Network{SourceIP: "203.0.113.7", VPCSourceIP: "10.0.12.34", SourceVPC: "vpc-0abc1234", SourceVPCE: "vpce-0abc1234"},
					},
				}
				c.Requests = Requests{
					MustAllow: []Request{{
						Action:   "ec2:CreateTags",
						Resource: "arn:aws:ec2:us-west-2:111122223333:instance/i-0123456789abcdef0",
						Context: map[string][]string{
							"aws:RequestedRegion": {"us-west-2"},
							"ec2:CreateAction":    {"RunInstances"},
						},
					}},
					MustDeny: []Request{{Action: "iam:PassRole", Resource: "*", Context: map[string][]string{}}},
				}
				c.Exceptions = []findings.Exception{
					{Rule: "KARP001", Address: "module.karpenter.*", Reason: "upgrade scheduled, OPS-1234", Expires: "2027-01-31"},
					{Rule: "KARP010", Address: "aws_iam_policy.legacy", Reason: "legacy policy, removed in OPS-99", Expires: "2026-12-31"},
				}
			}),
		},
		{
			name: "anchors and aliases are resolved",
			file: "testdata/valid/aliases.yaml",
			want: withFile(func(c *Config) {
				ctx := map[string][]string{"aws:RequestedRegion": {"us-west-2"}}
				c.Karpenter.Roles = []string{"name:Karpenter*"}
				c.Requests = Requests{
					MustAllow: []Request{
						{Action: "ec2:CreateTags", Resource: "*", Context: ctx},
						{Action: "ec2:RunInstances", Resource: "*", Context: ctx},
					},
					MustDeny: []Request{{Action: "ec2:CreateTags", Resource: "*", Context: ctx}},
				}
			}),
		},
		{
			name: "a region and the partition it belongs to are accepted together",
			file: "testdata/valid/partitions.yaml",
			want: withFile(func(c *Config) {
				c.Karpenter = Karpenter{Values: Values{Region: "cn-north-1", Partition: "aws-cn", Account: "111122223333"}}
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".karpgate.yaml", readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("Parse(%s) (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseInline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Config
	}{
		{
			name: "an unquoted and a quoted expiry date are the same",
			in:   "exceptions:\n- {rule: A, address: x, reason: r, expires: 2027-01-31}\n- {rule: B, address: y, reason: r, expires: '2027-01-31'}\n",
			want: withFile(func(c *Config) {
				c.Exceptions = []findings.Exception{
					{Rule: "A", Address: "x", Reason: "r", Expires: "2027-01-31"},
					{Rule: "B", Address: "y", Reason: "r", Expires: "2027-01-31"},
				}
			}),
		},
		{
			name: "a rule override with no fields changes nothing but is kept",
			in:   "rules:\n  KARP004: {}\n  KARP005:\n",
			want: withFile(func(c *Config) {
				c.Rules = map[string]findings.RuleOverride{"KARP004": {}, "KARP005": {}}
			}),
		},
		{
			name: "a context value list may be empty and keys keep their case",
			in:   "requests:\n  must_deny:\n  - {action: 'ec2:RunInstances', resource: '*', context: {'aws:TagKeys': []}}\n",
			want: withFile(func(c *Config) {
				c.Requests.MustDeny = []Request{{Action: "ec2:RunInstances", Resource: "*", Context: map[string][]string{"aws:TagKeys": {}}}}
			}),
		},
		{
			name: "an explicit !!str tag makes a number a string",
			in:   "karpenter:\n  account: !!str 111122223333\n",
			want: withFile(func(c *Config) { c.Karpenter.Account = "111122223333" }),
		},
		{
			name: "a trailing document separator is not a second document",
			in:   "fail_on: note\n---\n",
			want: withFile(func(c *Config) { c.FailOn = findings.Note }),
		},
		{
			name: "a region of a partition karpgate does not list is not cross-checked",
			in:   "karpenter: {region: eusc-de-east-1, partition: aws}\n",
			want: withFile(func(c *Config) { c.Karpenter.Region, c.Karpenter.Partition = "eusc-de-east-1", "aws" }),
		},
		{
			name: "roles items may be selectors or mappings with their own values (RULES.md 5.2)",
			in: "karpenter:\n  region: eu-west-1\n  roles:\n  - module.karpenter.aws_iam_role.controller[0]\n" +
				"  - {role: \"arn:aws:iam::111122223333:role/KarpenterController-prod\", complete: true, region: us-west-2, cluster: prod, version: \"1.12.0\", upgrade_from: none}\n",
			want: withFile(func(c *Config) {
				c.Karpenter.Region = "eu-west-1"
				c.Karpenter.Roles = []string{"module.karpenter.aws_iam_role.controller[0]", "arn:aws:iam::111122223333:role/KarpenterController-prod"}
				c.Karpenter.RoleEntries = []RoleEntry{{Role: "arn:aws:iam::111122223333:role/KarpenterController-prod", Complete: true,
					Values: Values{Region: "us-west-2", Cluster: "prod", Version: "1.12.0", UpgradeFrom: "none"}}}
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".karpgate.yaml", []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		file string // under testdata/invalid
		line int    // of the first error
		want string // the whole error text
	}{
		{
			name: "an unknown severity names the file, line, key path and the values wanted",
			file: "severity-unknown.yaml", line: 7,
			want: `.karpgate.yaml:7: rules.KARP014.severity: unknown value "high" (want error, warning or note)`,
		},
		{
			name: "an unknown top-level key is an error",
			file: "top-unknown-key.yaml", line: 2,
			want: `.karpgate.yaml:2: unknown key "fail-on" (want fail_on, unknown, rules, karpenter, requests, policies, organization or exceptions)`,
		},
		{
			name: "an unknown key in a rule override is an error",
			file: "rule-unknown-key.yaml", line: 3,
			want: `.karpgate.yaml:3: rules.KARP014: unknown key "severty" (want enabled or severity)`,
		},
		{
			name: "an unknown fail_on value is an error",
			file: "fail-on-value.yaml", line: 1,
			want: `.karpgate.yaml:1: fail_on: unknown value "critical" (want error, warning, note or never)`,
		},
		{
			name: "an unknown value for unknown is an error",
			file: "unknown-value.yaml", line: 1,
			want: `.karpgate.yaml:1: unknown: unknown value "ignore" (want warn or fail)`,
		},
		{
			name: "rules given as a list is a wrong type",
			file: "rules-list.yaml", line: 2,
			want: `.karpgate.yaml:2: rules: got a list (want a mapping of rule id to {enabled, severity})`,
		},
		{
			name: "enabled given as a string is a wrong type",
			file: "enabled-string.yaml", line: 3,
			want: `.karpgate.yaml:3: rules.KARP004.enabled: got the string "no" (want true or false)`,
		},
		{
			name: "enabled given as yes is a string, not a boolean",
			file: "enabled-yes.yaml", line: 2,
			want: `.karpgate.yaml:2: rules.KARP004.enabled: got the string "yes" (want true or false)`,
		},
		{
			name: "an empty rule id is an error",
			file: "rule-id-empty.yaml", line: 2,
			want: `.karpgate.yaml:2: rules: empty key (want a rule id such as KARP001)`,
		},
		{
			name: "a blank rule id is an error",
			file: "rule-id-blank.yaml", line: 2,
			want: `.karpgate.yaml:2: rules: blank rule id (want a rule id such as KARP001)`,
		},
		{
			name: "an account written as a YAML number is refused with a hint to quote it",
			file: "account-number.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter.account: got the number 111122223333, and YAML numbers lose leading zeros (want a 12-digit account id as a string, such as "111122223333": write account: "111122223333")`,
		},
		{
			name: "an account that is not 12 digits is an error",
			file: "account-short.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.account: "12345" is not 12 digits (want a 12-digit account id as a string, such as "111122223333")`,
		},
		{
			name: "an unknown partition is an error",
			file: "partition-value.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.partition: unknown value "aws-eu" (want aws, aws-cn, aws-us-gov, aws-iso or aws-iso-b)`,
		},
		{
			name: "a partition that does not match the region is an error",
			file: "partition-region-mismatch.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter.partition: "aws" does not match region "us-gov-west-1" (want aws-us-gov)`,
		},
		{
			name: "a malformed region is an error",
			file: "region-typo.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.region: "us-west2" is not a region name (want a region such as us-west-2)`,
		},
		{
			name: "roles given as one string is a wrong type",
			file: "roles-string.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.roles: got the string "name:Karpenter*" (want a list of address globs, name: globs or role ARNs, each a string or a {role, complete, region, account, partition, cluster, version, upgrade_from, service_account, settings, features, network} mapping)`,
		},
		{
			name: "an unknown key in a roles entry is an error",
			file: "roles-entry-unknown-key.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter.roles[0]: unknown key "colour" (want role, complete, region, account, partition, cluster, version, upgrade_from, service_account, settings, features or network)`,
		},
		{
			name: "a roles entry without its role selector is an error",
			file: "roles-entry-no-role.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter.roles[0]: no role: selector (want a selector string or a mapping of role, complete, region, account, partition, cluster, version, upgrade_from, service_account, settings, features and network)`,
		},
		{
			name: "a roles entry's values are checked as the global ones",
			file: "roles-entry-account-number.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter.roles[0].account: got the number 111122223333, and YAML numbers lose leading zeros (want a 12-digit account id as a string, such as "111122223333": write account: "111122223333")`,
		},
		{
			name: "a name pattern without a glob is an error",
			file: "roles-empty-name.yaml", line: 4,
			want: `.karpgate.yaml:4: karpenter.roles[1]: empty name glob (want an address glob such as "module.karpenter.*" or a name glob such as "name:KarpenterController-*")`,
		},
		{
			name: "a key with no value is a missing value",
			file: "cluster-missing.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.cluster: missing value (want the EKS cluster name)`,
		},
		{
			name: "a version that is not MAJOR.MINOR[.PATCH] is an error",
			file: "version-bad.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.version: "1.x" is not a Karpenter version (want a Karpenter version such as "1.12.0" or "v0.37.7")`,
		},
		{
			name: "an unknown chart setting is an error",
			file: "settings-unknown.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter.settings.featureGates: unknown setting "featureGates.spotToSpotConsolidation" (want a mapping of the chart's settings karpgate reads: clusterName, clusterEndpoint, interruptionQueue, eksControlPlane, isolatedVPC, disableDryRun, enableZonalShift, featureGates.reservedCapacity)`,
		},
		{
			name: "a bool setting given as a string is an error",
			file: "settings-string-bool.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.settings.enableZonalShift: got the string "yes" (want true or false)`,
		},
		{
			name: "an unknown feature is an error",
			file: "features-unknown.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.features: unknown feature "gpu" (want one of spot, nodeclass_role, alias_ami, al2023, snapshots, ebs_kms, capacity_reservations, placement_groups, cluster_endpoint, eks_control_plane, interruption_queue, isolated_vpc, disable_dry_run, zonal_shift, reserved_capacity_gate)`,
		},
		{
			name: "a service account without its namespace is an error",
			file: "service-account-bare.yaml", line: 2,
			want: `.karpgate.yaml:2: karpenter.service_account: "karpenter" is not namespace/name (want namespace/name of Karpenter's service account, such as kube-system/karpenter)`,
		},
		{
			name: "a network key that is not an IP address is an error",
			file: "network-bad-ip.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter.roles[0].network.source_ip: "203.0.113.0/24" is not an IP address (want an IP address such as 203.0.113.7)`,
		},
		{
			name: "an unknown karpenter key is an error",
			file: "karpenter-unknown-key.yaml", line: 3,
			want: `.karpgate.yaml:3: karpenter: unknown key "namespace" (want roles, region, account, partition, cluster, version, upgrade_from, service_account, settings, features or network)`,
		},
		{
			name: "an action without a colon is an error",
			file: "action-no-colon.yaml", line: 3,
			want: `.karpgate.yaml:3: requests.must_allow[0].action: "ec2CreateTags" is not service:Action (want an IAM action such as ec2:CreateTags)`,
		},
		{
			name: "a request without a resource is an error",
			file: "request-missing-resource.yaml", line: 3,
			want: `.karpgate.yaml:3: requests.must_deny[0]: missing key "resource" (want an ARN or "*")`,
		},
		{
			name: "an unknown request key is an error",
			file: "request-unknown-key.yaml", line: 3,
			want: `.karpgate.yaml:3: requests.must_allow[0]: unknown key "principal" (want action, resource or context)`,
		},
		{
			name: "an unknown request list is an error",
			file: "requests-unknown-list.yaml", line: 3,
			want: `.karpgate.yaml:3: requests: unknown key "should_allow" (want must_allow or must_deny)`,
		},
		{
			name: "a context value that is a number must be quoted",
			file: "context-number.yaml", line: 6,
			want: `.karpgate.yaml:6: requests.must_allow[0].context.aws:MultiFactorAuthAge: got the number 3600 (want a string or a list of strings; quote it to make it a string)`,
		},
		{
			name: "a context value that is a mapping is a wrong type, and a key with dots is quoted in the path",
			file: "context-mapping.yaml", line: 6,
			want: `.karpgate.yaml:6: requests.must_allow[0].context["aws:RequestTag/karpenter.sh/nodepool"]: got a mapping (want a string or a list of strings)`,
		},
		{
			name: "context keys differing only in case are duplicates",
			file: "context-duplicate-case.yaml", line: 7,
			want: `.karpgate.yaml:7: requests.must_allow[0].context: duplicate key "aws:requestedregion" (same as "aws:RequestedRegion" on line 6; condition keys ignore case)`,
		},
		{
			name: "an exception without a reason is an error",
			file: "exception-missing-reason.yaml", line: 2,
			want: `.karpgate.yaml:2: exceptions[0]: missing key "reason" (want why the finding is accepted, e.g. a ticket)`,
		},
		{
			name: "an exception without an expiry is an error",
			file: "exception-missing-expires.yaml", line: 2,
			want: `.karpgate.yaml:2: exceptions[0]: missing key "expires" (want a date as YYYY-MM-DD, such as 2027-01-31)`,
		},
		{
			name: "an expiry that is not a real date is an error",
			file: "exception-bad-date.yaml", line: 5,
			want: `.karpgate.yaml:5: exceptions[0].expires: "2027-02-30" is not a date (want a date as YYYY-MM-DD, such as 2027-01-31)`,
		},
		{
			name: "an expiry with a time of day is an error",
			file: "exception-timestamp.yaml", line: 5,
			want: `.karpgate.yaml:5: exceptions[0].expires: "2027-01-31T00:00:00Z" is not a date (want a date as YYYY-MM-DD, such as 2027-01-31)`,
		},
		{
			name: "an exception with an empty rule id is an error",
			file: "exception-empty-rule.yaml", line: 2,
			want: `.karpgate.yaml:2: exceptions[0].rule: empty string (want a rule id such as KARP001)`,
		},
		{
			name: "an exception with a blank reason is an error",
			file: "exception-blank-reason.yaml", line: 4,
			want: `.karpgate.yaml:4: exceptions[0].reason: empty string (want why the finding is accepted, e.g. a ticket)`,
		},
		{
			name: "an empty exception item is an error",
			file: "exception-null.yaml", line: 2,
			want: `.karpgate.yaml:2: exceptions[0]: missing value (want a mapping of rule, address, reason and expires)`,
		},
		{
			name: "exceptions given as a mapping is a wrong type",
			file: "exceptions-mapping.yaml", line: 2,
			want: `.karpgate.yaml:2: exceptions: got a mapping (want a list of {rule, address, reason, expires})`,
		},
		{
			name: "a duplicate top-level key is an error",
			file: "duplicate-top.yaml", line: 3,
			want: `.karpgate.yaml:3: duplicate key "fail_on" (first on line 1)`,
		},
		{
			name: "a duplicate rule id is an error",
			file: "duplicate-rule.yaml", line: 4,
			want: `.karpgate.yaml:4: rules: duplicate key "KARP004" (first on line 2)`,
		},
		{
			name: "a YAML syntax error carries its line",
			file: "syntax.yaml", line: 2,
			want: `.karpgate.yaml:2: invalid YAML: did not find expected ',' or '}'`,
		},
		{
			name: "a document that is a list is a wrong type",
			file: "top-list.yaml", line: 1,
			want: `.karpgate.yaml:1: got a list (want a mapping of fail_on, unknown, rules, karpenter, requests, policies, organization or exceptions)`,
		},
		{
			name: "a second YAML document is an error",
			file: "two-documents.yaml", line: 2,
			want: `.karpgate.yaml:2: a second YAML document (want one document; remove the "---")`,
		},
		{
			name: "a merge key is an error",
			file: "merge-key.yaml", line: 4,
			want: `.karpgate.yaml:4: rules.KARP005: merge keys (<<) are not supported (want the keys written out)`,
		},
		{
			name: "every problem is reported, in line order",
			file: "several.yaml", line: 2,
			want: strings.Join([]string{
				`.karpgate.yaml:2: fail_on: unknown value "high" (want error, warning, note or never)`,
				`.karpgate.yaml:4: karpenter.account: got the number 111122223333, and YAML numbers lose leading zeros (want a 12-digit account id as a string, such as "111122223333": write account: "111122223333")`,
				`.karpgate.yaml:6: exceptions[0]: missing key "reason" (want why the finding is accepted, e.g. a ticket)`,
				`.karpgate.yaml:6: exceptions[0]: missing key "expires" (want a date as YYYY-MM-DD, such as 2027-01-31)`,
			}, "\n"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".karpgate.yaml", readFixture(t, filepath.Join("testdata/invalid", tt.file)))
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want an error", tt.file, got)
			}
			if got != nil {
				t.Errorf("Parse(%s) returned a Config with its error", tt.file)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("Parse(%s) error (-want +got):\n%s", tt.file, diff)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Parse(%s) error %T is not a *config.Error", tt.file, err)
			}
			if cerr.Line != tt.line || cerr.File != ".karpgate.yaml" {
				t.Errorf("first error at %s:%d, want .karpgate.yaml:%d", cerr.File, cerr.Line, tt.line)
			}
		})
	}
}

// TestParseErrorFixturesAreListed keeps the table above and testdata/invalid in step, so a new
// fixture cannot sit there untested.
func TestParseErrorFixturesAreListed(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := Parse(".karpgate.yaml", readFixture(t, f)); err == nil {
			t.Errorf("%s parses without error; fixtures under testdata/invalid must fail", f)
		}
	}
	valid, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range valid {
		if _, err := Parse(f, readFixture(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseLimits(t *testing.T) {
	t.Run("a file larger than MaxFileSize is refused before parsing", func(t *testing.T) {
		_, err := Parse("big.yaml", make([]byte, MaxFileSize+1))
		want := "big.yaml: file is larger than 1048576 bytes"
		if err == nil || err.Error() != want {
			t.Errorf("Parse = %v, want %q", err, want)
		}
	})
	t.Run("aliases that expand past the node budget are refused", func(t *testing.T) {
		// Each context key points at the same 300-item list, 400 times, in 300 requests: a small
		// file that would expand to 36 million nodes.
		var doc strings.Builder
		doc.WriteString("requests:\n  must_allow:\n    - &r {action: 'a:b', resource: '*', context: {")
		for i := range 400 {
			if i > 0 {
				doc.WriteString(", ")
			}
			doc.WriteString("k")
			doc.WriteString(strings.Repeat("x", i))
			if i == 0 {
				doc.WriteString(": &v [" + strings.Repeat("a, ", 300) + "a]")
			} else {
				doc.WriteString(": *v")
			}
		}
		doc.WriteString("}}\n")
		for range 300 {
			doc.WriteString("    - *r\n")
		}
		_, err := Parse("bomb.yaml", []byte(doc.String()))
		if err == nil || !strings.Contains(err.Error(), "more than 100000 YAML nodes") {
			t.Errorf("Parse = %v, want the node budget error", err)
		}
	})
}

func TestLoad(t *testing.T) {
	full := readFixture(t, "testdata/valid/full.yaml")
	never := readFixture(t, "testdata/valid/never.yaml")

	t.Run("without a file in the working directory it returns the defaults", func(t *testing.T) {
		t.Chdir(t.TempDir())
		got, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Default(), got); diff != "" {
			t.Errorf("Load(\"\") (-want +got):\n%s", diff)
		}
	})
	t.Run("it finds .karpgate.yml when there is no .karpgate.yaml", func(t *testing.T) {
		t.Chdir(t.TempDir())
		writeFile(t, AltFileName, never)
		got, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		if got.File != AltFileName || got.FailOn != findings.None {
			t.Errorf("Load(\"\") = File %q FailOn %v, want %q and none", got.File, got.FailOn, AltFileName)
		}
	})
	t.Run("it prefers .karpgate.yaml to .karpgate.yml", func(t *testing.T) {
		t.Chdir(t.TempDir())
		writeFile(t, FileName, full)
		writeFile(t, AltFileName, never)
		got, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		if got.File != FileName || got.FailOn != findings.Warning {
			t.Errorf("Load(\"\") = File %q FailOn %v, want %q and warning", got.File, got.FailOn, FileName)
		}
	})
	t.Run("an invalid file in the working directory is an error, not the defaults", func(t *testing.T) {
		t.Chdir(t.TempDir())
		writeFile(t, FileName, []byte("fail_on: high\n"))
		_, err := Load("")
		want := `.karpgate.yaml:1: fail_on: unknown value "high" (want error, warning, note or never)`
		if err == nil || err.Error() != want {
			t.Errorf("Load(\"\") = %v, want %q", err, want)
		}
	})
	t.Run("a path that is given must exist", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing.yaml")
		_, err := Load(path)
		if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "read config "+path+": ") {
			t.Errorf("Load(%q) = %v, want a wrapped fs.ErrNotExist", path, err)
		}
	})
	t.Run("a path that is given is read and named in the result", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ci.yaml")
		writeFile(t, path, never)
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&Config{File: path, FailOn: findings.None, Rules: map[string]findings.RuleOverride{}}, got); diff != "" {
			t.Errorf("Load(%q) (-want +got):\n%s", path, diff)
		}
	})
	t.Run("a directory where the file should be is an error", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if err := os.Mkdir(FileName, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(""); err == nil {
			t.Error("Load(\"\") = nil error, want one for a directory")
		}
	})
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRegoData(t *testing.T) {
	tests := []struct {
		name string
		file string
		want map[string]any
	}{
		{
			name: "the defaults give empty lists and no scalar parameters",
			file: "testdata/valid/empty.yaml",
			want: map[string]any{
				"karpenter": map[string]any{"roles": []any{}},
				"requests":  map[string]any{"must_allow": []any{}, "must_deny": []any{}},
			},
		},
		{
			name: "every parameter and request is carried as JSON values",
			file: "testdata/valid/full.yaml",
			want: map[string]any{
				"karpenter": map[string]any{
					"roles":     []any{"module.karpenter.aws_iam_role.controller[0]", "name:KarpenterController-*"},
					"region":    "us-west-2",
					"account":   "011122223333",
					"partition": "aws",
					"cluster":   "prod",
				},
				"requests": map[string]any{
					"must_allow": []any{map[string]any{
						"action":   "ec2:CreateTags",
						"resource": "arn:aws:ec2:us-west-2:111122223333:instance/i-0123456789abcdef0",
						"context": map[string]any{
							"aws:RequestedRegion": []any{"us-west-2"},
							"ec2:CreateAction":    []any{"RunInstances"},
						},
					}},
					"must_deny": []any{map[string]any{"action": "iam:PassRole", "resource": "*", "context": map[string]any{}}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.file, readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := c.RegoData()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RegoData (-want +got):\n%s", diff)
			}
			// JSON-compatible: a round trip through encoding/json gives the same document.
			raw, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("RegoData is not plain JSON (-data +round trip):\n%s", diff)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	c, err := Parse("full.yaml", readFixture(t, "testdata/valid/full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := findings.Overrides{
		Rules: map[string]findings.RuleOverride{
			"KARP004": {Enabled: ptr(false)},
			"KARP014": {Severity: ptr(findings.Error)},
			"KARP010": {Enabled: ptr(true), Severity: ptr(findings.Note)},
		},
		Exceptions: []findings.Exception{
			{Rule: "KARP001", Address: "module.karpenter.*", Reason: "upgrade scheduled, OPS-1234", Expires: "2027-01-31"},
			{Rule: "KARP010", Address: "aws_iam_policy.legacy", Reason: "legacy policy, removed in OPS-99", Expires: "2026-12-31"},
		},
	}
	got := c.Overrides()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Overrides (-want +got):\n%s", diff)
	}
	t.Run("the overrides share nothing with the config", func(t *testing.T) {
		*got.Rules["KARP004"].Enabled = true
		got.Exceptions[0].Reason = "changed"
		if *c.Rules["KARP004"].Enabled || c.Exceptions[0].Reason == "changed" {
			t.Error("changing Overrides() changed the Config")
		}
	})
	t.Run("the gate follows fail_on and unknown", func(t *testing.T) {
		if diff := cmp.Diff(findings.Gate{FailOn: findings.Warning, UnknownFail: true}, c.Gate()); diff != "" {
			t.Errorf("Gate (-want +got):\n%s", diff)
		}
	})
	t.Run("a nil config behaves as the defaults", func(t *testing.T) {
		var nilConfig *Config
		if diff := cmp.Diff(Default().Overrides(), nilConfig.Overrides()); diff != "" {
			t.Errorf("nil Overrides (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(Default().RegoData(), nilConfig.RegoData()); diff != "" {
			t.Errorf("nil RegoData (-want +got):\n%s", diff)
		}
	})
}
