package facts

import (
	"regexp"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/plan"
)

// Defaults of RULES.md §5 when nothing names a parameter.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccount   = "123456789012"
	DefaultPartition = "aws"
	DefaultCluster   = "cluster"
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

type param struct{ value, source string }

// context works out R, A, P and C for a role: config, then the plan, then the role's own policies
// (every candidate is tried), then the defaults.
func (b *builder) context(role *Role, nodeRoles []NodeRole, rel *release, classRoles, keys []string) Context {
	regions, accounts, partitions := policyARNParts(role)
	c := Context{Sources: map[string]string{}}
	pick := func(name string, candidates []param, fromPolicy []string, def string) (string, []string) {
		for _, p := range candidates {
			if p.value != "" {
				c.Sources[name] = p.source
				return p.value, []string{p.value}
			}
		}
		if len(fromPolicy) > 0 {
			c.Sources[name] = "policy"
			return fromPolicy[0], fromPolicy
		}
		c.Sources[name] = "default"
		return def, []string{def}
	}
	c.Region, c.Regions = pick("region", []param{
		{b.opt.Region, "config"},
		{b.resourceProviderRegion(role.Address), "provider"},
		{b.providerRegion(role.Module), "provider"},
		{b.dataAttr(role.Module, tRegion, "name", "region"), "data.aws_region"},
	}, regions, DefaultRegion)
	c.Account, c.Accounts = pick("account", []param{
		{b.opt.Account, "config"},
		{b.dataAttr(role.Module, tCallerIdentity, "account_id"), "data.aws_caller_identity"},
		{accountOf(role.ARN), "role-arn"},
	}, accounts, DefaultAccount)
	c.Partition, c.Partitions = pick("partition", []param{
		{b.opt.Partition, "config"},
		{b.dataAttr(role.Module, tPartition, "partition"), "data.aws_partition"},
	}, partitions, DefaultPartition)
	minor := ""
	if role.Deployment != nil {
		minor = role.Deployment.Version.Minor
	}
	relSource := ""
	if rel != nil {
		relSource = rel.r.Address + " settings.clusterName"
	}
	c.Cluster, _ = pick("cluster", []param{
		{b.opt.Cluster, "config"},
		{rel.clusterName(minor), relSource},
		{b.podIdentityCluster(role), "pod-identity"},
		{clusterFromConditions(role), "policy"},
	}, nil, DefaultCluster)
	c.R2 = b.r2(role)
	c.NodeRoleARNs = nodeRoleARNs(role, nodeRoles)
	for _, name := range classRoles {
		arn := name
		if !strings.HasPrefix(name, "arn:") {
			arn = "arn:" + c.Partition + ":iam::" + c.Account + ":role/" + name
		}
		if !slices.Contains(c.NodeRoleARNs, arn) {
			c.NodeRoleARNs = append(c.NodeRoleARNs, arn)
		}
	}
	c.QueueARNs = queueARNs(role)
	if q := rel.interruptionQueue(minor); q != "" {
		// Karpenter calls the queue the release names, whatever the policy grants.
		c.QueueARNs = []string{"arn:" + c.Partition + ":sqs:" + c.Region + ":" + c.Account + ":" + q}
	}
	c.EBSKMSKeyARNs = []string{}
	for _, k := range keys {
		if strings.HasPrefix(k, "arn:") {
			c.EBSKMSKeyARNs = append(c.EBSKMSKeyARNs, k)
		} else {
			c.EBSKMSKeyARNs = append(c.EBSKMSKeyARNs, "arn:"+c.Partition+":kms:"+c.Region+":"+c.Account+":key/"+k)
		}
	}
	c.PodIdentity = b.podIdentityBindings(role)
	return c
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

// dataAttr reads a known attribute of a data source of type typ, preferring the role's module,
// then the root module, then any module.
func (b *builder) dataAttr(module, typ string, attrs ...string) string {
	var found [3]string
	for _, r := range b.byType[typ] {
		if r.Mode != modeData {
			continue
		}
		v := ""
		for _, attr := range attrs {
			if s, ok := r.String(attr); ok && s != "" {
				v = s
				break
			}
		}
		if v == "" {
			continue
		}
		switch {
		case r.Module == module && found[0] == "":
			found[0] = v
		case r.Module == "" && found[1] == "":
			found[1] = v
		case found[2] == "":
			found[2] = v
		}
	}
	for _, v := range found {
		if v != "" {
			return v
		}
	}
	return ""
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

func (b *builder) podIdentityCluster(role *Role) string {
	for _, r := range b.byType[tPodIdentity] {
		a := r.Address
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		bound := false
		if arn, ok := r.String("role_arn"); ok && role.ARN != nil && arn == *role.ARN {
			bound = true
		}
		if slices.Contains(b.p.References(a, "role_arn"), role.Address) {
			bound = true
		}
		if !bound {
			continue
		}
		if s, ok := r.String("cluster_name"); ok && s != "" {
			return s
		}
	}
	return ""
}

// clusterFromConditions finds C in kubernetes.io/cluster/<C> condition keys of the role's policies.
func clusterFromConditions(role *Role) string {
	seen := map[string]bool{}
	var out []string
	eachStatement(role, func(st Statement) {
		for _, c := range st.Conditions {
			for _, re := range []*regexp.Regexp{clusterTagKey, ec2ResourceTag} {
				if m := re.FindStringSubmatchIndex(c.Key); m != nil && len(c.Written) == len(c.Key) {
					name := c.Written[m[2]:m[3]]
					if !strings.ContainsAny(name, "*?$") && !seen[name] {
						seen[name] = true
						out = append(out, name)
					}
				}
			}
		}
	})
	if len(out) == 0 {
		return ""
	}
	slices.Sort(out)
	return out[0]
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

// policyARNParts collects the concrete regions, accounts and partitions named in the ARNs of the
// role's policies, sorted by how often they appear (then by name).
func policyARNParts(role *Role) (regions, accounts, partitions []string) {
	count := [3]map[string]int{{}, {}, {}}
	eachStatement(role, func(st Statement) {
		for _, r := range append(append([]string{}, st.Resources...), st.NotResources...) {
			parts := strings.SplitN(r, ":", 6)
			if len(parts) < 6 || parts[0] != "arn" {
				continue
			}
			for i, v := range []string{parts[3], parts[4], parts[1]} {
				if v == "" || strings.ContainsAny(v, "*?$") {
					continue
				}
				if i == 1 && (v == "aws" || len(v) != 12) {
					continue // "aws" owns managed policies; accounts are 12 digits
				}
				count[i][v]++
			}
		}
	})
	order := func(m map[string]int) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.SortFunc(out, func(a, b string) int {
			if m[a] != m[b] {
				return m[b] - m[a]
			}
			return strings.Compare(a, b)
		})
		return out
	}
	return order(count[0]), order(count[1]), order(count[2])
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

// nodeRoleARNs lists the PassRole targets: node roles whose ARN the policies name; else the
// concrete role ARNs of PassRole statements.
func nodeRoleARNs(role *Role, nodeRoles []NodeRole) []string {
	named := map[string]bool{}
	var passRole []string
	eachStatement(role, func(st Statement) {
		for _, r := range st.Resources {
			named[r] = true
		}
		for _, a := range st.Actions {
			if a == "iam:passrole" {
				for _, r := range st.Resources {
					if strings.Contains(r, ":role/") && !strings.ContainsAny(r, "*?$") {
						passRole = append(passRole, r)
					}
				}
			}
		}
	})
	var out []string
	for _, n := range nodeRoles {
		if n.ARN != nil && named[*n.ARN] && n.Address != role.Address {
			out = append(out, *n.ARN)
		}
	}
	if len(out) == 0 {
		out = passRole
	}
	out = append([]string{}, out...)
	slices.Sort(out)
	return slices.Compact(out)
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
