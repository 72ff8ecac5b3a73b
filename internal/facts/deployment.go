package facts

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/karpgate/karpgate/internal/plan"
)

// Deployment is what the plan and config say about the Karpenter a role serves (RULES.md 5.1):
// its version V, the version V0 it upgrades from, and the features that decide its requests, each
// with where it came from.
type Deployment struct {
	Version     VersionFact        `json:"version"`
	UpgradeFrom VersionFact        `json:"upgrade_from"`
	Release     string             `json:"release"` // the linked helm_release, "" when none
	Features    map[string]Feature `json:"features"`
	// NodeClasses are the EC2NodeClass manifests of the plan, by name; empty when it has none.
	NodeClasses []NodeClass `json:"node_classes"`
}

// NodeClass is an EC2NodeClass of the plan: its name and the features of the request data it
// uses (nodeclass_role, alias_ami, al2023, snapshots, ebs_kms, capacity_reservations,
// placement_groups), so that a refused launch request names the EC2NodeClasses whose nodes do not
// launch.
type NodeClass struct {
	Name     string   `json:"name"`
	Address  string   `json:"address"`
	Features []string `json:"features"`
}

// VersionFact is a Karpenter version: State is "known", "unknown" or (upgrade_from only) "none".
type VersionFact struct {
	State   string `json:"state"`
	Version string `json:"version"`
	Minor   string `json:"minor"`
	Source  string `json:"source"`
}

// Feature is one feature of the request data: State is "on", "off", "unknown" or "default" (the
// chart default of the judged version).
type Feature struct {
	State  string `json:"state"`
	Source string `json:"source"`
}

// Version states.
const (
	StateKnown   = "known"
	StateUnknown = "unknown"
	StateNone    = "none"
)

const (
	tHelmRelease  = "helm_release"
	tK8sManifest  = "kubernetes_manifest"
	tKubectl      = "kubectl_manifest"
	featureOn     = "on"
	featureOff    = "off"
	featureUnk    = "unknown"
	featureChart  = "default"
	settingPrefix = "settings."
)

var versionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?$`)

// ParseVersion reads a Karpenter or chart version ("v0.36.2", "1.2.3", "1.12") and returns its
// minor version ("0.36"); ok is false for anything else (a range such as "~1.2" is unknown).
func ParseVersion(s string) (minor string, ok bool) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	major, _ := strconv.Atoi(m[1])
	minorN, _ := strconv.Atoi(m[2])
	return strconv.Itoa(major) + "." + strconv.Itoa(minorN), true
}

// VersionOverride is a deployed Karpenter version given by the program that builds the facts
// (karpgate's command line), ahead of config. Source names where it came from in that program's
// words, for the version's source in messages ("--karpenter-version"); empty means
// SourceOverride.
type VersionOverride struct {
	Version string
	Source  string
}

// SourceOverride is the source of an override whose Source is empty.
const SourceOverride = "command line"

func (o VersionOverride) source() string {
	if o.Source == "" {
		return SourceOverride
	}
	return o.Source
}

func versionFact(s, source string) VersionFact {
	if minor, ok := ParseVersion(s); ok {
		return VersionFact{State: StateKnown, Version: strings.TrimPrefix(strings.TrimSpace(s), "v"), Minor: minor, Source: source}
	}
	return VersionFact{State: StateUnknown, Source: source}
}

// settingFeatures maps Helm settings to the request data's features ("on" when the setting is
// true, or for string settings non-empty).
var settingFeatures = []struct{ setting, feature string }{
	{"clusterEndpoint", "cluster_endpoint"},
	{"eksControlPlane", "eks_control_plane"},
	{"interruptionQueue", "interruption_queue"},
	{"isolatedVPC", "isolated_vpc"},
	{"disableDryRun", "disable_dry_run"},
	{"enableZonalShift", "zonal_shift"},
	{"featureGates.reservedCapacity", "reserved_capacity_gate"},
}

// v032Settings are the legacy settings.aws.* names of v0.32 that win over settings.* there.
var v032Settings = map[string]string{
	"clusterEndpoint":   "aws.clusterEndpoint",
	"interruptionQueue": "aws.interruptionQueueName",
	"isolatedVPC":       "aws.isolatedVPC",
	"clusterName":       "aws.clusterName",
}

// manifestFeatures are the features EC2NodeClass and NodePool manifests decide.
var manifestFeatures = []string{"spot", "nodeclass_role", "alias_ami", "al2023", "snapshots", "ebs_kms", "capacity_reservations", "placement_groups"}

// karpenterRelease reports whether a helm_release installs the Karpenter controller chart.
func karpenterRelease(r *plan.Resource) bool {
	chart, _ := r.String("chart")
	chart = strings.TrimSuffix(strings.TrimSpace(chart), "/")
	return chart == "karpenter" || strings.HasSuffix(chart, "/karpenter")
}

// release is a Karpenter helm_release with its merged values.
type release struct {
	r       *plan.Resource
	values  map[string]any
	unknown bool // some values or set entries are unknown: unset values are unknown
}

func (b *builder) releases() []*release {
	var out []*release
	for _, r := range b.byType[tHelmRelease] {
		if r.Mode != modeManaged || r.Deleted() || !karpenterRelease(r) {
			continue
		}
		out = append(out, readRelease(r))
	}
	return out
}

// readRelease merges values (YAML documents, in order) and then set, set_list and set_sensitive.
func readRelease(r *plan.Resource) *release {
	rel := &release{r: r, values: map[string]any{}}
	attrs := r.Values()
	if r.Unknown("values") || r.Unknown("set") || r.Unknown("set_list") || r.Unknown("set_sensitive") {
		rel.unknown = true
	}
	if vs, ok := attrs.Value("values").([]any); ok {
		for _, v := range vs {
			s, ok := v.(string)
			if !ok {
				rel.unknown = true
				continue
			}
			dec := yaml.NewDecoder(strings.NewReader(s))
			for {
				var doc map[string]any
				if err := dec.Decode(&doc); err != nil {
					if err.Error() != "EOF" {
						rel.unknown = true
					}
					break
				}
				merge(rel.values, doc)
			}
		}
	}
	for _, attr := range []string{"set", "set_list", "set_sensitive"} {
		list, _ := attrs.Value(attr).([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			name, _ := m["name"].(string)
			if name == "" {
				continue
			}
			v, ok := m["value"]
			if !ok || v == nil {
				rel.unknown = true
				continue
			}
			setPath(rel.values, splitSetName(name), v)
		}
	}
	return rel
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// splitSetName splits a Helm --set name at dots not escaped with a backslash.
func splitSetName(name string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(name); i++ {
		switch {
		case name[i] == '\\' && i+1 < len(name) && name[i+1] == '.':
			cur.WriteByte('.')
			i++
		case name[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(name[i])
		}
	}
	return append(parts, cur.String())
}

func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func (rel *release) get(path ...string) (any, bool) {
	var cur any = rel.values
	for _, p := range path {
		for _, part := range strings.Split(p, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[part]; !ok {
				return nil, false
			}
		}
	}
	return cur, true
}

// setting reads a Karpenter setting (a path under settings) as Karpenter would see it for minor
// version minor: v0.32's settings.aws.* name wins.
func (rel *release) setting(name, minor string) (any, string, bool) {
	if legacy, ok := v032Settings[name]; ok && minor == "0.32" {
		if v, ok := rel.get("settings", legacy); ok {
			return v, settingPrefix + legacy, true
		}
	}
	v, ok := rel.get("settings", name)
	return v, settingPrefix + name, ok
}

func (rel *release) serviceAccount() string {
	if v, ok := rel.get("serviceAccount", "name"); ok {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	name, _ := rel.r.String("name")
	if name == "" || strings.Contains(name, "karpenter") {
		return map[bool]string{true: "karpenter", false: name}[name == ""]
	}
	return name + "-karpenter"
}

func (rel *release) namespace() string {
	ns, _ := rel.r.String("namespace")
	if ns == "" {
		return "default"
	}
	return ns
}

// linkedRelease finds the Karpenter release of a role (RULES.md 5.1).
func (b *builder) linkedRelease(role *Role, rels []*release, karpenterRoles int) *release {
	for _, rel := range rels {
		if v, ok := rel.get("serviceAccount", "annotations"); ok {
			if m, ok := v.(map[string]any); ok {
				if arn, ok := m["eks.amazonaws.com/role-arn"].(string); ok && role.ARN != nil && arn == *role.ARN {
					return rel
				}
			}
		}
		if slices.Contains(b.p.References(rel.r.Address, "values"), role.Address) {
			return rel
		}
	}
	for _, r := range b.byType[tPodIdentity] {
		if r.Mode != modeManaged || r.Deleted() || !b.bindsRole(r, role) {
			continue
		}
		ns, _ := r.String("namespace")
		sa, _ := r.String("service_account")
		for _, rel := range rels {
			if rel.namespace() == ns && rel.serviceAccount() == sa {
				return rel
			}
		}
	}
	if len(rels) == 1 && karpenterRoles == 1 {
		return rels[0]
	}
	return nil
}

func (b *builder) bindsRole(r *plan.Resource, role *Role) bool {
	if arn, ok := r.String("role_arn"); ok && role.ARN != nil && arn == *role.ARN {
		return true
	}
	return slices.Contains(b.p.References(r.Address, "role_arn"), role.Address)
}

// deployment works out V, V0 and the features of one role.
func (b *builder) deployment(role *Role, rels []*release, karpenterRoles int, manifests map[string]Feature) *Deployment {
	d := &Deployment{Features: map[string]Feature{}}
	rel := b.linkedRelease(role, rels, karpenterRoles)
	ro := b.roleOptions(role)
	switch {
	case b.opt.Override.Version != "":
		d.Version = versionFact(b.opt.Override.Version, b.opt.Override.source())
	case ro.Version != "":
		d.Version = versionFact(ro.Version, "config karpenter.roles entry "+ro.Selector)
	case b.opt.Version != "":
		d.Version = versionFact(b.opt.Version, "config karpenter.version")
	case rel != nil:
		v, ok := rel.r.String("version")
		src := fmt.Sprintf("chart version of %s", rel.r.Address)
		if !ok {
			d.Version = VersionFact{State: StateUnknown, Source: src + ", unknown until apply"}
		} else {
			d.Version = versionFact(v, src)
		}
	default:
		d.Version = VersionFact{State: StateUnknown, Source: "no linked Karpenter helm_release, no karpenter.version"}
	}
	switch {
	case ro.UpgradeFrom == "none":
		d.UpgradeFrom = VersionFact{State: StateNone, Source: "config karpenter.roles entry " + ro.Selector}
	case ro.UpgradeFrom != "":
		d.UpgradeFrom = versionFact(ro.UpgradeFrom, "config karpenter.roles entry "+ro.Selector+" upgrade_from")
	case b.opt.UpgradeFrom == "none":
		d.UpgradeFrom = VersionFact{State: StateNone, Source: "config karpenter.upgrade_from"}
	case b.opt.UpgradeFrom != "":
		d.UpgradeFrom = versionFact(b.opt.UpgradeFrom, "config karpenter.upgrade_from")
	case rel != nil && rel.r.Action == "create":
		d.UpgradeFrom = VersionFact{State: StateNone, Source: rel.r.Address + " is created in this plan"}
	case rel != nil && rel.r.Prior != nil:
		v, _ := rel.r.Prior.Value("version").(string)
		d.UpgradeFrom = versionFact(v, "prior version of "+rel.r.Address)
	default:
		d.UpgradeFrom = VersionFact{State: StateUnknown, Source: "no prior helm_release version, no karpenter.upgrade_from"}
	}
	if rel != nil {
		d.Release = rel.r.Address
		for _, sf := range settingFeatures {
			d.Features[sf.feature] = rel.feature(sf.setting, d.Version.Minor)
		}
	} else {
		for _, sf := range settingFeatures {
			d.Features[sf.feature] = Feature{State: featureUnk, Source: "no linked Karpenter helm_release"}
		}
	}
	for k, f := range manifests {
		d.Features[k] = f
	}
	b.applyConfig(ro, d)
	return d
}

func (rel *release) feature(setting, minor string) Feature {
	v, path, ok := rel.setting(setting, minor)
	src := rel.r.Address + " " + path
	if !ok {
		if rel.unknown {
			return Feature{State: featureUnk, Source: rel.r.Address + " values unknown until apply"}
		}
		return Feature{State: featureChart, Source: "chart default (" + path + " unset in " + rel.r.Address + ")"}
	}
	switch x := v.(type) {
	case bool:
		return Feature{State: onOff(x), Source: src}
	case string:
		switch strings.ToLower(x) {
		case "true":
			return Feature{State: featureOn, Source: src}
		case "false", "":
			return Feature{State: featureOff, Source: src}
		}
		return Feature{State: featureOn, Source: src}
	case nil:
		return Feature{State: featureOff, Source: src}
	}
	return Feature{State: featureOn, Source: src}
}

func onOff(b bool) string {
	if b {
		return featureOn
	}
	return featureOff
}

// clusterName is the linked release's settings.clusterName, when known.
func (rel *release) clusterName(minor string) string {
	if rel == nil || rel.unknown {
		return ""
	}
	v, _, _ := rel.setting("clusterName", minor)
	s, _ := v.(string)
	return s
}

// interruptionQueue is the linked release's settings.interruptionQueue, when known.
func (rel *release) interruptionQueue(minor string) string {
	if rel == nil {
		return ""
	}
	v, _, _ := rel.setting("interruptionQueue", minor)
	s, _ := v.(string)
	return s
}

// manifests reads EC2NodeClass and NodePool manifests (kubernetes_manifest, kubectl_manifest) into
// features, and the node role names and EBS key ids EC2NodeClasses name.
func (b *builder) manifests() (features map[string]Feature, roles, keys, profiles []string, classes []NodeClass) {
	var nodeClasses, nodePools []map[string]any
	var classAddrs []string
	var srcs []string
	unknown := ""
	for _, typ := range []string{tK8sManifest, tKubectl} {
		for _, r := range b.byType[typ] {
			if r.Mode != modeManaged || r.Deleted() {
				continue
			}
			var obj map[string]any
			if typ == tK8sManifest {
				if r.Unknown("manifest") {
					unknown = r.Address
					continue
				}
				obj, _ = r.Values().Value("manifest").(map[string]any)
			} else {
				s, ok := r.String("yaml_body")
				if !ok {
					unknown = r.Address
					continue
				}
				if err := yaml.Unmarshal([]byte(s), &obj); err != nil {
					unknown = r.Address
					continue
				}
			}
			kind, _ := obj["kind"].(string)
			api, _ := obj["apiVersion"].(string)
			switch {
			case kind == "EC2NodeClass" && strings.HasPrefix(api, "karpenter.k8s.aws/"):
				nodeClasses = append(nodeClasses, obj)
				classAddrs = append(classAddrs, r.Address)
				srcs = append(srcs, r.Address)
			case kind == "NodePool" && strings.HasPrefix(api, "karpenter.sh/"):
				nodePools = append(nodePools, obj)
				srcs = append(srcs, r.Address)
			}
		}
	}
	out := map[string]Feature{}
	if len(nodeClasses) == 0 {
		for _, f := range manifestFeatures {
			if f != "spot" {
				out[f] = Feature{State: featureUnk, Source: "no EC2NodeClass manifest in the plan"}
			}
		}
	}
	src := "EC2NodeClass manifests " + strings.Join(srcs, ", ")
	if len(nodeClasses) > 0 {
		found := map[string]bool{}
		for i, nc := range nodeClasses {
			own := map[string]bool{}
			mark := func(f string) { found[f], own[f] = true, true }
			spec, _ := nc["spec"].(map[string]any)
			if role, ok := spec["role"].(string); ok && role != "" {
				mark("nodeclass_role")
				roles = append(roles, role)
			}
			if ip, ok := spec["instanceProfile"].(string); ok && ip != "" {
				profiles = append(profiles, ip)
			}
			if fam, _ := spec["amiFamily"].(string); fam != "" {
				mark("alias_ami")
				if strings.EqualFold(fam, "AL2023") {
					mark("al2023")
				}
			}
			terms, _ := spec["amiSelectorTerms"].([]any)
			for _, t := range terms {
				tm, _ := t.(map[string]any)
				if a, _ := tm["alias"].(string); a != "" {
					mark("alias_ami")
					if strings.HasPrefix(strings.ToLower(a), "al2023") {
						mark("al2023")
					}
				}
				if _, ok := tm["ssmParameter"]; ok {
					mark("alias_ami")
				}
			}
			bdms, _ := spec["blockDeviceMappings"].([]any)
			for _, bd := range bdms {
				bm, _ := bd.(map[string]any)
				ebs, _ := bm["ebs"].(map[string]any)
				if s, _ := ebs["snapshotID"].(string); s != "" {
					mark("snapshots")
				}
				if k, _ := ebs["kmsKeyID"].(string); k != "" {
					mark("ebs_kms")
					keys = append(keys, k)
				}
			}
			if terms, ok := spec["capacityReservationSelectorTerms"].([]any); ok && len(terms) > 0 {
				mark("capacity_reservations")
			}
			if _, ok := spec["placementGroupSelector"]; ok {
				mark("placement_groups")
			}
			meta, _ := nc["metadata"].(map[string]any)
			name, _ := meta["name"].(string)
			c := NodeClass{Name: name, Address: classAddrs[i], Features: []string{}}
			for _, f := range manifestFeatures {
				if own[f] {
					c.Features = append(c.Features, f)
				}
			}
			classes = append(classes, c)
		}
		for _, f := range manifestFeatures {
			if f == "spot" {
				continue
			}
			out[f] = Feature{State: onOff(found[f]), Source: src}
		}
	}
	switch {
	case len(nodePools) == 0:
		out["spot"] = Feature{State: featureUnk, Source: "no NodePool manifest in the plan"}
	default:
		spot := false
		for _, np := range nodePools {
			spot = spot || allowsSpot(np)
		}
		out["spot"] = Feature{State: onOff(spot), Source: "NodePool manifests " + strings.Join(srcs, ", ")}
	}
	if unknown != "" {
		for k := range out {
			if out[k].State == featureOff {
				out[k] = Feature{State: featureUnk, Source: unknown + " is unknown until apply"}
			}
		}
	}
	if classes == nil {
		classes = []NodeClass{}
	}
	slices.SortFunc(classes, func(x, y NodeClass) int { return strings.Compare(x.Name, y.Name) })
	return out, roles, keys, profiles, classes
}

// allowsSpot reads a NodePool's karpenter.sh/capacity-type requirement (absent: on-demand only).
func allowsSpot(np map[string]any) bool {
	spec, _ := np["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	tspec, _ := tmpl["spec"].(map[string]any)
	reqs, _ := tspec["requirements"].([]any)
	for _, r := range reqs {
		rm, _ := r.(map[string]any)
		if rm["key"] != "karpenter.sh/capacity-type" {
			continue
		}
		vals, _ := rm["values"].([]any)
		op, _ := rm["operator"].(string)
		has := false
		for _, v := range vals {
			if v == "spot" {
				has = true
			}
		}
		switch op {
		case "In":
			return has
		case "NotIn":
			return !has
		case "Exists":
			return true
		}
	}
	return false
}
