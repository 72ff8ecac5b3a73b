// Package policyimage stores the embedded Rego bundle compiled ahead of time, so that a scan
// without user code does not parse and compile about 6,000 lines of Rego on every run.
//
// An image is the compiled modules (after every rewriting stage of OPA's compiler) in a compact
// binary form, a key that names exactly what they were compiled from (the embedded sources, the
// OPA version, the compiler settings), and an opaque blob the engine keeps beside them (the rule
// catalog, which is built from annotations an image does not carry). `make build` writes one into
// built/ (internal/tools/policyimage); a binary built without it, or whose key does not match the
// sources it embeds, compiles the sources as before. The engine decides; this package only
// encodes, decodes and holds the embedded image.
package policyimage
