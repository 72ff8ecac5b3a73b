package facts

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/plan"
)

// Sources of RULES.md 5.2, strongest first. A rank holds what the sources of one strength say;
// when they disagree the parameter is unknown.
type rank struct {
	source string
	values []string
}

// SourceUnknown is Context.Sources' value for a parameter no source settles.
const SourceUnknown = "unknown"

// resolve picks a parameter's value from its ranks: the first rank that says anything decides when
// all of its values agree; values that disagree make the parameter unknown (returned in conflict).
func resolve(ranks []rank) (value, source string, conflict []string) {
	for _, r := range ranks {
		var vs []string
		for _, v := range r.values {
			if v != "" && !slices.Contains(vs, v) {
				vs = append(vs, v)
			}
		}
		switch len(vs) {
		case 0:
			continue
		case 1:
			return vs[0], r.source, nil
		default:
			slices.Sort(vs)
			return "", fmt.Sprintf("%s: %s disagree", SourceUnknown, r.source), vs
		}
	}
	return "", SourceUnknown, nil
}

var (
	issuerHost    = regexp.MustCompile(`^(?:https://)?oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/id/([A-Za-z0-9]+)$`)
	accountDigits = regexp.MustCompile(`^\d{12}$`)
)

// trustIssuers lists the OIDC providers the role's trust names in Federated principals: ARN and
// issuer (the part after oidc-provider/).
func trustIssuers(role *Role) (arns, issuers []string) {
	if role.Trust == nil || role.Trust.Document == nil {
		return nil, nil
	}
	for _, st := range role.Trust.Document.Statements {
		for _, p := range st.Principals["Federated"] {
			if _, iss, ok := strings.Cut(p, ":oidc-provider/"); ok && strings.HasPrefix(p, "arn:") {
				arns = append(arns, p)
				issuers = append(issuers, iss)
			}
		}
	}
	return arns, issuers
}

