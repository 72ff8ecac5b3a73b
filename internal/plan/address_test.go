package plan_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/karpgate/karpgate/internal/plan"
)

func TestSplitAddress(t *testing.T) {
	tests := []struct {
		name, in, wantMod, wantRel string
	}{
		{"a root resource has no module", "aws_iam_role.r", "", "aws_iam_role.r"},
		{"a root resource with a count key", "aws_iam_role.r[0]", "", "aws_iam_role.r[0]"},
		{"a root data source", "data.aws_iam_policy_document.d", "", "data.aws_iam_policy_document.d"},
		{"a resource in a module", "module.karpenter.aws_iam_role.controller[0]", "module.karpenter", "aws_iam_role.controller[0]"},
		{"a data source in a module", "module.karpenter.data.aws_iam_policy_document.controller[0]", "module.karpenter", "data.aws_iam_policy_document.controller[0]"},
		{"nested modules with a for_each key", `module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`, `module.clusters["prod"].module.karpenter`, "aws_iam_role.controller[0]"},
		{"dots inside a module key are respected", `module.a["x.y"].module.b.aws_iam_role.r[0]`, `module.a["x.y"].module.b`, "aws_iam_role.r[0]"},
		{"dots inside a resource key are respected", `aws_iam_role_policy_attachment.this["arn:aws:iam::aws:policy/A.B"]`, "", `aws_iam_role_policy_attachment.this["arn:aws:iam::aws:policy/A.B"]`},
		{"a bracket inside a quoted key does not end the key", `module.a["x]y.z"].aws_iam_role.r`, `module.a["x]y.z"]`, "aws_iam_role.r"},
		{"an escaped quote inside a key", `module.a["q\".x"].aws_iam_role.r`, `module.a["q\".x"]`, "aws_iam_role.r"},
		{"a resource named module is not a module", "aws_iam_role.module", "", "aws_iam_role.module"},
		{"a module path alone", `module.a["k"].module.b`, `module.a["k"].module.b`, ""},
		{"an empty address", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod, rel := plan.SplitAddress(tt.in)
			if mod != tt.wantMod || rel != tt.wantRel {
				t.Errorf("SplitAddress(%q) = %q, %q; want %q, %q", tt.in, mod, rel, tt.wantMod, tt.wantRel)
			}
			if tt.in != "" && tt.wantRel != "" && plan.Join(mod, rel) != tt.in {
				t.Errorf("Join(%q, %q) = %q, want the input back", mod, rel, plan.Join(mod, rel))
			}
		})
	}
}

