// Package plangen writes large, realistic `terraform show -json` plans for benchmarks: thousands of
// common AWS resources in nested for_each modules, with updates, replacements, unknown values,
// prior state, data sources and configuration references, around exactly one terraform-aws-eks
// Karpenter module. Output is deterministic for a seed and streamed, so a 100 MB plan costs little
// memory to write. It is test support: nothing in karpgate's scan path imports it, and generated
// plans are never committed (go run ./internal/plan/testdata/gen writes one).
package plangen
