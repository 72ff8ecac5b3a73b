package facts_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/jsontext"
	"github.com/karpgate/karpgate/internal/plan"
)

// fuzzPlanFiles lists the testdata plans the fuzzers start from.
func fuzzPlanFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("../../testdata/plans/*/*.json")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "expect.json" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no plans under ../../testdata/plans")
	}
	return out
}

// fuzzPolicyTexts collects the statements of every policy text of the testdata plans (the string
// values of the attributes that hold IAM JSON, wherever they sit), one small policy each.
func fuzzPolicyTexts(tb testing.TB) []string {
	tb.Helper()
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "policy" || k == "assume_role_policy" || k == "json" || k == "minified_json") && s != "" {
					seen[s] = true
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, f := range fuzzPlanFiles(tb) {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		text, err := jsontext.Transcode(b)
		if err != nil {
			continue
		}
		var doc any
		if json.Unmarshal(text, &doc) == nil {
			walk(doc)
		}
	}
	// Each statement becomes a policy of its own: Go minimizes every new input with O(n²) execs,
	// so KB-sized seeds stall the fuzzer for a minute at a time.
	small := map[string]bool{}
	for s := range seen {
		var doc map[string]any
		if json.Unmarshal([]byte(s), &doc) != nil {
			continue
		}
		list, ok := doc["Statement"].([]any)
		if !ok {
			list = []any{doc["Statement"]}
		}
		for _, st := range list {
			b, err := json.Marshal(map[string]any{"Version": doc["Version"], "Statement": st})
			if err == nil {
				small[string(b)] = true
			}
		}
	}
	out := make([]string, 0, len(small))
	for s := range small {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// FuzzParsePolicy checks that no policy text makes ParsePolicy panic, that every statement it
// returns is a well-formed one (so only valid statements reach the rules), and that every problem
// has a JSON path starting with $ and a one-line message. Run it with:
// go test -run '^$' -fuzz '^FuzzParsePolicy$' -fuzztime 60s -parallel 1 ./internal/facts/
func FuzzParsePolicy(f *testing.F) {
	for _, s := range fuzzPolicyTexts(f) {
		f.Add(s)
	}
	for _, s := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"Statement":[]}`, `{} {}`, "\ufeff{\"Statement\":{}}",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Version":1,"Statement":[1,{"Effect":"Deny","NotAction":["s3:*",2],"NotResource":"*","Principal":{"AWS":["x",{}]}}]}`,
		`{"Statement":[{"Sid":3,"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":{"x":1}},"Bool":[]}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a",true,1.5e3]}}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"a","NotAction":"b","Resource":"*","NotResource":"*","Principal":"me","Bogus":1}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		doc, probs := facts.ParsePolicy(text)
		for _, p := range probs {
			if !strings.HasPrefix(p.Path, "$") {
				t.Errorf("problem path %q does not start with $", p.Path)
			}
			if p.Message == "" || strings.ContainsAny(p.Message, "\r\n") {
				t.Errorf("problem message at %s is empty or not one line: %q", p.Path, p.Message)
			}
		}
		if doc != nil && !json.Valid([]byte(strings.TrimPrefix(text, "\ufeff"))) {
			t.Fatalf("a document (%d statements) from text that is not JSON", len(doc.Statements))
		}
		if doc == nil {
			if len(probs) == 0 {
				t.Fatal("no document and no problem")
			}
			return
		}
		if len(probs) == 0 {
			if !json.Valid([]byte(strings.TrimPrefix(text, "\ufeff"))) {
				t.Errorf("invalid JSON parsed without a problem")
			}
			if _, ok := map[string]bool{"": true, "2012-10-17": true, "2008-10-17": true}[doc.Version]; !ok {
				t.Errorf("Version %q accepted", doc.Version)
			}
		}
		last := -1
		for _, st := range doc.Statements {
			if st.Effect != "Allow" && st.Effect != "Deny" {
				t.Errorf("statement %d has Effect %q", st.Index, st.Effect)
			}
			if st.Index <= last {
				t.Errorf("statement index %d after %d", st.Index, last)
			}
			last = st.Index
			if len(st.Actions) > 0 && len(st.NotActions) > 0 {
				t.Errorf("statement %d has both actions and not_actions", st.Index)
			}
			if len(st.Resources) > 0 && len(st.NotResources) > 0 {
				t.Errorf("statement %d has both resources and not_resources", st.Index)
			}
			for _, a := range slices.Concat(st.Actions, st.NotActions) {
				if a != strings.ToLower(a) {
					t.Errorf("action %q is not lower-cased", a)
				}
			}
			if st.Actions == nil || st.NotActions == nil || st.Resources == nil || st.NotResources == nil ||
				st.Principals == nil || st.NotPrincipals == nil || st.Conditions == nil {
				t.Errorf("statement %d has a nil list or map (it would reach Rego as null)", st.Index)
			}
			for _, c := range st.Conditions {
				if c.Key != strings.ToLower(c.Key) || c.Values == nil {
					t.Errorf("condition %+v is not normalized", c)
				}
			}
		}
		// What facts hands to the engine must always encode.
		if _, err := json.Marshal(doc); err != nil {
			t.Errorf("document does not encode: %v", err)
		}
	})
}

// fuzzIAMOnly cuts a testdata plan (100-300 KB) down to the resources Build reads, in every
// section (resource changes, planned values, prior state, configuration), at most a few of each
// kind, and other lists to their first element: a fuzzer spends its time on small inputs.
func fuzzIAMOnly(tb testing.TB, b []byte) []byte {
	tb.Helper()
	text, err := jsontext.Transcode(b)
	if err != nil {
		tb.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(text, &doc); err != nil {
		tb.Fatal(err)
	}
	keep := func(typ string) bool {
		return strings.HasPrefix(typ, "aws_iam_") || typ == "aws_eks_pod_identity_association" || typ == "aws_region" ||
			typ == "aws_caller_identity" || typ == "aws_partition" || typ == "aws_sqs_queue"
	}
	var shrink func(v any) any
	shrink = func(v any) any {
		switch x := v.(type) {
		case []any:
			var out []any
			for _, e := range x {
				m, isObj := e.(map[string]any)
				typ, isStr := m["type"].(string)
				_, hasAddr := m["address"].(string)
				switch {
				case isObj && isStr && hasAddr:
					if keep(typ) && len(out) < 6 {
						out = append(out, shrink(e))
					}
				case len(out) < 1:
					out = append(out, shrink(e))
				}
			}
			if out == nil {
				out = []any{}
			}
			return out
		case map[string]any:
			for k, e := range x {
				x[k] = shrink(e)
			}
		}
		return v
	}
	out, err := json.Marshal(shrink(doc))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// fuzzMinimalPlan is a small plan with a Karpenter role, a managed policy and its attachment, so
// the mutator reaches the linking code quickly instead of spending its time in big plans.
const fuzzMinimalPlan = `{"format_version":"1.2","terraform_version":"1.9.0",
"resource_changes":[
{"address":"module.karpenter.aws_iam_role.controller[0]","module_address":"module.karpenter","mode":"managed","type":"aws_iam_role","name":"controller","index":0,
 "change":{"actions":["create"],"before":null,"after":{"name":"KarpenterController","assume_role_policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"pods.eks.amazonaws.com\"},\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"]}]}","inline_policy":[{"name":"i","policy":"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"ec2:*\",\"Resource\":\"*\"}}"}]},"after_unknown":{"arn":true,"inline_policy":[{}]}}},
{"address":"module.karpenter.aws_iam_policy.controller[0]","module_address":"module.karpenter","mode":"managed","type":"aws_iam_policy","name":"controller","index":0,
 "change":{"actions":["create"],"before":null,"after":{"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"ec2:CreateTags\",\"Resource\":\"arn:aws:ec2:*:*:instance/*\",\"Condition\":{\"StringEquals\":{\"aws:RequestedRegion\":\"eu-west-1\"}}}]}"},"after_unknown":{"arn":true}}},
{"address":"module.karpenter.aws_iam_role_policy_attachment.controller[0]","module_address":"module.karpenter","mode":"managed","type":"aws_iam_role_policy_attachment","name":"controller","index":0,
 "change":{"actions":["create"],"before":null,"after":{"role":"KarpenterController"},"after_unknown":{"policy_arn":true}}},
{"address":"module.karpenter.aws_eks_pod_identity_association.karpenter[0]","module_address":"module.karpenter","mode":"managed","type":"aws_eks_pod_identity_association","name":"karpenter","index":0,
 "change":{"actions":["create"],"before":null,"after":{"cluster_name":"prod","namespace":"kube-system","service_account":"karpenter"},"after_unknown":{"role_arn":true}}},
{"address":"data.aws_iam_policy_document.d","mode":"data","type":"aws_iam_policy_document","name":"d",
 "change":{"actions":["read"],"before":null,"after":{"statement":[{"sid":"S","effect":"Allow","actions":["ec2:RunInstances"],"resources":["*"]}]},"after_unknown":{"json":true,"source_policy_documents":[true]}}}
],
"configuration":{"provider_config":{"aws":{"name":"aws","expressions":{"region":{"constant_value":"eu-west-1"}}}},
 "root_module":{"module_calls":{"karpenter":{"source":"terraform-aws-modules/eks/aws//modules/karpenter","expressions":{"cluster_name":{"constant_value":"prod"}},
  "module":{"resources":[
   {"address":"aws_iam_role_policy_attachment.controller","mode":"managed","type":"aws_iam_role_policy_attachment","name":"controller","expressions":{"role":{"references":["aws_iam_role.controller[0].name","aws_iam_role.controller[0]","aws_iam_role.controller"]},"policy_arn":{"references":["aws_iam_policy.controller[0].arn","aws_iam_policy.controller"]}}},
   {"address":"aws_eks_pod_identity_association.karpenter","mode":"managed","type":"aws_eks_pod_identity_association","name":"karpenter","expressions":{"role_arn":{"references":["aws_iam_role.controller[0].arn","aws_iam_role.controller"]}}},
   {"address":"aws_iam_policy.controller","mode":"managed","type":"aws_iam_policy","name":"controller","expressions":{"policy":{"references":["data.aws_iam_policy_document.d.json"]}}}
  ]}}}}}}`

// FuzzBuild checks that no plan makes Build panic, and that what it builds encodes as JSON (the
// scanner marshals it into the OPA input). Inputs Parse rejects are skipped: they never reach Build.
// Run it with: go test -run '^$' -fuzz '^FuzzBuild$' -fuzztime 60s -parallel 1 ./internal/facts/
func FuzzBuild(f *testing.F) {
	for _, file := range fuzzPlanFiles(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fuzzIAMOnly(f, b), "")
	}
	f.Add([]byte(fuzzMinimalPlan), "")
	f.Add([]byte(fuzzMinimalPlan), "name:Karpenter*")
	f.Add([]byte(fuzzMinimalPlan), "module.*.aws_iam_role.*")
	f.Fuzz(func(t *testing.T, data []byte, role string) {
		p, err := plan.Read("fuzz.json", strings.NewReader(string(data)), plan.Options{})
		if err != nil {
			return
		}
		var opt facts.Options
		if role != "" {
			opt.Roles = []string{role}
		}
		iam := facts.Build(p, opt)
		if iam == nil {
			t.Fatal("Build returned nil")
		}
		n := 0
		for _, r := range iam.Roles {
			if r == nil {
				t.Fatal("nil role")
			}
			if r.Karpenter.Detected {
				n++
			}
			for _, e := range append(slices.Clone(r.Policies), r.Trust) {
				if e == nil {
					continue
				}
				for _, pr := range e.Problems {
					if !strings.HasPrefix(pr.Path, "$") {
						t.Errorf("%s %s: problem path %q does not start with $", e.Address, e.Attribute, pr.Path)
					}
				}
				if e.Status == facts.StatusInvalid && len(e.Problems) == 0 {
					t.Errorf("%s %s is invalid without a problem", e.Address, e.Attribute)
				}
			}
		}
		if n != iam.KarpenterRoles {
			t.Errorf("KarpenterRoles = %d, %d roles detected", iam.KarpenterRoles, n)
		}
		if _, err := json.Marshal(iam); err != nil {
			t.Fatalf("input.iam does not encode: %v", err)
		}
	})
}
