package facts

import (
	"regexp"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/karpgate/karpgate/internal/plan"
)

// ModuleCall is the call of a known Karpenter module that creates a role: what a fix changes when
// the offending policy is that module's own.
type ModuleCall struct {
	Address           string `json:"address"`            // module.karpenter (keys dropped)
	Name              string `json:"name"`               // the block label: module "karpenter"
	Source            string `json:"source"`             // as written in the call
	VersionConstraint string `json:"version_constraint"` // registry modules; "" otherwise
	// Module is the known module: "terraform-aws-eks/karpenter" (terraform-aws-eks
	// modules/karpenter, from the registry, git or a local copy).
	Module string `json:"module"`
	// Generation is the module version range the installed module's variables identify:
	// "v19", "v20.0" (v20.0-v20.23), "v20.24" (v20.24-v20.x), "v21", or "" when they match none.
	Generation string `json:"generation"`
	// Arguments holds the call's arguments with a constant value, and for the switches the fixes
	// set (enable_v1_permissions) the module's default when the call omits them.
	Arguments map[string]any `json:"arguments"`
	// Omitted names the switches the call leaves at their default.
	Omitted []string `json:"omitted"`
}

// Module generations.
const (
	GenV19   = "v19"
	GenV20   = "v20.0"
	GenV2024 = "v20.24"
	GenV21   = "v21"
)

// The switches of terraform-aws-eks modules/karpenter a fix may set.
var moduleSwitches = []string{"enable_v1_permissions"}

// moduleCall describes the terraform-aws-eks modules/karpenter call that creates the role, or nil
// when the role is not inside one.
func (b *builder) moduleCall(role *Role) *ModuleCall {
	if role.Module == "" {
		return nil
	}
	addr := plan.StripKeys(role.Module)
	call := b.p.ModuleCall(addr)
	if call == nil || !strings.Contains(call.Source, "modules/karpenter") {
		return nil
	}
	name := addr[strings.LastIndex(addr, "module.")+len("module."):]
	mc := &ModuleCall{Address: addr, Name: name, Source: call.Source, VersionConstraint: call.VersionConstraint, Module: "terraform-aws-eks/karpenter", Arguments: map[string]any{}, Omitted: []string{}}
	var vars map[string]*tfjson.ConfigVariable
	if call.Module != nil {
		vars = call.Module.Variables
	}
	mc.Generation = generation(vars, call.VersionConstraint)
	for k, e := range call.Expressions {
		if e != nil && e.ExpressionData != nil && e.ConstantValue != nil && e.ConstantValue != tfjson.UnknownConstantValue {
			mc.Arguments[k] = e.ConstantValue
		}
	}
	for _, sw := range moduleSwitches {
		if _, set := call.Expressions[sw]; set {
			continue
		}
		if v, ok := vars[sw]; ok && v != nil {
			mc.Arguments[sw] = v.Default
			mc.Omitted = append(mc.Omitted, sw)
		}
	}
	return mc
}

// generation tells the module version range from the installed module's variables (which a local
// copy or a fork has too), else from the call's version constraint.
func generation(vars map[string]*tfjson.ConfigVariable, constraint string) string {
	has := func(n string) bool { _, ok := vars[n]; return ok }
	switch {
	case len(vars) == 0:
	case has("enable_v1_permissions"):
		return GenV2024
	case has("create_irsa") || (has("policies") && !has("create_pod_identity_association")):
		return GenV19
	case has("iam_policy_statements") && (has("enable_irsa") || has("enable_pod_identity")):
		return GenV20
	case has("iam_policy_statements"):
		return GenV21
	}
	return generationOf(constraint)
}

var versionNumber = regexp.MustCompile(`(\d+)(?:\.(\d+))?`)

// generationOf reads the lowest version a constraint allows ("20.24.0", "~> 20.24", ">= 19.0").
func generationOf(constraint string) string {
	m := versionNumber.FindStringSubmatch(constraint)
	if m == nil {
		return ""
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	switch {
	case major == 19:
		return GenV19
	case major == 20 && minor < 24:
		return GenV20
	case major == 20:
		return GenV2024
	case major == 21:
		return GenV21
	}
	return ""
}
