package facts

// DeployOptions are the config values of RULES.md 5.1, 5.2 and 4.5 beyond the parameters, global
// (Options) or of one karpenter.roles entry (RoleOptions); a role entry's value wins key by key.
type DeployOptions struct {
	// ServiceAccount is Karpenter's service account as namespace/name.
	ServiceAccount string
	// Settings are chart settings by their path below settings ("interruptionQueue",
	// "featureGates.reservedCapacity"); bool settings are "true" or "false".
	Settings map[string]string
	// Features set features of the request data on or off.
	Features map[string]bool
	// Network holds the network condition keys of Karpenter's requests.
	Network Network
}

// Network is the network Karpenter's requests come from (RULES.md 4.5); an empty field leaves
// its condition key open.
type Network struct {
	SourceIP    string `json:"source_ip,omitempty"`
	VPCSourceIP string `json:"vpc_source_ip,omitempty"`
	SourceVPC   string `json:"source_vpc,omitempty"`
	SourceVPCE  string `json:"source_vpce,omitempty"`
}

// configSetting is a chart setting config gives the role: its karpenter.roles entry's, else the
// global one.
func (b *builder) configSetting(ro RoleOptions, path string) (value, source string, ok bool) {
	if v, ok := ro.Settings[path]; ok {
		return v, "config karpenter.roles entry " + ro.Selector + " settings." + path, true
	}
	if v, ok := b.opt.Settings[path]; ok {
		return v, "config karpenter.settings." + path, true
	}
	return "", "", false
}

// applyConfig sets the features config decides, over what the plan says: settings through the
// features they turn on, then features by name (RULES.md 5.1).
func (b *builder) applyConfig(ro RoleOptions, d *Deployment) {
	for _, sf := range settingFeatures {
		if v, src, ok := b.configSetting(ro, sf.setting); ok {
			d.Features[sf.feature] = settingFeature(v, src)
		}
	}
	for name, on := range b.opt.Features {
		if _, own := ro.Features[name]; !own {
			d.Features[name] = Feature{State: onOff(on), Source: "config karpenter.features." + name}
		}
	}
	for name, on := range ro.Features {
		d.Features[name] = Feature{State: onOff(on), Source: "config karpenter.roles entry " + ro.Selector + " features." + name}
	}
}

// settingFeature reads a setting's value as config writes it: "false" and "" are off.
func settingFeature(v, source string) Feature {
	if v == "false" || v == "" {
		return Feature{State: featureOff, Source: source}
	}
	return Feature{State: featureOn, Source: source}
}

// serviceAccount is Karpenter's service account as namespace/name (RULES.md 5.2): config, else
// the linked release's namespace and serviceAccount.name; "" when neither says.
func (b *builder) serviceAccount(ro RoleOptions, rel *release) (sa, source string) {
	switch {
	case ro.ServiceAccount != "":
		return ro.ServiceAccount, "config karpenter.roles entry " + ro.Selector
	case b.opt.ServiceAccount != "":
		return b.opt.ServiceAccount, "config karpenter.service_account"
	case rel != nil && !rel.unknown:
		if ns, ok := rel.r.String("namespace"); ok || !rel.r.Unknown("namespace") {
			if ns == "" {
				ns = "default"
			}
			return ns + "/" + rel.serviceAccount(), rel.r.Address
		}
	}
	return "", ""
}

// network is the network config gives the role, field by field; nil when none.
func (b *builder) network(ro RoleOptions) *Network {
	n := Network{
		SourceIP:    firstOf(ro.Network.SourceIP, b.opt.Network.SourceIP),
		VPCSourceIP: firstOf(ro.Network.VPCSourceIP, b.opt.Network.VPCSourceIP),
		SourceVPC:   firstOf(ro.Network.SourceVPC, b.opt.Network.SourceVPC),
		SourceVPCE:  firstOf(ro.Network.SourceVPCE, b.opt.Network.SourceVPCE),
	}
	if n == (Network{}) {
		return nil
	}
	return &n
}
