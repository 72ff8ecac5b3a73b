// Package engine runs OPA for karpgate: it loads the embedded policy bundle (rego/) and the user's
// policies, data and conftest-style namespaces, compiles them once with restricted capabilities,
// builds the rule catalog from # METADATA annotations (refusing to start when an annotation is
// missing), prepares one query over every rule, and evaluates inputs. It knows nothing about
// Terraform: it takes an input value and returns findings.
package engine
