package config

import "github.com/karpgate/karpgate/internal/findings"

// namePrefix marks a Karpenter role pattern that matches role names instead of addresses
// (findings.MatchRole matches karpenter.roles).
const namePrefix = findings.RoleNamePrefix
