package config

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Network holds the network condition keys of Karpenter's requests (RULES.md 4.5): without them
// aws:SourceIp, aws:VpcSourceIp, aws:SourceVpc and aws:SourceVpce are open.
type Network struct {
	SourceIP    string // aws:SourceIp, an IP address
	VPCSourceIP string // aws:VpcSourceIp, an IP address
	SourceVPC   string // aws:SourceVpc, vpc-...
	SourceVPCE  string // aws:SourceVpce, vpce-...
}

// IsZero reports whether no network key is set.
func (n Network) IsZero() bool { return n == Network{} }

// Settings are the Helm settings of the Karpenter chart karpgate reads (RULES.md 5.1), by their
// path below settings; bool settings must be booleans, the others strings.
var Settings = []struct {
	Path string
	Bool bool
}{
	{"clusterName", false},
	{"clusterEndpoint", false},
	{"interruptionQueue", false},
	{"eksControlPlane", true},
	{"isolatedVPC", true},
	{"disableDryRun", true},
	{"enableZonalShift", true},
	{"featureGates.reservedCapacity", true},
}

// FeatureNames are the features of the request data (data.karpgate.karpenter.requests.features)
// config may set, except pre_v1_instances, which upgrade_from decides.
var FeatureNames = []string{
	"spot", "nodeclass_role", "alias_ami", "al2023", "snapshots", "ebs_kms", "capacity_reservations",
	"placement_groups", "cluster_endpoint", "eks_control_plane", "interruption_queue", "isolated_vpc",
	"disable_dry_run", "zonal_shift", "reserved_capacity_gate",
}

const (
	wantServiceAccount = "namespace/name of Karpenter's service account, such as kube-system/karpenter"
	wantSettings       = "a mapping of the chart's settings karpgate reads: clusterName, clusterEndpoint, interruptionQueue, eksControlPlane, isolatedVPC, disableDryRun, enableZonalShift, featureGates.reservedCapacity"
	wantFeatures       = "a mapping of feature name to true or false"
	wantNetwork        = "a mapping of source_ip, vpc_source_ip, source_vpc and source_vpce"
	wantNetworkKeys    = "source_ip, vpc_source_ip, source_vpc or source_vpce"
	wantIP             = "an IP address such as 203.0.113.7"
	wantVPC            = "a VPC id such as vpc-0abc1234"
	wantVPCE           = "a VPC endpoint id such as vpce-0abc1234"
)

var (
	serviceAccountPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	vpcPattern            = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	vpcePattern           = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)
)

// deploymentValue reads service_account, settings, features or network, of the karpenter section
// or of one of its roles entries.
func (p *parser) deploymentValue(key string, v *yaml.Node, fpath string, k *Values) {
	switch key {
	case "service_account":
		if s, ok := p.text(v, fpath, wantServiceAccount); ok {
			if !serviceAccountPattern.MatchString(s) {
				p.fail(v, fpath, "%s is not namespace/name (want %s)", quote(s), wantServiceAccount)
				return
			}
			k.ServiceAccount = s
		}
	case "settings":
		p.settings(v, fpath, "", k)
	case "features":
		if !p.mapping(v, fpath, wantFeatures) {
			return
		}
		for _, e := range p.entries(v, fpath, false, "a feature name") {
			if !slices.Contains(FeatureNames, e.key) {
				p.fail(e.k, fpath, "unknown feature %q (want one of %s)", e.key, strings.Join(FeatureNames, ", "))
				continue
			}
			if b, ok := p.boolean(e.v, keyPath(fpath, e.key)); ok {
				if k.Features == nil {
					k.Features = map[string]bool{}
				}
				k.Features[e.key] = b
			}
		}
	case "network":
		if !p.mapping(v, fpath, wantNetwork) {
			return
		}
		for _, e := range p.entries(v, fpath, false, wantNetworkKeys) {
			epath := keyPath(fpath, e.key)
			switch e.key {
			case "source_ip", "vpc_source_ip":
				s, ok := p.text(e.v, epath, wantIP)
				if !ok {
					continue
				}
				if _, err := netip.ParseAddr(s); err != nil {
					p.fail(e.v, epath, "%s is not an IP address (want %s)", quote(s), wantIP)
					continue
				}
				if e.key == "source_ip" {
					k.Network.SourceIP = s
				} else {
					k.Network.VPCSourceIP = s
				}
			case "source_vpc":
				if s, ok := p.text(e.v, epath, wantVPC); ok {
					if !vpcPattern.MatchString(s) {
						p.fail(e.v, epath, "%s is not a VPC id (want %s)", quote(s), wantVPC)
						continue
					}
					k.Network.SourceVPC = s
				}
			case "source_vpce":
				if s, ok := p.text(e.v, epath, wantVPCE); ok {
					if !vpcePattern.MatchString(s) {
						p.fail(e.v, epath, "%s is not a VPC endpoint id (want %s)", quote(s), wantVPCE)
						continue
					}
					k.Network.SourceVPCE = s
				}
			default:
				p.fail(e.k, fpath, "unknown key %q (want %s)", e.key, wantNetworkKeys)
			}
		}
	}
}

// settings reads the settings mapping (prefix is the path below settings of a nested mapping,
// featureGates) into k.Settings, keyed by that path; bool settings keep "true" or "false".
func (p *parser) settings(n *yaml.Node, fpath, prefix string, k *Values) {
	if !p.mapping(n, fpath, wantSettings) {
		return
	}
	for _, e := range p.entries(n, fpath, false, wantSettings) {
		path := e.key
		if prefix != "" {
			path = prefix + "." + e.key
		}
		epath := keyPath(fpath, e.key)
		if path == "featureGates" {
			p.settings(e.v, epath, path, k)
			continue
		}
		i := slices.IndexFunc(Settings, func(s struct {
			Path string
			Bool bool
		}) bool {
			return s.Path == path
		})
		if i < 0 {
			p.fail(e.k, fpath, "unknown setting %q (want %s)", path, wantSettings)
			continue
		}
		var value string
		if Settings[i].Bool {
			b, ok := p.boolean(e.v, epath)
			if !ok {
				continue
			}
			value = "false"
			if b {
				value = "true"
			}
		} else {
			s, ok := p.str(e.v, epath, "a string")
			if !ok {
				continue
			}
			if path == "clusterName" && strings.TrimSpace(s) == "" {
				p.fail(e.v, epath, "empty string (want %s)", wantCluster)
				continue
			}
			value = s
		}
		if k.Settings == nil {
			k.Settings = map[string]string{}
		}
		k.Settings[path] = value
	}
}
