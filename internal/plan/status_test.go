package plan_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/plan"
)

// deferredPlan is a plan Terraform could not finish (complete: false): the attachment of a policy
// to the role waits for a value known only after the first apply (Terraform 1.9+ with
// -allow-deferral; the shape of terraform show -json).
const deferredPlan = `{
  "format_version": "1.2",
  "terraform_version": "1.11.4",
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_iam_role.karpenter", "mode": "managed", "type": "aws_iam_role", "name": "karpenter", "values": {"name": "karpenter"}}
  ]}},
  "resource_changes": [
    {"address": "aws_iam_role.karpenter", "mode": "managed", "type": "aws_iam_role", "name": "karpenter",
     "change": {"actions": ["create"], "before": null, "after": {"name": "karpenter"}, "after_unknown": {"arn": true}}}
  ],
  "deferred_changes": [
    {"reason": "resource_config_unknown",
     "resource_change": {"address": "aws_iam_role_policy_attachment.extra[\"x\"]", "mode": "managed", "type": "aws_iam_role_policy_attachment",
       "name": "extra", "index": "x",
       "change": {"actions": ["create"], "before": null, "after": {"role": "karpenter"}, "after_unknown": {"policy_arn": true}}}}
  ],
  "complete": false,
  "errored": false
}`

// parsers are the three ways a plan is read; each must agree.
var parsers = []struct {
	name  string
	parse func(name string, b []byte) (*plan.Plan, error)
}{
	{"Parse", func(name string, b []byte) (*plan.Plan, error) { return plan.Oracle(name, bytes.NewReader(b), 0) }},
	{"ParseFast", func(name string, b []byte) (*plan.Plan, error) {
		return plan.Read(name, bytes.NewReader(b), plan.Options{Keep: plan.KeepIAM, Text: true})
	}},
	{"ParseStream", func(name string, b []byte) (*plan.Plan, error) {
		return plan.Read(name, bytes.NewReader(b), plan.Options{Keep: plan.KeepIAM, Split: true})
	}},
}

func TestDeferredChangesAreRead(t *testing.T) {
	for _, ps := range parsers {
		t.Run(ps.name, func(t *testing.T) {
			p, err := ps.parse("d.json", []byte(deferredPlan))
			if err != nil {
				t.Fatal(err)
			}
			if p.Complete == nil || *p.Complete {
				t.Errorf("Complete = %v, want false", p.Complete)
			}
			if len(p.Deferred) != 1 {
				t.Fatalf("got %d deferred changes, want 1", len(p.Deferred))
			}
			d := p.Deferred[0]
			got := []any{d.Reason, d.Resource.Address, d.Resource.Type, d.Resource.Mode, d.Resource.Action, d.Resource.Index, d.Resource.Module}
			want := []any{"resource_config_unknown", `aws_iam_role_policy_attachment.extra["x"]`, "aws_iam_role_policy_attachment", "managed", "create", "x", ""}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("deferred change (-want +got):\n%s", diff)
			}
			if s, ok := d.Resource.String("role"); !ok || s != "karpenter" {
				t.Errorf("role = %q, %v; want the known role name", s, ok)
			}
			if !d.Resource.Unknown("policy_arn") {
				t.Errorf("policy_arn should be unknown")
			}
			if _, indexed := p.Resources[d.Resource.Address]; indexed {
				t.Errorf("a deferred change must not be indexed as a planned resource")
			}
		})
	}
}

func TestCompleteIsNilWhenThePlanDoesNotSayIt(t *testing.T) {
	for _, ps := range parsers {
		p, err := ps.parse("s.json", []byte(smallPlan))
		if err != nil {
			t.Fatal(err)
		}
		if p.Complete != nil || p.Deferred != nil {
			t.Errorf("%s: Complete %v, Deferred %v; want nil, nil", ps.name, p.Complete, p.Deferred)
		}
	}
}

func TestErroredPlanIsAnInputErrorForEveryParser(t *testing.T) {
	errored := strings.Replace(deferredPlan, `"errored": false`, `"errored": true`, 1)
	for _, ps := range parsers {
		p, err := ps.parse("dir/errored.json", []byte(errored))
		if p != nil {
			t.Errorf("%s returned a plan for an errored plan", ps.name)
		}
		checkInputError(t, "dir/errored.json", err, `the plan is errored ("errored": true): terraform stopped planning on an error`)
	}
}

func TestBadPlanStatusMembersAreInputErrors(t *testing.T) {
	tests := []struct{ name, edit, want string }{
		{"errored as a string", `"errored": "yes"`, "errored"},
		{"complete as a number", `"complete": 0`, "complete"},
		{"a deferred change without its resource_change", `"deferred_changes": [{"reason": "x"}], "errored": false`, "deferred_changes[0] has no resource_change address"},
		{"a deferred change that is null", `"deferred_changes": [null], "errored": false`, "deferred_changes[0] is null"},
	}
	for _, tt := range tests {
		doc := strings.Replace(smallPlan, `"format_version": "1.2",`, `"format_version": "1.2", `+tt.edit+`,`, 1)
		for _, ps := range parsers {
			_, err := ps.parse("b.json", []byte(doc))
			checkInputError(t, "b.json", err, tt.want)
		}
	}
}
