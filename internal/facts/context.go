package facts

import (
	"regexp"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/plan"
)

// awsRegions are real AWS regions, in the order R2 is chosen from.
var awsRegions = []string{
	"ap-southeast-4", "me-central-1", "il-central-1", "ca-west-1", "ap-south-2", "eu-south-2",
	"eu-central-2", "mx-central-1", "ap-southeast-5", "ap-southeast-7", "af-south-1", "sa-east-1",
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
}

var (
	regionPattern  = regexp.MustCompile(`\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d\b`)
	clusterTagKey  = regexp.MustCompile(`^aws:(?:resource|request)tag/kubernetes\.io/cluster/(.+)$`)
	ec2ResourceTag = regexp.MustCompile(`^ec2:resourcetag/kubernetes\.io/cluster/(.+)$`)
)

// nodeClasses are what the plan's EC2NodeClass manifests name: spec.role and spec.instanceProfile.
type nodeClasses struct{ roles, profiles []string }

// context works out a role's request parameters (RULES.md 5.2): R, A, P and C from the strongest
// source of the plan or config, candidates for each unknown one; the node roles it passes (5.5),
// queues and keys.
func (b *builder) context(role *Role, nodeRoles []NodeRole, rel *release, classes nodeClasses, keys []string) Context {
	c := Context{Sources: map[string]string{}}
	minor := ""
	if role.Deployment != nil {
		minor = role.Deployment.Version.Minor
	}
	ro := b.roleOptions(role)
	b.params(role, ro, rel, minor, &c)
	if sa, src := b.serviceAccount(ro, rel); sa != "" {
		c.ServiceAccount, c.Sources["service_account"] = sa, src
	}
	c.Network = b.network(ro)
	c.R2 = b.r2(role)
	c.NodeRoleARNs, c.NodeRoleUnknown = b.nodeRoleARNs(role, nodeRoles, classes, c)
	c.QueueARNs = queueARNs(role)
	// An unknown partition, region or account stays a placeholder in these ARNs, filled with each
	// candidate when the request is made (RULES.md 4.7), as for node roles named without an ARN.
	regional := func(service, resource string) string {
		return "arn:" + firstOf(c.Partition, "{P}") + ":" + service + ":" + firstOf(c.Region, "{R}") + ":" + firstOf(c.Account, "{A}") + ":" + resource
	}
	q := rel.interruptionQueue(minor)
	if v, _, ok := b.configSetting(ro, "interruptionQueue"); ok {
		q = v
	}
	if q != "" {
		// Karpenter calls the queue its settings name, whatever the policy grants.
		c.QueueARNs = []string{regional("sqs", q)}
	}
	c.EBSKMSKeyARNs = []string{}
	for _, k := range keys {
		if strings.HasPrefix(k, "arn:") {
			c.EBSKMSKeyARNs = append(c.EBSKMSKeyARNs, k)
		} else {
			c.EBSKMSKeyARNs = append(c.EBSKMSKeyARNs, regional("kms", "key/"+k))
		}
	}
	c.PodIdentity = b.podIdentityBindings(role)
	return c
}

// roleOptions is the first karpenter.roles entry with its own values that selects the role.
func (b *builder) roleOptions(role *Role) RoleOptions {
	match := b.opt.MatchRole
	if match == nil {
		match = findings.MatchRole
	}
	name := ""
	if role.Name != nil {
		name = *role.Name
	}
	for _, ro := range b.opt.PerRole {
		sel := []string{ro.Selector}
		if ro.Selector == role.Address || match(sel, role.Address, name) || arnMatches(sel, role) {
			return ro
		}
	}
	return RoleOptions{}
}

// resourceProviderRegion reads the constant region of the provider configuration the resource at
// addr uses: Terraform resolves its provider_config_key through the module calls' providers maps,
// so a module handed `providers = { aws = aws.virginia }` names that aliased configuration.
func (b *builder) resourceProviderRegion(addr string) string {
	if b.p.Config == nil {
		return ""
	}
	cr := b.p.ConfigResource(addr)
	if cr == nil || cr.ProviderConfigKey == "" {
		return ""
	}
	pc := b.p.Config.ProviderConfigs[cr.ProviderConfigKey]
	if pc == nil || pc.Name != "aws" || pc.Expressions == nil {
		return ""
	}
	if e := pc.Expressions["region"]; e != nil && e.ExpressionData != nil {
		if s, ok := e.ConstantValue.(string); ok {
			return s
		}
	}
	return ""
}

