package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const boundaryDoc = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}`

// layerDir writes files into a temporary directory and returns the path of .karpgate.yaml there.
func layerDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, ".karpgate.yaml")
}

func TestParsePoliciesAndOrganization(t *testing.T) {
	cfgPath := layerDir(t, map[string]string{
		"iam/boundary.json":        boundaryDoc,
		"org/deny-outside-eu.json": `{"Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}]}`,
		"org/perimeter.json":       `{"Statement": []}`,
	})
	yml := `policies:
  - {arn: "arn:aws:iam::111122223333:policy/OrgDeveloperBoundary", file: iam/boundary.json}
organization:
  id: o-a1b2c3d4e5
  management_account: "999999999999"
  accounts: {"111122223333": [r-ab12, ou-ab12-11111111]}
  policies:
    - {type: scp, name: DenyOutsideEU, file: org/deny-outside-eu.json, targets: [r-ab12]}
    - {type: rcp, name: Perimeter, file: org/perimeter.json, targets: [ou-ab12-11111111, "111122223333"]}
  scps_complete: false
`
	cfg, err := Parse(cfgPath, []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	wantPolicies := []SuppliedPolicy{{ARN: "arn:aws:iam::111122223333:policy/OrgDeveloperBoundary", File: "iam/boundary.json", Text: boundaryDoc}}
	if diff := cmp.Diff(wantPolicies, cfg.Policies); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
	wantOrg := &Organization{
		ID: "o-a1b2c3d4e5", ManagementAccount: "999999999999",
		Accounts: map[string][]string{"111122223333": {"r-ab12", "ou-ab12-11111111"}},
		Policies: []OrgPolicy{
			{Type: "scp", Name: "DenyOutsideEU", File: "org/deny-outside-eu.json", Text: `{"Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}]}`, Targets: []string{"r-ab12"}},
			{Type: "rcp", Name: "Perimeter", File: "org/perimeter.json", Text: `{"Statement": []}`, Targets: []string{"ou-ab12-11111111", "111122223333"}},
		},
	}
	if diff := cmp.Diff(wantOrg, cfg.Organization); diff != "" {
		t.Errorf("organization (-want +got):\n%s", diff)
	}
}

func TestParsePoliciesAndOrganizationErrors(t *testing.T) {
	files := map[string]string{
		"iam/boundary.json": boundaryDoc,
		"iam/broken.json":   `{"Statement": [`,
		"iam/list.json":     `[]`,
	}
	tests := []struct {
		name, yml, want string
	}{
		{"a missing file", "policies:\n  - {arn: \"arn:aws:iam::111122223333:policy/B\", file: iam/missing.json}\n",
			`:2: policies[0].file: cannot read "iam/missing.json": no such file or directory (want a path to a JSON policy document, relative to the configuration file)`},
		{"a file that is not JSON", "policies:\n  - arn: \"arn:aws:iam::111122223333:policy/B\"\n    file: iam/broken.json\n",
			`:3: policies[0].file: "iam/broken.json" is not JSON: unexpected end of JSON input (want a JSON policy document)`},
		{"a file that is not an object", "policies:\n  - {arn: \"arn:aws:iam::111122223333:policy/B\", file: iam/list.json}\n",
			`:2: policies[0].file: "iam/list.json" is not a JSON object (want a JSON policy document)`},
		{"an ARN that is not a policy", "policies:\n  - {arn: \"arn:aws:iam::111122223333:role/B\", file: iam/boundary.json}\n",
			`:2: policies[0].arn: "arn:aws:iam::111122223333:role/B" is not a policy or key ARN (want an IAM policy or KMS key ARN such as "arn:aws:iam::111122223333:policy/OrgDeveloperBoundary")`},
		{"an ARN supplied twice", "policies:\n  - {arn: \"arn:aws:iam::111122223333:policy/B\", file: iam/boundary.json}\n  - {arn: \"arn:aws:iam::111122223333:policy/B\", file: iam/boundary.json}\n",
			`:3: policies[1].arn: "arn:aws:iam::111122223333:policy/B" is already supplied by policies[0]`},
		{"an unknown key", "policies:\n  - {arn: \"arn:aws:iam::111122223333:policy/B\", file: iam/boundary.json, sid: x}\n",
			`:2: policies[0]: unknown key "sid" (want arn or file)`},
		{"a missing file key", "policies:\n  - {arn: \"arn:aws:iam::111122223333:policy/B\"}\n",
			`:2: policies[0]: missing key "file" (want a path to a JSON policy document, relative to the configuration file)`},
		{"an unknown organization key", "organization:\n  scp_complete: true\n",
			`:2: organization: unknown key "scp_complete" (want id, management_account, accounts, policies or scps_complete)`},
		{"a bad organization id", "organization:\n  id: org-1\n",
			`:2: organization.id: "org-1" is not an organization id (want an organization id such as o-a1b2c3d4e5)`},
		{"a numeric management account", "organization:\n  management_account: 999999999999\n",
			`:2: organization.management_account: got the number 999999999999, and YAML numbers lose leading zeros (want a 12-digit account id as a string, such as "111122223333": write "999999999999")`},
		{"a path that does not start at the root", "organization:\n  accounts: {\"111122223333\": [ou-ab12-11111111]}\n",
			`:2: organization.accounts.111122223333[0]: "ou-ab12-11111111" is not a root id: the path starts at the root (want r-...)`},
		{"an account key that is not an account", "organization:\n  accounts: {prod: [r-ab12]}\n",
			`:2: organization.accounts: "prod" is not a 12-digit account id`},
		{"an unknown policy type", "organization:\n  policies:\n    - {type: tag, name: T, file: iam/boundary.json, targets: [r-ab12]}\n",
			`:3: organization.policies[0].type: unknown value "tag" (want scp or rcp)`},
		{"a policy without targets", "organization:\n  policies:\n    - {type: scp, name: T, file: iam/boundary.json}\n",
			`:3: organization.policies[0]: missing key "targets" (want a mapping of type, name, file and targets)`},
		{"a bad target", "organization:\n  policies:\n    - {type: scp, name: T, file: iam/boundary.json, targets: [prod]}\n",
			`:3: organization.policies[0].targets[0]: "prod" is not a root, OU or account id`},
		{"an SCP file that is not JSON", "organization:\n  policies:\n    - {type: scp, name: T, file: iam/broken.json, targets: [r-ab12]}\n",
			`:3: organization.policies[0].file: "iam/broken.json" is not JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgPath := layerDir(t, files)
			_, err := Parse(cfgPath, []byte(tt.yml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("%T is not a *config.Error", err)
			}
			if !strings.HasPrefix(err.Error(), cfgPath) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error\n  %s\nwant it to start with the file and contain\n  %s", err, tt.want)
			}
		})
	}
}
