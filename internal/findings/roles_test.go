package findings

import "testing"

func TestMatchRole(t *testing.T) {
	patterns := []string{"module.karpenter.aws_iam_role.controller[0]", "name:KarpenterController-*"}
	tests := []struct {
		name     string
		patterns []string
		address  string
		role     string
		want     bool
	}{
		{"an address pattern matches the exact address", patterns, "module.karpenter.aws_iam_role.controller[0]", "", true},
		{"an address pattern does not match another index", patterns, "module.karpenter.aws_iam_role.controller[1]", "other", false},
		{"a name pattern matches the role name", patterns, "aws_iam_role.x", "KarpenterController-prod", true},
		{"a name pattern ignores case as IAM does", patterns, "aws_iam_role.x", "karpentercontroller-prod", true},
		{"a name pattern in another case matches too", []string{"name:KARPENTER"}, "aws_iam_role.x", "Karpenter", true},
		{"a name pattern never matches an unknown name", []string{"name:*"}, "aws_iam_role.x", "", false},
		{"a name pattern is not tried against the address", []string{"name:aws_iam_role.*"}, "aws_iam_role.x", "y", false},
		{"an address pattern is not tried against the name", []string{"Karpenter*"}, "aws_iam_role.x", "KarpenterController", false},
		{"address patterns are case-sensitive", []string{"AWS_IAM_ROLE.*"}, "aws_iam_role.x", "", false},
		{"? in an address pattern is not a wildcard", []string{"aws_iam_role.?"}, "aws_iam_role.x", "", false},
		{"? in an address pattern matches itself", []string{"aws_iam_role.?"}, "aws_iam_role.?", "", true},
		{"? in a name pattern is not a wildcard", []string{"name:karpenter?"}, "aws_iam_role.x", "karpenter1", false},
		{"no patterns match nothing", nil, "aws_iam_role.x", "x", false},
		{"a wildcard address pattern crosses modules and brackets", []string{"*.aws_iam_role.controller*"}, `module.a.module.b.aws_iam_role.controller["x"]`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchRole(tt.patterns, tt.address, tt.role); got != tt.want {
				t.Errorf("MatchRole(%q, %q, %q) = %v, want %v", tt.patterns, tt.address, tt.role, got, tt.want)
			}
		})
	}
}
