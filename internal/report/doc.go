// Package report renders a findings.Result in one output format per writer: text (for a person),
// json (a documented, stable schema), sarif (2.1.0, for GitHub code scanning), markdown (a
// pull-request comment), junit (CI dashboards) and github (workflow annotations). Writers are
// stateless, deterministic (findings are already sorted; no clock, no map order) and take the
// io.Writer per call. Catalog renders the rule catalog itself (karpgate rules): a table, JSON, the
// Markdown reference page docs/rules.md, or one rule in full.
package report
