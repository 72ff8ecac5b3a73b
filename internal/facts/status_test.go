package facts_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/plan"
)

// withDeferred returns the plan with complete: false and the given deferred_changes entries
// ({reason, resource_change}).
func withDeferred(t *testing.T, p *tplan, deferred ...map[string]any) *plan.Plan {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(p.json(t), &doc); err != nil {
		t.Fatal(err)
	}
	doc["complete"] = false
	doc["deferred_changes"] = deferred
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Read("deferred.json", bytes.NewReader(b), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func deferredChange(addr, reason string, after map[string]any, unknown ...string) map[string]any {
	_, f := ident(addr)
	au := map[string]any{}
	for _, u := range unknown {
		au[u] = true
	}
	f["change"] = map[string]any{"actions": []string{"create"}, "before": nil, "after": after, "after_unknown": au}
	return map[string]any{"reason": reason, "resource_change": f}
}

func TestBuildDeferredChangesOpenTheRolesTheyMayChange(t *testing.T) {
	other := "aws_iam_role.other"
	base := func() *tplan {
		return withRole().noop(other, map[string]any{"name": "karpenter-two", "arn": "arn:aws:iam::111122223333:role/karpenter-two", "assume_role_policy": podTrust})
	}
	deferredEntry := func(addr, reason string) entry {
		return entry{Address: addr, Kind: "deferred", Status: "deferred", Source: "deferred_changes", Unknown: []string{reason}}
	}
	tests := []struct {
		name      string
		deferred  []map[string]any
		want      []entry // on roleAddr
		wantOther []entry
	}{
		{
			name:      "an attachment naming the role reaches that role only",
			deferred:  []map[string]any{deferredChange(`aws_iam_role_policy_attachment.extra["x"]`, "resource_config_unknown", map[string]any{"role": roleName}, "policy_arn")},
			want:      []entry{deferredEntry(`aws_iam_role_policy_attachment.extra["x"]`, "resource_config_unknown")},
			wantOther: nil,
		},
		{
			name:      "an attachment whose role is unknown reaches every Karpenter role",
			deferred:  []map[string]any{deferredChange("aws_iam_role_policy.p", "provider_config_unknown", map[string]any{}, "role", "policy")},
			want:      []entry{deferredEntry("aws_iam_role_policy.p", "provider_config_unknown")},
			wantOther: []entry{deferredEntry("aws_iam_role_policy.p", "provider_config_unknown")},
		},
		{
			name:      "a policy document reaches every Karpenter role",
			deferred:  []map[string]any{deferredChange("data.aws_iam_policy_document.x", "resource_config_unknown", map[string]any{}, "json")},
			want:      []entry{deferredEntry("data.aws_iam_policy_document.x", "resource_config_unknown")},
			wantOther: []entry{deferredEntry("data.aws_iam_policy_document.x", "resource_config_unknown")},
		},
		{
			name:     "a role the plan does not have yet changes no role of the plan",
			deferred: []map[string]any{deferredChange("aws_iam_role.later", "resource_config_unknown", map[string]any{"name": "later"})},
		},
		{
			name:     "a resource type the model does not read changes nothing",
			deferred: []map[string]any{deferredChange("aws_s3_bucket.b", "resource_config_unknown", map[string]any{})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := facts.Build(withDeferred(t, base(), tt.deferred...), facts.Options{Roles: []string{"name:*"}})
			if diff := cmp.Diff(tt.want, entries(role(t, iam, roleAddr))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", roleAddr, diff)
			}
			if diff := cmp.Diff(tt.wantOther, entries(role(t, iam, other))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", other, diff)
			}
		})
	}
}

func TestBuildDeferredChangesSkipRolesThatAreNotKarpenters(t *testing.T) {
	d := deferredChange("aws_iam_role_policy.p", "resource_config_unknown", map[string]any{}, "role")
	iam := facts.Build(withDeferred(t, withRole(), d), facts.Options{Roles: []string{"name:nothing-matches"}})
	if got := entries(role(t, iam, roleAddr)); got != nil {
		t.Errorf("a role that is not a Karpenter role got %v", got)
	}
}