// providerRegion reads the constant region of the default aws provider configuration (root or
// module).
func (b *builder) providerRegion(module string) string {
	if b.p.Config == nil {
		return ""
	}
	keys := make([]string, 0, len(b.p.Config.ProviderConfigs))
	for k := range b.p.Config.ProviderConfigs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	best := ""
	for _, k := range keys {
		pc := b.p.Config.ProviderConfigs[k]
		if pc == nil || pc.Name != "aws" || pc.Alias != "" || pc.Expressions == nil {
			continue
		}
		e := pc.Expressions["region"]
		if e == nil || e.ExpressionData == nil {
			continue
		}
		s, ok := e.ConstantValue.(string)
		if !ok || s == "" {
			continue
		}
		if pc.ModuleAddress == "" || plan.StripKeys(module) == pc.ModuleAddress {
			if best == "" || pc.ModuleAddress != "" {
				best = s
			}
		}
	}
	return best
}

// podIdentityBindings lists the live pod identity associations whose role_arn is the role (by
// value or reference), sorted by address.
func (b *builder) podIdentityBindings(role *Role) []PodIdentityBinding {
	out := []PodIdentityBinding{}
	for _, r := range b.byType[tPodIdentity] {
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		arn, ok := r.String("role_arn")
		if !(ok && role.ARN != nil && arn == *role.ARN) && !slices.Contains(b.p.References(r.Address, "role_arn"), role.Address) {
			continue
		}
		pb := PodIdentityBinding{Address: r.Address}
		pb.Cluster, _ = r.String("cluster_name")
		pb.Namespace, _ = r.String("namespace")
		pb.ServiceAccount, _ = r.String("service_account")
		if !r.Unknown("disable_session_tags") {
			disabled, _ := r.Values().Get("disable_session_tags")
			on := disabled != true
			pb.SessionTags = &on
		}
		out = append(out, pb)
	}
	slices.SortFunc(out, func(x, y PodIdentityBinding) int { return strings.Compare(x.Address, y.Address) })
	return out
}

func eachStatement(role *Role, fn func(Statement)) {
	for _, p := range role.Policies {
		if p.Document == nil {
			continue
		}
		for _, st := range p.Document.Statements {
			fn(st)
		}
	}
}

// r2 picks a real region named nowhere in the role's policies or the config.
func (b *builder) r2(role *Role) string {
	named := map[string]bool{b.opt.Region: true}
	eachStatement(role, func(st Statement) {
		for _, list := range [][]string{st.Resources, st.NotResources} {
			for _, s := range list {
				for _, m := range regionPattern.FindAllString(s, -1) {
					named[m] = true
				}
			}
		}
		for _, c := range st.Conditions {
			for _, v := range c.Values {
				for _, m := range regionPattern.FindAllString(v, -1) {
					named[m] = true
				}
			}
		}
	})
	for _, r := range awsRegions {
		if !named[r] {
			return r
		}
	}
	return "ap-southeast-4"
}