// arnPart returns part i (1: the partition) of a concrete ARN, or "" (accountOf reads the account).
func arnPart(arn *string, i int) string {
	if arn == nil {
		return ""
	}
	parts := strings.SplitN(*arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || strings.ContainsAny(parts[i], "*?$") {
		return ""
	}
	return parts[i]
}

// regionPartition is the partition of a region (RULES.md 5.2).
func regionPartition(region string) string {
	switch {
	case region == "":
		return ""
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// constantInput reads a constant input of the module call that creates module.
func (b *builder) constantInput(module, name string) string {
	if module == "" {
		return ""
	}
	call := b.p.ModuleCall(module)
	if call == nil || call.Expressions == nil {
		return ""
	}
	if e := call.Expressions[name]; e != nil && e.ExpressionData != nil {
		if s, ok := e.ConstantValue.(string); ok {
			return s
		}
	}
	return ""
}

// issuerClusters lists the names of the aws_eks_cluster resources whose OIDC issuer is one of
// issuers.
func (b *builder) issuerClusters(issuers []string) []string {
	var out []string
	for _, r := range b.byType[tEKSCluster] {
		if r.Mode != modeManaged || r.Deleted() {
			continue
		}
		name, ok := r.String("name")
		if !ok || name == "" {
			continue
		}
		for _, iss := range clusterIssuers(r) {
			iss = strings.TrimPrefix(iss, "https://")
			if slices.Contains(issuers, iss) {
				out = append(out, name)
			}
		}
	}
	return out
}

// clusterIssuers reads identity[*].oidc[*].issuer of an aws_eks_cluster.
func clusterIssuers(r *plan.Resource) []string {
	v, _ := r.Values().Get("identity")
	var out []string
	ids, _ := v.([]any)
	for _, id := range ids {
		m, _ := id.(map[string]any)
		oidcs, _ := m["oidc"].([]any)
		for _, o := range oidcs {
			om, _ := o.(map[string]any)
			if s, ok := om["issuer"].(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// bindingResources are the resources that bind the role to its cluster: its pod identity
// associations and the clusters they name or the IRSA trust's issuer names.
func (b *builder) bindingResources(role *Role, issuers []string) []*plan.Resource {
	var out []*plan.Resource
	clusters := map[string]bool{}
	for _, r := range b.byType[tPodIdentity] {
		if r.Mode != modeManaged || r.Deleted() || !b.bindsRole(r, role) {
			continue
		}
		out = append(out, r)
		if c, ok := r.String("cluster_name"); ok {
			clusters[c] = true
		}
	}
	for _, c := range b.issuerClusters(issuers) {
		clusters[c] = true
	}
	for _, r := range b.byType[tEKSCluster] {
		if n, ok := r.String("name"); ok && clusters[n] && r.Mode == modeManaged && !r.Deleted() {
			out = append(out, r)
		}
	}
	return out
}

// params works out R, A, P and C of a role from the sources of RULES.md 5.2, strongest first;
// an unknown one gets its candidates (RULES.md 4.7).
func (b *builder) params(role *Role, rc RoleOptions, rel *release, minor string, c *Context) {
	trustARNs, issuers := trustIssuers(role)
	binding := b.bindingResources(role, issuers)

	// R.
	var resRegions, issuerRegions, provRegions []string
	for _, r := range binding {
		if s, ok := r.String("region"); ok {
			resRegions = append(resRegions, s)
		}
		provRegions = append(provRegions, b.resourceProviderRegion(r.Address))
	}
	for _, iss := range issuers {
		if m := issuerHost.FindStringSubmatch(iss); m != nil {
			issuerRegions = append(issuerRegions, m[1])
		}
	}
	if !slices.ContainsFunc(provRegions, func(s string) bool { return s != "" }) {
		provRegions = []string{b.resourceProviderRegion(role.Address)}
		if provRegions[0] == "" {
			provRegions[0] = b.providerRegion(role.Module)
		}
	}
	regionSources := []rank{
		{"config", []string{firstOf(rc.Region, b.opt.Region)}},
		{"resource region", resRegions},
		{"IRSA issuer", issuerRegions},
		{"module region input", []string{b.constantInput(role.Module, "region")}},
		{"provider", provRegions},
		{"data.aws_region", []string{b.moduleData(role.Module, tRegion, "name", "region")}},
	}
	var conflicts [4][]string
	c.Region, c.Sources["region"], conflicts[0] = resolve(regionSources)

	// A and P from the role's ARN and the trust's OIDC provider ARN.
	var oidcAccounts, oidcPartitions []string
	for _, a := range trustARNs {
		oidcAccounts = append(oidcAccounts, accountOf(&a))
		oidcPartitions = append(oidcPartitions, arnPart(&a, 1))
	}
	c.Account, c.Sources["account"], conflicts[1] = resolve([]rank{
		{"config", []string{firstOf(rc.Account, b.opt.Account)}},
		{"role-arn", []string{accountOf(role.ARN)}},
		{"oidc-provider-arn", oidcAccounts},
		{"data.aws_caller_identity", []string{b.moduleData(role.Module, tCallerIdentity, "account_id")}},
	})
	c.Partition, c.Sources["partition"], conflicts[2] = resolve([]rank{
		{"config", []string{firstOf(rc.Partition, b.opt.Partition)}},
		{"role-arn", []string{arnPart(role.ARN, 1)}},
		{"oidc-provider-arn", oidcPartitions},
		{"data.aws_partition", []string{b.moduleData(role.Module, tPartition, "partition")}},
		{"region", []string{regionPartition(c.Region)}},
	})

	// C.
	relSource, relCluster := "", ""
	if rel != nil {
		relSource, relCluster = rel.r.Address+" settings.clusterName", rel.clusterName(minor)
	}
	var podClusters []string
	for _, r := range binding {
		if r.Type == tPodIdentity {
			s, _ := r.String("cluster_name")
			podClusters = append(podClusters, s)
		}
	}
	c.Cluster, c.Sources["cluster"], conflicts[3] = resolve([]rank{
		{"config", []string{firstOf(rc.Cluster, rc.Settings["clusterName"], b.opt.Cluster, b.opt.Settings["clusterName"])}},
		{relSource, []string{relCluster}},
		{"pod-identity", podClusters},
		{"IRSA issuer cluster", b.issuerClusters(issuers)},
		{"module cluster_name input", []string{b.constantInput(role.Module, "cluster_name")}},
	})

	named := policyNames(role)
	c.Regions = paramCandidates(c.Region, conflicts[0], named.regions, named.regionPatterns, awsRegions)
	c.Accounts = paramCandidates(c.Account, conflicts[1], named.accounts, named.accountPatterns, nowhereAccounts)
	c.Partitions = paramCandidates(c.Partition, conflicts[2], named.partitions, nil, partitions)
	c.Clusters = paramCandidates(c.Cluster, conflicts[3], named.clusters, named.clusterPatterns, nowhereClusters)
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

var (
	nowhereAccounts = []string{"999999999999", "999999999998", "999999999997"}
	nowhereClusters = []string{"karpgate-unnamed-cluster", "karpgate-unnamed-cluster-2"}
	partitions      = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"}
)

// paramCandidates lists the values an unknown parameter is tried with (RULES.md 4.7): the values
// its disagreeing sources name, each value the role's policies name in its position, one value
// named nowhere (the first of pool that is not named) and one matching each pattern. A known
// parameter has its value alone.
func paramCandidates(value string, conflict, named, patterns, pool []string) []string {
	if value != "" {
		return []string{value}
	}
	out := append(append([]string{}, conflict...), named...)
	for _, v := range pool {
		if !slices.Contains(out, v) {
			out = append(out, v)
			break
		}
	}
	for _, p := range patterns {
		if slices.ContainsFunc(out, func(v string) bool { return globMatch(p, v) }) {
			continue
		}
		v := ""
		for _, x := range pool {
			if globMatch(p, x) {
				v = x
				break
			}
		}
		if v == "" {
			v = strings.NewReplacer("*", "x", "?", "0").Replace(p)
		}
		out = append(out, v)
	}
	slices.Sort(out[len(conflict)+len(named):])
	return slices.Compact(out)
}

// named holds the values the role's policies name in the position of each parameter, and the
// patterns (with * or ?) they write there.
type named struct {
	regions, accounts, partitions, clusters          []string
	regionPatterns, accountPatterns, clusterPatterns []string
}

var clusterValueKey = regexp.MustCompile(`^(?:aws|ec2):(?:resource|request)tag/(?:eks:eks-cluster-name|karpenter\.sh/managed-by)$`)

// policyNames collects, sorted, what the role's policies name in the position of R, A, P and C:
// ARN segments, region and cluster condition values, kubernetes.io/cluster/<C> keys and EKS
// cluster ARNs.
func policyNames(role *Role) named {
	var n named
	add := func(list *[]string, pats *[]string, v string) {
		if v == "" {
			return
		}
		if strings.ContainsAny(v, "*?") {
			if pats != nil && v != "*" {
				*pats = append(*pats, v)
			}
			return
		}
		if !strings.Contains(v, "$") {
			*list = append(*list, v)
		}
	}
	eachStatement(role, func(st Statement) {
		for _, r := range append(append([]string{}, st.Resources...), st.NotResources...) {
			parts := strings.SplitN(r, ":", 6)
			if len(parts) < 6 || parts[0] != "arn" {
				continue
			}
			add(&n.partitions, nil, parts[1])
			add(&n.regions, &n.regionPatterns, parts[3])
			if parts[4] != "aws" && (accountDigits.MatchString(parts[4]) || strings.ContainsAny(parts[4], "*?")) {
				add(&n.accounts, &n.accountPatterns, parts[4])
			}
			if parts[2] == "eks" {
				if name, ok := strings.CutPrefix(parts[5], "cluster/"); ok {
					add(&n.clusters, &n.clusterPatterns, name)
				}
			}
		}
		for _, c := range st.Conditions {
			if m := clusterTagKey.FindStringSubmatchIndex(c.Key); m != nil && len(c.Written) == len(c.Key) {
				add(&n.clusters, &n.clusterPatterns, c.Written[m[2]:m[3]])
			}
			if m := ec2ResourceTag.FindStringSubmatchIndex(c.Key); m != nil && len(c.Written) == len(c.Key) {
				add(&n.clusters, &n.clusterPatterns, c.Written[m[2]:m[3]])
			}
			switch {
			case c.Key == "aws:requestedregion" || c.Key == "ec2:region":
				for _, v := range c.Values {
					add(&n.regions, &n.regionPatterns, v)
				}
			case c.Key == "aws:principalaccount" || c.Key == "aws:resourceaccount":
				for _, v := range c.Values {
					add(&n.accounts, &n.accountPatterns, v)
				}
			case clusterValueKey.MatchString(c.Key):
				for _, v := range c.Values {
					add(&n.clusters, &n.clusterPatterns, v)
				}
			}
		}
	})
	for _, l := range []*[]string{&n.regions, &n.accounts, &n.partitions, &n.clusters, &n.regionPatterns, &n.accountPatterns, &n.clusterPatterns} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	return n
}

// moduleData reads a known attribute of a data source of type typ in the role's module instance
// (RULES.md 5.2), else in the root module (whose data sources a module call is usually handed).
func (b *builder) moduleData(module, typ string, attrs ...string) string {
	found := [2]string{}
	for _, r := range b.byType[typ] {
		if r.Mode != modeData || (r.Module != module && r.Module != "") {
			continue
		}
		for _, attr := range attrs {
			if s, ok := r.String(attr); ok && s != "" {
				i := 1
				if r.Module == module {
					i = 0
				}
				if found[i] == "" {
					found[i] = s
				}
				break
			}
		}
	}
	return firstOf(found[0], found[1])
}
