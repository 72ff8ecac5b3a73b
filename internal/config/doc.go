// Package config reads .karpgate.yaml: the gate (fail_on, unknown), per-rule overrides, the
// Karpenter parameters (roles, region, account, partition, cluster), extra IAM requests written in
// YAML, and exceptions with a reason and an expiry date. It owns the file's schema, its defaults and
// its validation, and hands the rest of karpgate plain values: Config.Gate and Config.Overrides for
// internal/findings, Config.RegoData for the policy engine's data document.
//
// Decoding is strict. The file is parsed into a yaml.Node tree (gopkg.in/yaml.v3) and walked by
// hand against the schema rather than decoded with Decoder.KnownFields(true), because KnownFields
// neither names the key path nor sees duplicate keys inside free-form maps (rules, context), and its
// type errors do not say which shape was wanted. Every unknown key, wrong type, bad value, duplicate
// key and missing required field is reported as an *Error carrying the file name, line, key path and
// expected shape, all of them at once (errors.Join, sorted by line), for example:
//
//	.karpgate.yaml:7: rules.KARP014.severity: unknown value "high" (want error, warning or note)
//
// Scalars must have the YAML type the schema asks for: an account id written as a bare number is
// rejected with a hint to quote it, because YAML would drop its leading zeros.
//
// config imports internal/findings (for Severity, RuleOverride, Exception and the address glob) and
// nothing else from karpgate; it never reads the plan, evaluates Rego or prints anything.
package config
