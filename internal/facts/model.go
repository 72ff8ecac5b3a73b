package facts

// IAM is input.iam (docs/input.md).
type IAM struct {
	Roles          []*Role    `json:"roles"`
	KarpenterRoles int        `json:"karpenter_roles"`
	NodeRoles      []NodeRole `json:"node_roles"`
}

// Role is one aws_iam_role of the plan with everything that reaches it.
type Role struct {
	Address    string         `json:"address"`
	Module     string         `json:"module"`
	Name       *string        `json:"name"`
	NamePrefix *string        `json:"name_prefix"`
	ARN        *string        `json:"arn"`
	Action     string         `json:"action"`
	Karpenter  Detection      `json:"karpenter"`
	Trust      *PolicyEntry   `json:"trust"`
	Policies   []*PolicyEntry `json:"policies"`
	Removed    []Removed      `json:"removed"` // attached in the plan, overridden by another resource (RULES.md §3.1)
	Layers     *Layers        `json:"layers"`  // nil unless the role is a Karpenter role
	Context    *Context       `json:"context"` // nil unless the role is a Karpenter role
	// Deployment is the Karpenter the role serves (nil unless the role is a Karpenter role).
	Deployment *Deployment `json:"deployment"`
	// ModuleCall is the terraform-aws-eks modules/karpenter call that creates the role; nil for
	// other roles and for roles that are not Karpenter roles.
	ModuleCall *ModuleCall `json:"module_call"`
}

// Detection says whether and why a role is a Karpenter controller role (RULES.md §2).
type Detection struct {
	Detected bool     `json:"detected"`
	By       []string `json:"by"`
}

// Ways a role is detected.
const (
	ByConfig      = "config"
	ByPodIdentity = "pod-identity"
	ByIRSA        = "irsa"
	ByModule      = "module"
	ByName        = "name"
)

// PolicyEntry is one policy that reaches a role, or its trust policy.
type PolicyEntry struct {
	Address   string    `json:"address"`
	Attribute string    `json:"attribute"`
	Kind      string    `json:"kind"`
	Via       string    `json:"via"`
	ARN       *string   `json:"arn"`
	Status    string    `json:"status"`
	Source    string    `json:"source"`
	Unknown   []string  `json:"unknown"`
	Problems  []Problem `json:"problems"`
	Document  *Document `json:"document"`
	// Size counts the characters of the policy text without white space (IAM's quotas ignore
	// it); nil when the text is not known.
	Size *int `json:"size"`
}

// Policy kinds.
const (
	KindManaged    = "managed"
	KindRolePolicy = "role_policy"
	KindInline     = "inline"
	KindTrust      = "trust"
	KindExternal   = "external"
)

// Policy statuses.
const (
	StatusKnown    = "known"
	StatusPartial  = "partial"
	StatusUnknown  = "unknown"
	StatusExternal = "external"
	StatusInvalid  = "invalid"
)

// NodeRole is a role trusted by ec2.amazonaws.com: a candidate target of iam:PassRole.
type NodeRole struct {
	Address string  `json:"address"`
	Name    *string `json:"name"`
	ARN     *string `json:"arn"`
}

// Context holds the request parameters for one role (RULES.md §5).
type Context struct {
	Region     string   `json:"region"`
	Account    string   `json:"account"`
	Partition  string   `json:"partition"`
	Cluster    string   `json:"cluster"`
	Regions    []string `json:"regions"`
	Accounts   []string `json:"accounts"`
	Partitions []string `json:"partitions"`
	// Clusters, like Regions, Accounts and Partitions, are the candidates of an unknown parameter
	// (its value is then ""), or its value alone.
	Clusters     []string          `json:"clusters"`
	R2           string            `json:"r2"`
	Sources      map[string]string `json:"sources"`
	NodeRoleARNs []string          `json:"node_role_arns"`
	// NodeRoleUnknown is true when the plan has no node role for the role (RULES.md 5.5):
	// NodeRoleARNs are then the candidate names of 4.7.
	NodeRoleUnknown bool     `json:"node_role_unknown"`
	QueueARNs       []string `json:"queue_arns"`
	// EBSKMSKeyARNs are the customer managed keys EC2NodeClasses encrypt volumes with.
	EBSKMSKeyARNs []string `json:"ebs_kms_key_arns"`
	// PodIdentity lists the live pod identity associations bound to the role (RULES.md 5.6).
	PodIdentity []PodIdentityBinding `json:"pod_identity"`
	// PrincipalTags are the aws:PrincipalTag values of the role's sessions; nil when unknown.
	PrincipalTags *PrincipalTags `json:"principal_tags"`
	// ServiceAccount is Karpenter's service account as namespace/name, "" when unknown
	// (Sources["service_account"] says where it came from).
	ServiceAccount string `json:"service_account"`
	// Network is config's karpenter.network; nil when unset (the network keys are open).
	Network *Network `json:"network"`
}

// PodIdentityBinding is one aws_eks_pod_identity_association of a role. Unknown strings are "";
// SessionTags is nil when disable_session_tags is unknown until apply.
type PodIdentityBinding struct {
	Address        string `json:"address"`
	Cluster        string `json:"cluster"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"service_account"`
	SessionTags    *bool  `json:"session_tags"`
}

// Options carries what the user's config says about Karpenter (RULES.md §2.1 and §5).
type Options struct {
	Roles     []string // address globs, "name:<glob>", or role ARNs (exact ones may name roles outside the plan)
	Region    string
	Account   string
	Partition string
	Cluster   string
	// Version is config karpenter.version; Override, when set, wins over it and over every
	// karpenter.roles entry. UpgradeFrom is config karpenter.upgrade_from ("none" allowed).
	Version     string
	Override    VersionOverride
	UpgradeFrom string
	// Complete lists the karpenter.roles selectors of roles outside the plan whose entry says the
	// plan shows everything that reaches them (RULES.md §2.3): their refusals are decided.
	Complete map[string]bool
	// Policies are the documents config supplies for policies outside the plan, by ARN (a managed
	// policy, a permissions boundary, a KMS key).
	Policies map[string]Supplied
	// Organization is config's organization section; nil when it has none.
	Organization *OrgConfig
	// PerRole are the karpenter.roles entries with their own values, in config order: the first
	// whose selector matches a role wins over the global values above.
	PerRole []RoleOptions
	// MatchRole reports whether a role matches one of Roles; nil uses findings.MatchRole.
	MatchRole func(patterns []string, address, name string) bool
	// DeployOptions are config's service account, settings, features and network.
	DeployOptions
}

// RoleOptions are the values of one karpenter.roles entry (RULES.md 5.2): Selector as in
// Options.Roles; an empty value defers to the global one.
type RoleOptions struct {
	Selector                            string
	Region, Account, Partition, Cluster string
	Version, UpgradeFrom                string
	DeployOptions
}