func TestStripKeys(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"an address without keys is unchanged", "module.karpenter.aws_iam_role.controller", "module.karpenter.aws_iam_role.controller"},
		{"count keys go", "module.karpenter.aws_iam_role.controller[0]", "module.karpenter.aws_iam_role.controller"},
		{"for_each keys on modules and resources go", `module.a["x"].aws_iam_role.r[0]`, "module.a.aws_iam_role.r"},
		{"keys holding dots and brackets go", `module.a["x.y]"].module.b["k[1]"].aws_iam_role.r["z"]`, "module.a.module.b.aws_iam_role.r"},
		{"keys holding escaped quotes go", `aws_iam_role.r["a\"]b"].x`, "aws_iam_role.r.x"},
		{"a module path", `module.clusters["prod"].module.karpenter`, "module.clusters.module.karpenter"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plan.StripKeys(tt.in); got != tt.want {
				t.Errorf("StripKeys(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestJoin(t *testing.T) {
	if got := plan.Join("", "aws_iam_role.r"); got != "aws_iam_role.r" {
		t.Errorf("Join root = %q", got)
	}
	if got := plan.Join(`module.a["k"]`, "aws_iam_role.r[0]"); got != `module.a["k"].aws_iam_role.r[0]` {
		t.Errorf("Join module = %q", got)
	}
}

func TestReferencesInTestdataPlans(t *testing.T) {
	const prod = `module.clusters["prod"].module.karpenter.`
	const staging = `module.clusters["staging"].module.karpenter.`
	tests := []struct {
		name, plan, addr, attr string
		want                   []string
	}{
		{"a nested for_each module attachment's role resolves inside its own instance", "nested-for-each",
			prod + "aws_iam_role_policy_attachment.controller[0]", "role", []string{prod + "aws_iam_role.controller[0]"}},
		{"a nested for_each module attachment's policy_arn resolves inside its own instance", "nested-for-each",
			staging + "aws_iam_role_policy_attachment.controller[0]", "policy_arn", []string{staging + "aws_iam_policy.controller[0]"}},
		{"a policy's text resolves to the data source of its instance", "nested-for-each",
			staging + "aws_iam_policy.controller[0]", "policy", []string{staging + "data.aws_iam_policy_document.controller[0]"}},
		{"a pod identity association's role_arn resolves inside its instance", "nested-for-each",
			prod + "aws_eks_pod_identity_association.karpenter[0]", "role_arn", []string{prod + "aws_iam_role.controller[0]"}},
		{"a variable fed by each.key resolves to nothing", "nested-for-each",
			prod + "aws_eks_pod_identity_association.karpenter[0]", "cluster_name", nil},
		{"an attribute without references resolves to nothing", "nested-for-each",
			prod + "aws_iam_role.controller[0]", "no_such_attribute", nil},
		{"first apply: the attachment's role resolves by reference", "first-apply",
			"module.karpenter.aws_iam_role_policy_attachment.controller[0]", "role", []string{"module.karpenter.aws_iam_role.controller[0]"}},
		{"first apply: the attachment's policy_arn resolves by reference", "first-apply",
			"module.karpenter.aws_iam_role_policy_attachment.controller[0]", "policy_arn", []string{"module.karpenter.aws_iam_policy.controller[0]"}},
		{"first apply: the policy's text resolves to the deferred data source", "first-apply",
			"module.karpenter.aws_iam_policy.controller[0]", "policy", []string{"module.karpenter.data.aws_iam_policy_document.controller[0]"}},
		{"a resource outside the configuration has no references", "first-apply",
			"aws_iam_role.not_there", "name", nil},
		{"a state has no configuration and no references", "state-upstream-v1",
			"aws_iam_role_policy_attachment.karpenter_controller", "role", nil},
	}
	plans := map[string]*plan.Plan{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plans[tt.plan]
			if p == nil {
				p = loadPlan(t, "../../testdata/plans/"+tt.plan+"/plan.json")
				plans[tt.plan] = p
			}
			if diff := cmp.Diff(tt.want, p.References(tt.addr, tt.attr), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("References(%s, %s) (-want +got):\n%s", tt.addr, tt.attr, diff)
			}
		})
	}
}

func TestModuleCallAndConfigResourceOfNestedForEach(t *testing.T) {
	p := loadPlan(t, "../../testdata/plans/nested-for-each/plan.json")
	call := p.ModuleCall(`module.clusters["prod"].module.karpenter`)
	if call == nil || call.Source != "../../../modules/karpenter-v21" {
		t.Fatalf("ModuleCall = %+v", call)
	}
	if c := p.ModuleCall(`module.clusters["staging"]`); c == nil || c.Source != "./modules/cluster-addons" {
		t.Errorf("ModuleCall(wrapper) = %+v", c)
	}
	if c := p.ModuleCall("module.nope"); c != nil {
		t.Errorf("ModuleCall(unknown) = %+v, want nil", c)
	}
	cr := p.ConfigResource(`module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`)
	if cr == nil || cr.Address != "aws_iam_role.controller" || cr.Type != "aws_iam_role" {
		t.Fatalf("ConfigResource = %+v", cr)
	}
	if e := p.Expression(`module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`, "assume_role_policy"); e == nil {
		t.Errorf("Expression(assume_role_policy) is nil")
	}
	if e := p.Expression(`module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`, "nope"); e != nil {
		t.Errorf("Expression(nope) = %+v, want nil", e)
	}
}

