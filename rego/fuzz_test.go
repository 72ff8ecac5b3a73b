package rego_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/karpgate/karpgate/internal/facts"
	regofs "github.com/karpgate/karpgate/rego"
)

// fuzzEvaluatorQuery decides one request twice: against the policies flattened and compiled by
// effective_statements, and against the same statements as written (decide accepts both, and
// must agree with itself).
const fuzzEvaluatorQuery = `compiled := data.karpgate.lib.iam.decide(data.karpgate.lib.iam.effective_statements(input.policies), input.request)
plain := data.karpgate.lib.iam.decide(input.statements, input.request)`

// prepareFuzzEvaluator prepares fuzzEvaluatorQuery over the embedded lib/ and rules/ modules and
// data/ once, as the engine does.
func prepareFuzzEvaluator(tb testing.TB) rego.PreparedEvalQuery {
	tb.Helper()
	opts := []func(*rego.Rego){rego.Query(fuzzEvaluatorQuery), rego.StrictBuiltinErrors(true)}
	err := fs.WalkDir(regofs.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(regofs.FS(), p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		opts = append(opts, rego.ParsedModule(m))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	data, err := regofs.Data()
	if err != nil {
		tb.Fatal(err)
	}
	opts = append(opts, rego.Store(inmem.NewFromObject(data)))
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return pq
}

// fuzzStatements builds two statements from fuzzed parts, normalized as internal/facts does: one
// with Action/Resource and a condition, one with NotAction/NotResource and the condition negated
// through the operator's IfExists form.
func fuzzStatements(allow bool, action, resource, operator, key, value string) []facts.Statement {
	effect := "Deny"
	if allow {
		effect = "Allow"
	}
	base := facts.Statement{Effect: effect, Actions: []string{}, NotActions: []string{}, Resources: []string{}, NotResources: []string{},
		Principals: map[string][]string{}, NotPrincipals: map[string][]string{}, Conditions: []facts.Condition{}}
	s0 := base
	s0.Index, s0.Sid = 0, key
	s0.Actions = []string{strings.ToLower(action)}
	s0.Resources = []string{resource}
	s0.Conditions = []facts.Condition{facts.NewCondition(operator, key, []string{value})}
	s1 := base
	s1.Index, s1.Effect = 1, "Allow"
	s1.NotActions = []string{strings.ToLower(value)}
	s1.NotResources = []string{value}
	s1.Conditions = []facts.Condition{facts.NewCondition(operator+"IfExists", value, []string{resource, key})}
	return []facts.Statement{s0, s1}
}

// knownEvaluatorErrors are builtin errors FuzzEvaluator found in lib/iam.rego that are not fixed
// yet: the query runs with strict builtin errors (as evaluator_test.go does), and the engine's
// non-strict mode turns each of them into a silently undefined comparison instead. It is empty: the
// date and number errors it held are fixed (unreadable values make a condition unknown), and the
// seeds hold the evaluator to that.
var knownEvaluatorErrors = []string{}

// FuzzEvaluator checks that the request evaluator decides every request against any statements
// built from fuzzed strings (action, resource, operator, condition key and value, request action,
// resource and context): one of allowed, denied, implicit-deny or indeterminate, never an error or
// an undefined result, and the same for compiled and plain statements. The query is prepared
// once. Run it with: go test -run '^$' -fuzz '^FuzzEvaluator$' -fuzztime 60s -parallel 1 ./rego/
func FuzzEvaluator(f *testing.F) {
	for _, c := range []struct {
		allow                                bool
		action, resource, operator, key, val string
		reqAction, reqResource, ctxKey, ctxV string
	}{
		{true, "ec2:CreateTags", "arn:aws:ec2:*:*:instance/*", "StringEquals", "aws:RequestedRegion", "eu-west-1",
			"ec2:CreateTags", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123", "aws:RequestedRegion", "eu-west-1"},
		{false, "ec2:*", "*", "StringLike", "aws:ResourceTag/karpenter.sh/nodepool", "*",
			"ec2:TerminateInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123", "aws:ResourceTag/karpenter.sh/nodepool", "default"},
		{true, "iam:PassRole", "arn:${aws:Partition}:iam::${aws:PrincipalAccount}:role/${aws:PrincipalTag/x}", "ForAllValues:StringEquals", "aws:TagKeys", "karpenter.sh/nodeclaim",
			"iam:passrole", "arn:aws:iam::123456789012:role/KarpenterNode", "aws:TagKeys", "karpenter.sh/nodeclaim"},
		{true, "ssm:Get*", "arn:aws:ssm:*::parameter/aws/service/*", "ForAnyValue:StringNotLike", "ec2:ResourceTag/kubernetes.io/cluster/prod", "owned",
			"ssm:GetParameter", "arn:aws:ssm:us-east-1::parameter/aws/service/eks", "aws:PrincipalTag/x", "y"},
		{true, "s3:Get?bject", "arn:aws:s3:::b/*", "Null", "aws:RequestTag/x", "false", "s3:GetObject", "arn:aws:s3:::b/k", "aws:RequestTag/X", "1"},
		{true, "a:{b,c}", "[*]", "IpAddress", "aws:SourceIp", "10.0.0.0/33", "a:b", "\\", "aws:SourceIp", "not-an-ip"},
		{false, "*", "*", "DateGreaterThan", "aws:CurrentTime", "2019-13-45T99:00:00Z", "*", "*", "aws:CurrentTime", "yesterday"},
		{true, "", "", "", "", "", "", "", "", ""},
		{true, "ec2:\xff", "${", "NumericLessThanEquals", "${aws:username}", "1e999", "EC2:\xff", "$", "", "\x00"},
		{true, "iam:*", "*", "Bool", "aws:SecureTransport", "true", "iam:CreateServiceLinkedRole", "*", "aws:securetransport", "TRUE"},
		{true, "sqs:*", "arn:aws:sqs:*:*:*", "ArnLike", "aws:SourceArn", "arn:aws:events:*:*:rule/*", "sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q", "aws:SourceArn", "arn:aws:events:eu-west-1:1:rule/r"},
	} {
		f.Add(c.allow, c.action, c.resource, c.operator, c.key, c.val, c.reqAction, c.reqResource, c.ctxKey, c.ctxV)
	}
	pq := prepareFuzzEvaluator(f)
	valid := map[string]bool{"allowed": true, "denied": true, "implicit-deny": true, "indeterminate": true}
	f.Fuzz(func(t *testing.T, allow bool, action, resource, operator, key, value, reqAction, reqResource, ctxKey, ctxValue string) {
		stmts := fuzzStatements(allow, action, resource, operator, key, value)
		policies := []facts.PolicyEntry{{Address: "aws_iam_policy.fuzz", Attribute: "policy", Kind: facts.KindManaged, Status: facts.StatusKnown,
			Source: "after", Unknown: []string{}, Problems: []facts.Problem{}, Document: &facts.Document{Version: "2012-10-17", Statements: stmts}}}
		request := map[string]any{"action": reqAction, "resource": reqResource, "context": map[string]any{ctxKey: []string{ctxValue}, key: value}}
		// The engine hands OPA JSON, so the input goes through JSON here too (invalid UTF-8 becomes U+FFFD).
		raw, err := json.Marshal(map[string]any{"policies": policies, "statements": stmts, "request": request})
		if err != nil {
			t.Fatal(err)
		}
		var input any
		if err := json.Unmarshal(raw, &input); err != nil {
			t.Fatal(err)
		}
		rs, err := pq.Eval(context.Background(), rego.EvalInput(input))
		if err != nil {
			for _, known := range knownEvaluatorErrors {
				if strings.Contains(err.Error(), known) {
					t.Logf("known issue: %v", err)
					return
				}
			}
			t.Fatalf("evaluator error: %v", err)
		}
		if len(rs) != 1 {
			t.Fatalf("got %d results, want 1 (the evaluator was undefined)", len(rs))
		}
		var got [2]string
		for i, name := range []string{"compiled", "plain"} {
			res, ok := rs[0].Bindings[name].(map[string]any)
			if !ok {
				t.Fatalf("%s result is %T", name, rs[0].Bindings[name])
			}
			d, _ := res["decision"].(string)
			if !valid[d] {
				t.Fatalf("%s decision %v is not allowed, denied, implicit-deny or indeterminate", name, res["decision"])
			}
			if st, _ := res["statements"].([]any); len(st) != len(stmts) {
				t.Errorf("%s result has %d statements for %d", name, len(st), len(stmts))
			}
			got[i] = d
		}
		if got[0] != got[1] {
			t.Errorf("compiled statements give %s, plain ones %s", got[0], got[1])
		}
	})
}
