package source

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    address
		wantErr bool
	}{
		{name: "a root managed resource", in: "aws_iam_policy.x", want: address{resource: "aws_iam_policy.x"}},
		{name: "a root data source with a count key", in: "data.aws_iam_policy_document.y[0]", want: address{resource: "data.aws_iam_policy_document.y"}},
		{
			name: "a resource in a module with count",
			in:   "module.karpenter.aws_iam_policy.controller[0]",
			want: address{modules: []string{"karpenter"}, resource: "aws_iam_policy.controller"},
		},
		{
			name: "nested modules with for_each keys",
			in:   `module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`,
			want: address{modules: []string{"clusters", "karpenter"}, resource: "aws_iam_role.controller"},
		},
		{
			name: "a string key holding dots, brackets and escaped quotes",
			in:   `module.m["a.b]\"c"].data.aws_iam_policy_document.d["k"]`,
			want: address{modules: []string{"m"}, resource: "data.aws_iam_policy_document.d"},
		},
		{name: "a module call", in: `module.a["x"].module.b`, want: address{modules: []string{"a", "b"}}},
		{name: "names with dashes", in: "aws_iam_role.my-role", want: address{resource: "aws_iam_role.my-role"}},
		{name: "an empty address is malformed", in: "", wantErr: true},
		{name: "a type without a name is malformed", in: "aws_iam_role", wantErr: true},
		{name: "a trailing dot is malformed", in: "aws_iam_role.r.", wantErr: true},
		{name: "an attribute after the name is malformed", in: "aws_iam_role.r.arn", wantErr: true},
		{name: "an unterminated key is malformed", in: `module.m["x].aws_iam_role.r`, wantErr: true},
		{name: "a splat key is malformed", in: "aws_iam_role.r[*]", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAddress(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errBadAddress) {
					t.Errorf("parseAddress(%q) = %+v, %v; want errBadAddress", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAddress(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(address{})); diff != "" {
				t.Errorf("parseAddress(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