// refPlan is a hand-made plan exercising references across module boundaries:
//
//	root: aws_iam_role.a, aws_iam_role.ab[0..1], aws_iam_role.each["x"/"y"], data.aws_iam_policy_document.d,
//	      aws_iam_role_policy_attachment.t (role, policy_arn, extra), module "m" (./m), module "lone" (./lone)
//	module.m: aws_iam_policy.p, aws_iam_role_policy.rp (role = var.role_name), aws_iam_role_policy.chain
//	          (role = module.inner["k1"].role, name = module.inner.role), output policy_arn,
//	          module "inner" (for_each k1/k2) with var.policy = aws_iam_policy.p.arn
//	module.m.module.inner["k"]: aws_iam_role.r, aws_iam_role_policy_attachment.at (policy_arn = var.policy),
//	          output role = aws_iam_role.r.name
//	module.lone: aws_iam_policy.lp, output arn = aws_iam_policy.lp.arn
const refPlan = `{
 "format_version": "1.2",
 "planned_values": {"root_module": {
  "resources": [
   {"address": "aws_iam_role.a", "mode": "managed", "type": "aws_iam_role", "name": "a", "values": {}},
   {"address": "aws_iam_role.ab[0]", "mode": "managed", "type": "aws_iam_role", "name": "ab", "index": 0, "values": {}},
   {"address": "aws_iam_role.ab[1]", "mode": "managed", "type": "aws_iam_role", "name": "ab", "index": 1, "values": {}},
   {"address": "aws_iam_role.each[\"x\"]", "mode": "managed", "type": "aws_iam_role", "name": "each", "index": "x", "values": {}},
   {"address": "aws_iam_role.each[\"y\"]", "mode": "managed", "type": "aws_iam_role", "name": "each", "index": "y", "values": {}},
   {"address": "aws_iam_role_policy_attachment.t", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "t", "values": {}}
  ],
  "child_modules": [
   {"address": "module.m", "resources": [
     {"address": "module.m.aws_iam_policy.p", "mode": "managed", "type": "aws_iam_policy", "name": "p", "values": {}},
     {"address": "module.m.aws_iam_role_policy.rp", "mode": "managed", "type": "aws_iam_role_policy", "name": "rp", "values": {}},
     {"address": "module.m.aws_iam_role_policy.chain", "mode": "managed", "type": "aws_iam_role_policy", "name": "chain", "values": {}}
    ],
    "child_modules": [
     {"address": "module.m.module.inner[\"k1\"]", "resources": [
       {"address": "module.m.module.inner[\"k1\"].aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r", "values": {}},
       {"address": "module.m.module.inner[\"k1\"].aws_iam_role_policy_attachment.at", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "at", "values": {}}
     ]},
     {"address": "module.m.module.inner[\"k2\"]", "resources": [
       {"address": "module.m.module.inner[\"k2\"].aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r", "values": {}},
       {"address": "module.m.module.inner[\"k2\"].aws_iam_role_policy_attachment.at", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "at", "values": {}}
     ]}
    ]},
   {"address": "module.lone", "resources": [
     {"address": "module.lone.aws_iam_policy.lp", "mode": "managed", "type": "aws_iam_policy", "name": "lp", "values": {}}
   ]}
  ]
 }},
 "prior_state": {"values": {"root_module": {"resources": [
   {"address": "data.aws_iam_policy_document.d", "mode": "data", "type": "aws_iam_policy_document", "name": "d", "values": {"json": "{}"}}
 ]}}},
 "configuration": {"root_module": {
  "resources": [
   {"address": "aws_iam_role_policy_attachment.t", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "t",
    "expressions": {
     "role": {"references": ["aws_iam_role.ab[0].name", "aws_iam_role.ab[0]", "aws_iam_role.ab", "aws_iam_role.a"]},
     "policy_arn": {"references": ["module.m.policy_arn", "module.m"]},
     "all_ab": {"references": ["aws_iam_role.ab"]},
     "each_y": {"references": ["aws_iam_role.each[\"y\"].name", "aws_iam_role.each[\"y\"]", "aws_iam_role.each"]},
     "doc": {"references": ["data.aws_iam_policy_document.d.json", "data.aws_iam_policy_document.d"]},
     "lone": {"references": ["module.lone.arn", "module.lone"]},
     "noise": {"references": ["local.x", "each.value", "count.index", "path.module", "terraform.workspace", "var.root_var", "aws_iam_role.missing.name", "aws_iam_role.ab[7].name"]},
     "constant": {"constant_value": "x"}
    }}
  ],
  "module_calls": {
   "m": {"source": "./m",
    "expressions": {"role_name": {"references": ["aws_iam_role.each[\"x\"].name", "aws_iam_role.each[\"x\"]", "aws_iam_role.each"]}},
    "module": {
     "resources": [
      {"address": "aws_iam_policy.p", "mode": "managed", "type": "aws_iam_policy", "name": "p"},
      {"address": "aws_iam_role_policy.rp", "mode": "managed", "type": "aws_iam_role_policy", "name": "rp",
       "expressions": {"role": {"references": ["var.role_name"]}, "undeclared": {"references": ["var.nope"]}}},
      {"address": "aws_iam_role_policy.chain", "mode": "managed", "type": "aws_iam_role_policy", "name": "chain",
       "expressions": {"role": {"references": ["module.inner[\"k1\"].role", "module.inner[\"k1\"]", "module.inner"]},
                       "name": {"references": ["module.inner.role", "module.inner"]}}}
     ],
     "outputs": {"policy_arn": {"expression": {"references": ["aws_iam_policy.p.arn", "aws_iam_policy.p"]}}},
     "module_calls": {
      "inner": {"source": "./inner", "for_each_expression": {"constant_value": {"k1": 1, "k2": 2}},
       "expressions": {"policy": {"references": ["aws_iam_policy.p.arn", "aws_iam_policy.p"]}},
       "module": {
        "resources": [
         {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r"},
         {"address": "aws_iam_role_policy_attachment.at", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "at",
          "expressions": {"policy_arn": {"references": ["var.policy"]}}}
        ],
        "outputs": {"role": {"expression": {"references": ["aws_iam_role.r.name", "aws_iam_role.r"]}}}
       }}
     }
    }},
   "lone": {"source": "./lone", "module": {
     "resources": [{"address": "aws_iam_policy.lp", "mode": "managed", "type": "aws_iam_policy", "name": "lp"}],
     "outputs": {"arn": {"expression": {"references": ["aws_iam_policy.lp.arn", "aws_iam_policy.lp"]}}}
   }}
  }
 }}
}`

