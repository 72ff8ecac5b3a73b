package facts

import "sort"

// PrincipalTags are the aws:PrincipalTag/<key> values of the role's sessions (RULES.md 3b.4): the
// pod identity session tags unless an association disables them, else the role's own tags
// (tags_all). Known maps each key to its value; Open lists keys that are present with a value
// karpgate does not know (the pod's name and uid, or a tag whose value differs between the
// role's associations). Every other key is absent.
type PrincipalTags struct {
	Known map[string]string `json:"known"`
	Open  []string          `json:"open"`
}

// The session tags EKS Pod Identity sets whose value is the pod's own.
func podSessionTagsOpen() []string { return []string{"kubernetes-pod-name", "kubernetes-pod-uid"} }

// principalTags works out the principal tags of a role, or nil when they are not known (the
// role's tags are unknown until apply or outside the plan, or an association's session tag
// setting is unknown): then every aws:PrincipalTag key stays open.
func (b *builder) principalTags(role *Role, c *Context) *PrincipalTags {
	r := b.p.Resources[role.Address]
	if r == nil || r.Unknown("tags_all") {
		return nil
	}
	pt := &PrincipalTags{Known: map[string]string{}, Open: []string{}}
	if tags, ok := r.Values().Value("tags_all").(map[string]any); ok {
		for k, v := range tags {
			if s, ok := v.(string); ok {
				pt.Known[k] = s
			}
		}
	}
	session := map[string]string{}
	open := map[string]bool{}
	for i, pb := range c.PodIdentity {
		if pb.SessionTags == nil {
			return nil
		}
		if !*pb.SessionTags {
			continue
		}
		vals := map[string]string{
			"eks-cluster-name":           pb.Cluster,
			"kubernetes-namespace":       pb.Namespace,
			"kubernetes-service-account": pb.ServiceAccount,
			"eks-cluster-arn":            "",
		}
		if pb.Cluster != "" && c.Partition != "" && c.Region != "" && c.Account != "" && c.Sources["account"] != "default" && c.Sources["region"] != "default" {
			vals["eks-cluster-arn"] = "arn:" + c.Partition + ":eks:" + c.Region + ":" + c.Account + ":cluster/" + pb.Cluster
		}
		for k, v := range vals {
			prev, seen := session[k]
			switch {
			case v == "" || (i > 0 && seen && prev != v):
				open[k] = true
			case !seen:
				session[k] = v
			}
		}
		for _, k := range podSessionTagsOpen() {
			open[k] = true
		}
	}
	for k, v := range session {
		pt.Known[k] = v
	}
	for k := range open {
		delete(pt.Known, k)
		pt.Open = append(pt.Open, k)
	}
	sort.Strings(pt.Open)
	return pt
}
