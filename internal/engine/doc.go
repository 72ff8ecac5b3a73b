// Package engine runs OPA for karpgate: it loads the embedded policy bundle (rego/) and the user's
// policies, data, conftest-style namespaces and OPA bundles (bundle.go: roots limited to
// karpgate/rules/<name> and karpgate/user, signatures verified with a fixed key id, bundles built and
// signed for `karpgate bundle`), compiles them once with restricted capabilities,
// builds the rule catalog from # METADATA annotations (refusing to start when an annotation is
// missing), prepares one query over every rule, and evaluates inputs. It knows nothing about
// Terraform: it takes an input value and returns findings. RunTests (tests.go) runs the user's Rego
// tests against the embedded library for `karpgate test`.
package engine
