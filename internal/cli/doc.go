// Package cli holds karpgate's cobra commands (scan, rules, facts, serve, version): flags become
// options structs that call into the packages below. It also owns the exit codes, mapped in one
// place from the errors the packages return. It holds no policy logic.
package cli