// nodeRoleARNs lists the roles Karpenter passes at launch (RULES.md 5.5): the EC2NodeClasses'
// spec.role and the roles of their spec.instanceProfile, aws_iam_role.node of the role's module
// instance, the roles of EC2_LINUX and EC2_WINDOWS access entries of the cluster; failing those,
// the plan's node roles (trusted by ec2.amazonaws.com) whose ARN the role's policies name. With none,
// unknown is true and the list holds the candidates of RULES.md 4.7: each role the policies name
// in PassRole resources, and one named nowhere.
func (b *builder) nodeRoleARNs(role *Role, nodeRoles []NodeRole, classes nodeClasses, c Context) (arns []string, unknown bool) {
	add := func(arn string) {
		if arn != "" && !slices.Contains(arns, arn) {
			arns = append(arns, arn)
		}
	}
	// A role named without its account is a role of A; with A or P unknown the ARN keeps the
	// placeholder, filled for each candidate when the request is made.
	byName := func(name string) string {
		if strings.HasPrefix(name, "arn:") {
			return name
		}
		return "arn:" + firstOf(c.Partition, "{P}") + ":iam::" + firstOf(c.Account, "{A}") + ":role/" + name
	}
	for _, name := range classes.roles {
		add(byName(name))
	}
	for _, p := range classes.profiles {
		for _, r := range b.byType[tInstanceProfile] {
			if n, _ := r.String("name"); n != p || r.Mode != modeManaged || r.Deleted() {
				continue
			}
			if rn, ok := r.String("role"); ok && rn != "" {
				add(byName(rn))
			} else {
				for _, ref := range b.p.References(r.Address, "role") {
					if nr := b.byAddr[ref]; nr != nil && nr.ARN != nil {
						add(*nr.ARN)
					} else if nr != nil && nr.Name != nil {
						add(byName(*nr.Name))
					}
				}
			}
		}
	}
	if role.Module != "" {
		for _, n := range nodeRoles {
			if mod, rel := plan.SplitAddress(n.Address); mod == role.Module && plan.StripKeys(rel) == "aws_iam_role.node" {
				add(nodeRoleARN(n, byName))
			}
		}
	}
	for _, r := range b.byType[tAccessEntry] {
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		if t, _ := r.String("type"); t != "EC2_LINUX" && t != "EC2_WINDOWS" {
			continue
		}
		if cl, ok := r.String("cluster_name"); ok && c.Cluster != "" && cl != c.Cluster {
			continue
		}
		if p, ok := r.String("principal_arn"); ok && p != "" {
			add(p)
			continue
		}
		for _, ref := range b.p.References(r.Address, "principal_arn") {
			for _, n := range nodeRoles {
				if n.Address == ref {
					add(nodeRoleARN(n, byName))
				}
			}
		}
	}
	if len(arns) == 0 {
		named := map[string]bool{}
		eachStatement(role, func(st Statement) {
			for _, r := range st.Resources {
				named[r] = true
			}
		})
		for _, n := range nodeRoles {
			if n.Address == role.Address {
				continue
			}
			switch {
			case n.ARN != nil && named[*n.ARN]:
				add(*n.ARN)
			case n.ARN == nil && n.Name != nil && namesRole(named, *n.Name):
				// A role created here has no ARN yet; the policy names it by its name.
				add(byName(*n.Name))
			}
		}
	}
	if len(arns) > 0 {
		slices.Sort(arns)
		return arns, false
	}
	// No node role: the candidates.
	eachStatement(role, func(st Statement) {
		if !strings.EqualFold(st.Effect, "Allow") || !slices.ContainsFunc(st.Actions, func(a string) bool { return globMatch(a, "iam:passrole") }) {
			return
		}
		for _, r := range st.Resources {
			if strings.Contains(r, ":role/") && !strings.ContainsAny(r, "*?$") {
				add(r)
			}
		}
	})
	slices.Sort(arns)
	arns = append(arns, "arn:"+firstOf(c.Partition, "{P}")+":iam::"+firstOf(c.Account, "{A}")+":role/karpgate-unnamed-node-role")
	return arns, true
}

// namesRole reports whether one of the ARNs in named is an IAM role ARN whose name (after any
// path) is name or a pattern matching it.
func namesRole(named map[string]bool, name string) bool {
	for r := range named {
		if !strings.HasPrefix(r, "arn:") || !strings.Contains(r, ":iam::") {
			continue
		}
		_, res, ok := strings.Cut(r, ":role/")
		if !ok || strings.Contains(res, "$") {
			continue
		}
		if i := strings.LastIndex(res, "/"); i >= 0 {
			res = res[i+1:]
		}
		if globMatch(res, name) {
			return true
		}
	}
	return false
}

// nodeRoleARN is a node role's ARN: known, else from its name.
func nodeRoleARN(n NodeRole, byName func(string) string) string {
	if n.ARN != nil {
		return *n.ARN
	}
	if n.Name != nil {
		return byName(*n.Name)
	}
	return ""
}

// queueARNs lists the concrete SQS queue ARNs the policies name.
func queueARNs(role *Role) []string {
	var out []string
	eachStatement(role, func(st Statement) {
		for _, r := range st.Resources {
			if strings.HasPrefix(r, "arn:") && strings.Contains(r, ":sqs:") && !strings.ContainsAny(r, "*?$") {
				out = append(out, r)
			}
		}
	})
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}
