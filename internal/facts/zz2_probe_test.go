package facts

import (
	"os"
	"testing"

	"github.com/karpgate/karpgate/internal/plan"
)

func TestZZCorpus(t *testing.T) {
	for _, f := range []string{"awslabs__terraform-iam-policy-validator__iam_check__test__identity_policies__test_plan.json", "fugue__regula__rego__tests__rules__tf__aws__iam__inputs__user_attached_policy_infra.json", "bridgecrewio__checkov__tests__terraform__checks__data__aws__example_GithubActionsOIDCTrustPolicy__tfplan.json"} {
		fh, _ := os.Open("../../../shared/corpus/real-plans/" + f)
		p, err := plan.Parse(f, fh, 0)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range Build(p, Options{}).Roles {
			for _, e := range r.Policies {
				t.Logf("%s: %s %s %s %s %s via=%s", f[:20], r.Address, e.Address, e.Attribute, e.Status, e.Source, e.Via)
			}
		}
	}
}