func TestReferencesAcrossModuleBoundaries(t *testing.T) {
	p, err := plan.OracleBytes("refs.json", []byte(refPlan))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, addr, attr string
		want             []string
	}{
		{"a keyed reference names one instance, a later bare reference names another resource",
			"aws_iam_role_policy_attachment.t", "role", []string{"aws_iam_role.a", "aws_iam_role.ab[0]"}},
		{"a reference without a key names every count instance",
			"aws_iam_role_policy_attachment.t", "all_ab", []string{"aws_iam_role.ab[0]", "aws_iam_role.ab[1]"}},
		{"a for_each key names one instance",
			"aws_iam_role_policy_attachment.t", "each_y", []string{`aws_iam_role.each["y"]`}},
		{"a data source reference",
			"aws_iam_role_policy_attachment.t", "doc", []string{"data.aws_iam_policy_document.d"}},
		{"a module output leads to the resource inside the module",
			"aws_iam_role_policy_attachment.t", "policy_arn", []string{"module.m.aws_iam_policy.p"}},
		{"a module output of a module without keys",
			"aws_iam_role_policy_attachment.t", "lone", []string{"module.lone.aws_iam_policy.lp"}},
		{"locals, each, count, path, terraform, root variables and missing resources lead nowhere",
			"aws_iam_role_policy_attachment.t", "noise", nil},
		{"a constant has no references",
			"aws_iam_role_policy_attachment.t", "constant", nil},
		{"a variable leads to the module call's argument in the parent module",
			"module.m.aws_iam_role_policy.rp", "role", []string{`aws_iam_role.each["x"]`}},
		{"an undeclared variable leads nowhere",
			"module.m.aws_iam_role_policy.rp", "undeclared", nil},
		{"a variable of a for_each module instance resolves in its parent module",
			`module.m.module.inner["k2"].aws_iam_role_policy_attachment.at`, "policy_arn", []string{"module.m.aws_iam_policy.p"}},
		{"a keyed module output names the resource of that instance only",
			"module.m.aws_iam_role_policy.chain", "role", []string{`module.m.module.inner["k1"].aws_iam_role.r`}},
		{"a module output without a key names the resource of every instance",
			"module.m.aws_iam_role_policy.chain", "name", []string{`module.m.module.inner["k1"].aws_iam_role.r`, `module.m.module.inner["k2"].aws_iam_role.r`}},
		{"an attribute with no expression",
			"module.m.aws_iam_policy.p", "policy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.References(tt.addr, tt.attr), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("References(%s, %s) (-want +got):\n%s", tt.addr, tt.attr, diff)
			}
		})
	}
}
