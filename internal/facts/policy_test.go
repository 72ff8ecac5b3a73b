package facts_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/karpgate/karpgate/internal/facts"
)

// st builds a normalized statement with empty (not nil) collections, as ParsePolicy returns them.
func st(i int, sid, effect string, edit func(*facts.Statement)) facts.Statement {
	s := facts.Statement{Index: i, Sid: sid, Effect: effect, Actions: []string{}, NotActions: []string{}, Resources: []string{},
		NotResources: []string{}, Principals: map[string][]string{}, NotPrincipals: map[string][]string{}, Conditions: []facts.Condition{}}
	if edit != nil {
		edit(&s)
	}
	return s
}

func TestParsePolicyNormalizes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *facts.Document
	}{
		{
			name: "Statement as a single object, Action and Resource as strings",
			in:   `{"Version":"2012-10-17","Statement":{"Sid":"One","Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:instance/*"}}`,
			want: &facts.Document{Version: "2012-10-17", Statements: []facts.Statement{st(0, "One", "Allow", func(s *facts.Statement) {
				s.Actions = []string{"ec2:createtags"}
				s.Resources = []string{"arn:aws:ec2:*:*:instance/*"}
			})}},
		},
		{
			name: "Statement as a list, Action and Resource as lists, mixed-case actions lower-cased and ARNs kept",
			in: `{"Version":"2012-10-17","Id":"doc","Statement":[
				{"Effect":"Allow","Action":["EC2:CreateTags","ec2:RunINSTANCES"],"Resource":["arn:aws:ec2:eu-west-1:*:Instance/*","*"]},
				{"Effect":"Deny","NotAction":["IAM:*"],"NotResource":"arn:aws:iam::111122223333:role/Keep"}]}`,
			want: &facts.Document{Version: "2012-10-17", ID: "doc", Statements: []facts.Statement{
				st(0, "", "Allow", func(s *facts.Statement) {
					s.Actions = []string{"ec2:createtags", "ec2:runinstances"}
					s.Resources = []string{"arn:aws:ec2:eu-west-1:*:Instance/*", "*"}
				}),
				st(1, "", "Deny", func(s *facts.Statement) {
					s.NotActions = []string{"iam:*"}
					s.NotResources = []string{"arn:aws:iam::111122223333:role/Keep"}
				}),
			}},
		},
		{
			name: "condition keys lower-cased with the written key kept, values of every JSON type become strings",
			in: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{
				"ForAllValues:StringEquals":{"aws:TagKeys":["karpenter.sh/nodeclaim","Name"]},
				"StringEquals":{"aws:ResourceTag/kubernetes.io/cluster/Prod":"owned","aws:RequestedRegion":["eu-west-1"]},
				"Bool":{"aws:SecureTransport":false},
				"NumericLessThan":{"aws:MultiFactorAuthAge":3600, "s3:max-keys":[1.5, "10"]},
				"BoolIfExists":{"aws:ViaAWSService":[true,"false"]}}}]}`,
			want: &facts.Document{Version: "2012-10-17", Statements: []facts.Statement{st(0, "", "Allow", func(s *facts.Statement) {
				s.Actions = []string{"ec2:createtags"}
				s.Resources = []string{"*"}
				s.Conditions = []facts.Condition{
					{Operator: "Bool", Base: "bool", Key: "aws:securetransport", Written: "aws:SecureTransport", Values: []string{"false"}},
					{Operator: "BoolIfExists", Base: "bool", IfExists: true, Key: "aws:viaawsservice", Written: "aws:ViaAWSService", Values: []string{"true", "false"}},
					{Operator: "ForAllValues:StringEquals", Base: "stringequals", Set: "forallvalues", Key: "aws:tagkeys", Written: "aws:TagKeys", Values: []string{"karpenter.sh/nodeclaim", "Name"}},
					{Operator: "NumericLessThan", Base: "numericlessthan", Key: "aws:multifactorauthage", Written: "aws:MultiFactorAuthAge", Values: []string{"3600"}},
					{Operator: "NumericLessThan", Base: "numericlessthan", Key: "s3:max-keys", Written: "s3:max-keys", Values: []string{"1.5", "10"}},
					{Operator: "StringEquals", Base: "stringequals", Key: "aws:requestedregion", Written: "aws:RequestedRegion", Values: []string{"eu-west-1"}},
					{Operator: "StringEquals", Base: "stringequals", Key: "aws:resourcetag/kubernetes.io/cluster/prod", Written: "aws:ResourceTag/kubernetes.io/cluster/Prod", Values: []string{"owned"}},
				}
			})}},
		},
		{
			name: "CRLF, tabs and a BOM in the text, keys in any order",
			in:   "\ufeff{\r\n\t\"Statement\": [{\r\n\t\t\"Resource\": \"*\",\r\n\t\t\"Action\": \"ec2:DescribeInstances\",\r\n\t\t\"Effect\": \"Allow\",\r\n\t\t\"Sid\": \"Read\"\r\n\t}],\r\n\t\"Version\": \"2012-10-17\"\r\n}\r\n",
			want: &facts.Document{Version: "2012-10-17", Statements: []facts.Statement{st(0, "Read", "Allow", func(s *facts.Statement) {
				s.Actions = []string{"ec2:describeinstances"}
				s.Resources = []string{"*"}
			})}},
		},
		{
			name: "Version absent is kept as empty",
			in:   `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			want: &facts.Document{Statements: []facts.Statement{st(0, "", "Allow", func(s *facts.Statement) {
				s.Actions = []string{"s3:getobject"}
				s.Resources = []string{"*"}
			})}},
		},
		{
			name: "the 2008-10-17 Version is accepted",
			in:   `{"Version":"2008-10-17","Statement":[]}`,
			want: &facts.Document{Version: "2008-10-17", Statements: []facts.Statement{}},
		},
		{
			name: `Principal "*" becomes {"*": ["*"]} and typed principals become lists`,
			in: `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC","AWS":["arn:aws:iam::111122223333:root","*"]},"NotPrincipal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
			want: &facts.Document{Version: "2012-10-17", Statements: []facts.Statement{
				st(0, "", "Allow", func(s *facts.Statement) {
					s.Actions = []string{"sts:assumerole"}
					s.Principals = map[string][]string{"*": {"*"}}
				}),
				st(1, "", "Allow", func(s *facts.Statement) {
					s.Actions = []string{"sts:assumerolewithwebidentity"}
					s.Principals = map[string][]string{
						"Federated": {"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
						"AWS":       {"arn:aws:iam::111122223333:root", "*"},
					}
					s.NotPrincipals = map[string][]string{"Service": {"ec2.amazonaws.com"}}
				}),
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, probs := facts.ParsePolicy(tt.in)
			if len(probs) > 0 {
				t.Fatalf("problems: %+v", probs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePolicy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyReportsProblems(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []facts.Problem
		nilDoc   bool
		wantSids []string // statements that could still be read
	}{
		{
			name:   "not JSON",
			in:     `Version: 2012-10-17`,
			nilDoc: true,
			want:   []facts.Problem{{Path: "$", Message: "not valid JSON: invalid character 'V' looking for beginning of value"}},
		},
		{
			name:   "text after the policy object",
			in:     `{"Statement":[]} {}`,
			nilDoc: true,
			want:   []facts.Problem{{Path: "$", Message: "not valid JSON: text after the policy object"}},
		},
		{
			name:   "a JSON list instead of an object",
			in:     `[{"Effect":"Allow"}]`,
			nilDoc: true,
			want:   []facts.Problem{{Path: "$", Message: "the policy is a list, not a JSON object"}},
		},
		{
			name: "no Statement",
			in:   `{"Version":"2012-10-17"}`,
			want: []facts.Problem{{Path: "$.Statement", Message: "the policy has no Statement"}},
		},
		{
			name: "Statement as a string",
			in:   `{"Version":"2012-10-17","Statement":"Allow"}`,
			want: []facts.Problem{{Path: "$.Statement", Message: "Statement is a string, not an object or a list"}},
		},
		{
			name:     "a missing Effect drops that statement only",
			in:       `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"},{"Sid":"B","Action":"ec2:DescribeInstanceStatus","Resource":"*"}]}`,
			want:     []facts.Problem{{Path: "$.Statement[1].Effect", Message: "statement has no Effect"}},
			wantSids: []string{"A"},
		},
		{
			name: `Effect "allow" in the wrong case is invalid`,
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Effect", Message: `Effect is "allow", not Allow or Deny`}},
		},
		{
			name: "a single statement object reports the path without an index",
			in:   `{"Version":"2012-10-17","Statement":{"Effect":true,"Action":"s3:GetObject"}}`,
			want: []facts.Problem{{Path: "$.Statement.Effect", Message: "Effect is a boolean, not a string"}},
		},
		{
			name: "neither Action nor NotAction",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0]", Message: "statement has neither Action nor NotAction"}},
		},
		{
			name: "both Action and NotAction",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0]", Message: "statement has both Action and NotAction"}},
		},
		{
			name: "both Resource and NotResource",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"arn:aws:s3:::b"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0]", Message: "statement has both Resource and NotResource"}},
		},
		{
			name:     "an unknown Version",
			in:       `{"Version":"2012-10-18","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			want:     []facts.Problem{{Path: "$.Version", Message: `unknown policy Version "2012-10-18" (IAM accepts 2012-10-17 or 2008-10-17)`}},
			wantSids: []string{"A"},
		},
		{
			name: "a Version that is not a string",
			in:   `{"Version":2012,"Statement":[]}`,
			want: []facts.Problem{{Path: "$.Version", Message: "Version is a number, not a string"}},
		},
		{
			name:     "an unknown statement element",
			in:       `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Actions":"s3:PutObject"}]}`,
			want:     []facts.Problem{{Path: "$.Statement[0].Actions", Message: `unknown statement element "Actions"`}},
			wantSids: []string{"A"},
		},
		{
			name: "a condition value that is an object names its JSON path",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":{"a":"b"}}}}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Condition.StringEquals.aws:TagKeys", Message: "condition value is an object, not a string, boolean, number or a list of them"}},
		},
		{
			name: "a condition list element that is null",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":["a",null]}}}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Condition.StringEquals.aws:TagKeys", Message: "condition value [1] is null, not a string, boolean or number"}},
		},
		{
			name: "a condition operator holding a list",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":["aws:TagKeys"]}}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Condition.StringEquals", Message: "condition operator StringEquals holds a list, not an object"}},
		},
		{
			name: "Condition as a string",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":"none"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Condition", Message: "Condition is a string, not an object"}},
		},
		{
			name: "an Action list with a number",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject",7],"Resource":"*"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Action[1]", Message: "Action element is a number, not a string"}},
			// A bad element is reported; the statement keeps its readable actions.
			wantSids: []string{""},
		},
		{
			name:     "a Resource that is an object",
			in:       `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":{"a":1}}]}`,
			want:     []facts.Problem{{Path: "$.Statement[0].Resource", Message: "Resource is an object, not a string or a list of strings"}},
			wantSids: []string{""},
		},
		{
			name: "a Principal string other than *",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"ec2.amazonaws.com","Action":"sts:AssumeRole"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Principal", Message: `Principal is the string "ec2.amazonaws.com"; only "*" may be written without a type`}},
		},
		{
			name: "a statement that is not an object",
			in:   `{"Version":"2012-10-17","Statement":["Allow"]}`,
			want: []facts.Problem{{Path: "$.Statement[0]", Message: "statement is a string, not an object"}},
		},
		{
			name:     "a Sid that is not a string",
			in:       `{"Version":"2012-10-17","Statement":[{"Sid":1,"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			want:     []facts.Problem{{Path: "$.Statement[0].Sid", Message: "Sid is a number, not a string"}},
			wantSids: []string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, probs := facts.ParsePolicy(tt.in)
			if diff := cmp.Diff(tt.want, probs); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if tt.nilDoc {
				if doc != nil {
					t.Errorf("document = %+v, want nil", doc)
				}
				return
			}
			if doc == nil {
				t.Fatal("document is nil")
			}
			var sids []string
			for _, s := range doc.Statements {
				sids = append(sids, s.Sid)
			}
			if diff := cmp.Diff(tt.wantSids, sids); diff != "" {
				t.Errorf("readable statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyProblemsAreOneLine(t *testing.T) {
	_, probs := facts.ParsePolicy("{\"Statement\": [{\"Effect\": \"Al\\nlow\", \"Action\": \"s3:*\"}]}")
	if len(probs) == 0 {
		t.Fatal("no problem reported")
	}
	for _, p := range probs {
		if strings.ContainsAny(p.Message, "\n\r") {
			t.Errorf("problem message is not one line: %q", p.Message)
		}
	}
}

func TestNewCondition(t *testing.T) {
	tests := []struct {
		name, op, key string
		want          facts.Condition
	}{
		{"a plain operator", "StringEquals", "aws:RequestedRegion",
			facts.Condition{Operator: "StringEquals", Base: "stringequals", Key: "aws:requestedregion", Written: "aws:RequestedRegion"}},
		{"a set prefix and IfExists are split off", "ForAllValues:StringEqualsIfExists", "aws:TagKeys",
			facts.Condition{Operator: "ForAllValues:StringEqualsIfExists", Base: "stringequals", Set: "forallvalues", IfExists: true, Key: "aws:tagkeys", Written: "aws:TagKeys"}},
		{"ForAnyValue in odd case", "forAnyValue:StringLIKE", "aws:TagKeys",
			facts.Condition{Operator: "forAnyValue:StringLIKE", Base: "stringlike", Set: "foranyvalue", Key: "aws:tagkeys", Written: "aws:TagKeys"}},
		{"IfExists on its own is not a suffix", "IfExists", "k",
			facts.Condition{Operator: "IfExists", Base: "ifexists", Key: "k", Written: "k"}},
		{"Null keeps its name", "Null", "aws:RequestTag/karpenter.sh/nodepool",
			facts.Condition{Operator: "Null", Base: "null", Key: "aws:requesttag/karpenter.sh/nodepool", Written: "aws:RequestTag/karpenter.sh/nodepool"}},
		{"IpAddressIfExists", "IpAddressIfExists", "aws:SourceIp",
			facts.Condition{Operator: "IpAddressIfExists", Base: "ipaddress", IfExists: true, Key: "aws:sourceip", Written: "aws:SourceIp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.Values = []string{"v"}
			if diff := cmp.Diff(tt.want, facts.NewCondition(tt.op, tt.key, []string{"v"})); diff != "" {
				t.Errorf("NewCondition(%q, %q) (-want +got):\n%s", tt.op, tt.key, diff)
			}
		})
	}
}

// TestParsePolicyRejectsWhatIAMRejects: the apply-time rejections of RULES.md KARP022 that do not
// depend on the kind of policy.
func TestParsePolicyRejectsWhatIAMRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []facts.Problem
	}{
		{
			name: "an unknown top-level element",
			in:   `{"Version":"2012-10-17","Statment":[],"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			want: []facts.Problem{{Path: "$.Statment", Message: `unknown policy element "Statment"`}},
		},
		{
			name: "duplicate Sids",
			in: `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`,
			want: []facts.Problem{{Path: "$.Statement[1].Sid", Message: `duplicate Sid "A" (Sids must be unique in a policy)`}},
		},
		{
			name: "an action without a service prefix",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:CreateTags","CreateTags"],"Resource":"*"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Action[1]", Message: `action "CreateTags" has no service prefix (write service:action)`}},
		},
		{
			name: "a resource neither * nor an ARN",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"instance/*"}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Resource", Message: `resource "instance/*" is neither "*" nor an ARN`}},
		},
		{
			name: "an unknown condition operator keeps the statement",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*","Condition":{"StringEqualz":{"aws:RequestedRegion":"eu-west-1"}}}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Condition.StringEqualz", Message: `unknown condition operator "StringEqualz"`}},
		},
		{
			name: "Null has no IfExists",
			in:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"NullIfExists":{"aws:TagKeys":"true"}}}]}`,
			want: []facts.Problem{{Path: "$.Statement[0].Condition.NullIfExists", Message: `unknown condition operator "NullIfExists"`}},
		},
		{
			name: "known operators with prefixes and IfExists pass",
			in: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{
				"ForAllValues:StringLikeIfExists":{"aws:TagKeys":"x"},"ArnNotLike":{"aws:SourceArn":"arn:*"},"BinaryEquals":{"k:k":"QQ=="}}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, probs := facts.ParsePolicy(tt.in)
			if diff := cmp.Diff(tt.want, probs); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if doc == nil || len(doc.Statements) == 0 {
				t.Errorf("the statements were dropped: %+v", doc)
			}
		})
	}
}

func TestKindProblems(t *testing.T) {
	parse := func(text string) *facts.Document {
		doc, probs := facts.ParsePolicy(text)
		if len(probs) > 0 {
			t.Fatalf("%s: %v", text, probs)
		}
		return doc
	}
	identity := parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*"}]}`)
	trust := parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`)
	tests := []struct {
		kind string
		doc  *facts.Document
		want []facts.Problem
	}{
		{facts.KindManaged, identity, []facts.Problem{
			{Path: "$.Statement[0]", Message: "identity-based policy statement has a Principal (only resource-based and trust policies name one)"},
			{Path: "$.Statement[1]", Message: "statement has neither Resource nor NotResource"},
		}},
		{facts.KindTrust, trust, []facts.Problem{
			{Path: "$.Statement[0]", Message: "trust policy statement has no Principal"},
			{Path: "$.Statement[1]", Message: "trust policy statement has a Resource (a trust policy names none)"},
		}},
		{facts.KindTrust, parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}}`), nil},
		// A queue or key policy names its principals: that is no problem, their absence is.
		{facts.KindResource, parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["events.amazonaws.com","sqs.amazonaws.com"]},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:eu-west-1:111122223333:prod"},{"Effect":"Deny","Action":"sqs:*","Resource":"*"}]}`), []facts.Problem{
			{Path: "$.Statement[1]", Message: "resource-based policy statement has no Principal"},
		}},
		{facts.KindRCP, parse(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*"}}`), nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, facts.KindProblems(tt.kind, tt.doc)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.kind, diff)
		}
	}
}

func TestPolicySize(t *testing.T) {
	if got := facts.PolicySize("{\r\n\t\"Version\": \"2012-10-17\" }"); got != 24 {
		t.Errorf("size = %d, want 24 (white space does not count)", got)
	}
}

// Resource-based and organization policies name principals by design: no kind problem.
func TestKindProblemsSkipsResourcePolicies(t *testing.T) {
	doc, _ := facts.ParsePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:eu-west-1:111122223333:prod"}]}`)
	for _, kind := range []string{facts.KindResource, facts.KindRCP} {
		if p := facts.KindProblems(kind, doc); p != nil {
			t.Errorf("%s: %v", kind, p)
		}
	}
	if p := facts.KindProblems(facts.KindBoundary, doc); len(p) != 1 {
		t.Errorf("boundary: %v, want the Principal problem", p)
	}
}
