// Package facts builds the IAM model that karpgate's rules read as input.iam (docs/input.md): every
// role of a plan, its trust policy, every policy that reaches it (RULES.md §3) with its origin and
// knowledge status, normalized statements, Karpenter detection (§2) and the request parameters R, A,
// P, C (§5). Everything here is a pure function of a plan.Plan and Options; it does no I/O and knows
// nothing about OPA.
package facts
