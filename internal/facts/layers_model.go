package facts

// Layers are the policies besides the role's identity-based ones that decide its requests
// (RULES.md §3b), each with where it came from. Every field is null (or empty) when the layer
// does not apply.
type Layers struct {
	// Boundary is the role's permissions boundary (kind "boundary"): a policy of the plan, a
	// document config supplies (source "config:<file>"), or external.
	Boundary *PolicyEntry `json:"boundary"`
	// Session is the pod identity session of the role's association.
	Session *Session `json:"session"`
	// Organization holds the SCPs and RCPs that apply to the role's account.
	Organization *Organization `json:"organization"`
	// Resources are the resource-based policies of the resources Karpenter calls: the
	// interruption queue's policy and the key policy of the key that encrypts it.
	Resources []ResourcePolicy `json:"resources"`
}

// Session is the session an aws_eks_pod_identity_association gives the role (RULES.md §3b.4).
type Session struct {
	Association string `json:"association"` // its address
	// Policy is the association's session policy (kind "session"); null when it sets none.
	Policy *PolicyEntry `json:"policy"`
	// Tags are the session tags EKS sets, by key; a null value is set but unknown. Empty when
	// disable_session_tags is true.
	Tags map[string]*string `json:"tags"`
	// TagsDisabled is disable_session_tags.
	TagsDisabled bool `json:"tags_disabled"`
}

// Organization is what AWS Organizations applies to the role's account (RULES.md §3b.3).
type Organization struct {
	ID      string `json:"id"`      // "" when unknown
	Account string `json:"account"` // the role's account
	// Management is true when the account is the organization's management account: no SCP
	// applies to its principals, no RCP to its resources.
	Management bool `json:"management"`
	// Path is the account's path from the root (root id, OU ids, then the account); null when
	// unknown, which makes policies attached to OUs maybe-applying.
	Path []string `json:"path"`
	// SCPsComplete is true when config says the SCP list is complete: no FullAWSAccess is then
	// assumed at any level.
	SCPsComplete bool        `json:"scps_complete"`
	SCPs         []OrgPolicy `json:"scps"`
	RCPs         []OrgPolicy `json:"rcps"`
	Source       string      `json:"source"` // plan | config
}

// OrgPolicy is one SCP or RCP attached to a target on (or maybe on) the account's path.
type OrgPolicy struct {
	Name   string `json:"name"`
	Target string `json:"target"` // r-..., ou-..., or an account id
	// Level is the target's position in Path (0: the root); -1 when the path is unknown.
	Level int `json:"level"`
	// Applies is "yes", or "unknown" for a policy attached to an OU when the account's path is
	// unknown.
	Applies    string       `json:"applies"`
	Attachment string       `json:"attachment"` // the aws_organizations_policy_attachment, or "config"
	Policy     *PolicyEntry `json:"policy"`     // kind "scp" or "rcp"
}

// ResourcePolicy is the resource-based policy of a resource Karpenter calls (RULES.md §3b.5).
type ResourcePolicy struct {
	Kind     string       `json:"kind"`     // queue | key
	For      string       `json:"for"`      // what a key encrypts: queue (the interruption queue) | ebs (EC2NodeClass volumes)
	ARN      *string      `json:"arn"`      // the resource's ARN, when known
	Resource string       `json:"resource"` // its address
	Policy   *PolicyEntry `json:"policy"`   // kind "resource"; status unknown or external when not shown
}

// Policy entry kinds of the layers.
const (
	KindBoundary = "boundary"
	KindSession  = "session"
	KindSCP      = "scp"
	KindRCP      = "rcp"
	KindResource = "resource"
)

// Supplied is a policy document config supplies for a policy outside the plan (RULES.md §3b.6).
type Supplied struct {
	File string // as config names it, for messages
	Text string // the document
}

// OrgConfig is config's organization section (RULES.md §3b.6).
type OrgConfig struct {
	ID                string
	ManagementAccount string
	Accounts          map[string][]string // account id -> path from the root (root, OUs)
	Policies          []OrgConfigPolicy
	SCPsComplete      bool
}

// OrgConfigPolicy is one SCP or RCP of config's organization section.
type OrgConfigPolicy struct {
	Type    string // scp | rcp
	Name    string
	File    string
	Text    string
	Targets []string
}
