package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/karpgate/karpgate/internal/findings"
	regofs "github.com/karpgate/karpgate/rego"
)

// Eval evaluates every rule against one input and returns the findings (Plan and Location unset).
// karpgate's own rules see input; conftest rules see input.plan as their input, so when the
// engine has conftest rules (UsesPlan) input must carry the plan.
func (e *Engine) Eval(ctx context.Context, input ast.Value) ([]findings.Finding, error) {
	fs, _, err := e.EvalChecked(ctx, input)
	return fs, err
}

// Checked is what the embedded rules simulated for one Karpenter role: how many Karpenter
// requests, the version judged and where it came from, and the compatibility line.
type Checked struct {
	Requests      int
	Version       string
	Compatibility string
}

// EvalChecked is Eval that also returns, by Karpenter role address, what was simulated against
// the role.
func (e *Engine) EvalChecked(ctx context.Context, input ast.Value) ([]findings.Finding, map[string]Checked, error) {
	if e.onEval != nil {
		defer e.onEval()()
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	rs, err := e.pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, nil, e.evalError(ctx, err)
	}
	out, err := e.collect(rs, false)
	if err != nil {
		return nil, nil, err
	}
	checked := checkedRoles(rs)
	if e.cpq != nil {
		more, err := e.evalConftest(ctx, input)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, more...)
	}
	findings.Sort(out)
	return out, checked, nil
}

// checkedQuery binds, by Karpenter role, what the embedded rules simulated
// (data.karpgate.lib.deployment.checked). OPA evaluates the verdicts once per query, so this
// costs nothing the rules do not already compute.
const checkedQuery = "checked := data.karpgate.lib.deployment.checked"

func checkedRoles(rs rego.ResultSet) map[string]Checked {
	m, _ := rs[0].Bindings["checked"].(map[string]any)
	out := make(map[string]Checked, len(m))
	for addr, v := range m {
		o, ok := v.(map[string]any)
		if !ok {
			continue
		}
		var c Checked
		if n, ok := o["requests"].(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				c.Requests = int(i)
			}
		}
		c.Version, _ = o["version"].(string)
		c.Compatibility, _ = o["compatibility"].(string)
		out[addr] = c
	}
	return out
}

func (e *Engine) evalError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		problem := fmt.Sprintf("evaluation exceeded the time limit of %s", e.timeout)
		if e.userCode != "" {
			problem += " with the user policies " + e.userCode
		}
		return &PolicyError{Problem: problem, Hint: HintTimeout}
	}
	return &PolicyError{Problem: "evaluate: " + err.Error()}
}

// collect reads the results binding: [ref, finding] pairs, or with conftest [ref, finding,
// excepted] triples.
func (e *Engine) collect(rs rego.ResultSet, conftest bool) ([]findings.Finding, error) {
	if len(rs) == 0 {
		return nil, &PolicyError{Problem: "evaluate: the query returned no result"}
	}
	pairs, ok := rs[0].Bindings["results"].([]any)
	if !ok {
		return nil, &PolicyError{Problem: "evaluate: unexpected result shape"}
	}
	out := make([]findings.Finding, 0, len(pairs))
	for _, p := range pairs {
		pair, ok := p.([]any)
		if !ok || len(pair) < 2 {
			continue
		}
		ref, _ := pair[0].(string)
		rule, ok := e.byPkg[ref]
		if !ok {
			continue
		}
		var err error
		if id := resultID(pair[1]); id != "" && !strings.HasPrefix(ref, nativeRoot) {
			if rule, err = e.derive(rule, ref, id); err != nil {
				return nil, err
			}
		}
		f, err := toFinding(rule, pair[1])
		if err != nil {
			return nil, &PolicyError{Problem: fmt.Sprintf("rule %s (%s): %v", rule.ID, ref, err)}
		}
		if excepted, _ := pair[len(pair)-1].(bool); conftest && len(pair) == 3 && excepted {
			f.Suppression = conftestSuppression(ref, e.byPkg[ref])
		}
		out = append(out, f)
	}
	return out, nil
}

// nativeRoot prefixes the refs of native rules; every other ref is a conftest rule.
const nativeRoot = "data." + regofs.Root + ".rules."

// MaxDerivedRules bounds the catalog entries that conftest results with their own id may add over
// an Engine's lifetime (a long-running serve); beyond it results keep their rule's id.
const MaxDerivedRules = 1000

// resultID is the id a conftest result object carries ("id" or "rule_id"), or "".
func resultID(v any) string {
	if m, ok := v.(map[string]any); ok {
		return firstString(m, "id", "rule_id")
	}
	return ""
}

// derive returns the catalog entry for a conftest result that names its own rule id: a copy of
// the conftest rule under that id, added to the catalog on first use. An id that belongs to another
// rule of the catalog is an error, so a user policy cannot report under an embedded rule's id.
func (e *Engine) derive(rule findings.Rule, ref, id string) (findings.Rule, error) {
	if id == rule.ID {
		return rule, nil
	}
	for _, r := range e.catalog {
		if strings.EqualFold(r.ID, id) {
			return rule, &PolicyError{Problem: fmt.Sprintf("rule %s (%s): result id %q is the id of %s", rule.ID, ref, id, r.Package)}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if d, ok := e.derived[id]; ok {
		return d, nil
	}
	if len(e.derived) >= MaxDerivedRules {
		return rule, nil
	}
	d := rule
	d.ID = id
	d.Related = slices.Clone(rule.Related)
	d.Tags = slices.Clone(rule.Tags)
	if e.derived == nil {
		e.derived = map[string]findings.Rule{}
	}
	e.derived[id] = d
	return d, nil
}

// toFinding reads one rule result: a string (conftest), or an object with message/msg and the
// optional fields of docs/writing-rules.md.
func toFinding(rule findings.Rule, v any) (findings.Finding, error) {
	f := findings.Finding{RuleID: rule.ID, Severity: rule.Severity}
	switch x := v.(type) {
	case string:
		f.Message = x
		return f, nil
	case map[string]any:
		f.Message = firstString(x, "message", "msg")
		if f.Message == "" {
			return f, fmt.Errorf("finding has no message (or msg)")
		}
		f.Address = firstString(x, "address", "resource")
		f.Role = firstString(x, "role")
		f.Fix = firstString(x, "fix")
		if forms, ok := x["fix_forms"].(map[string]any); ok {
			for k, v := range forms {
				if s, ok := v.(string); ok && s != "" {
					if f.FixForms == nil {
						f.FixForms = map[string]string{}
					}
					f.FixForms[k] = s
				}
			}
		}
		if e, ok := x["edit"].(map[string]any); ok {
			f.Edit = toEdit(e)
		}
		if s := firstString(x, "severity"); s != "" {
			sev, err := findings.ParseSeverity(s)
			if err != nil || sev == findings.None {
				return f, fmt.Errorf("finding severity %q is not error, warning or note", s)
			}
			f.Severity = sev
		}
		if rel, ok := x["related"].([]any); ok {
			for _, r := range rel {
				if s, ok := r.(string); ok {
					f.Related = append(f.Related, s)
				}
			}
		}
		if st, ok := x["statement"].(map[string]any); ok {
			ref := &findings.StatementRef{Policy: firstString(st, "policy"), Attribute: firstString(st, "attribute"), Sid: firstString(st, "sid")}
			if n, ok := st["index"].(json.Number); ok {
				i, _ := n.Int64()
				ref.Index = int(i)
			}
			f.Statement = ref
		}
		return f, nil
	}
	return f, fmt.Errorf("finding is %T, not a string or an object", v)
}

// toEdit reads a finding's edit object ({"module", "arguments", "version"}); nil when it names no
// module or sets nothing a patch can write (only booleans, strings and numbers are kept).
func toEdit(m map[string]any) *findings.Edit {
	e := &findings.Edit{Module: firstString(m, "module"), Version: firstString(m, "version"), Arguments: map[string]any{}}
	args, _ := m["arguments"].(map[string]any)
	for k, v := range args {
		switch v.(type) {
		case bool, string, json.Number:
			e.Arguments[k] = v
		}
	}
	entries, _ := m["entries"].([]any)
	for _, x := range entries {
		em, ok := x.(map[string]any)
		if !ok {
			continue
		}
		ee := findings.EntryEdit{Argument: firstString(em, "argument"), Sid: firstString(em, "sid")}
		ee.Set, _ = em["set"].(map[string]any)
		ee.Append, _ = em["append"].(map[string]any)
		if ee.Argument == "" || (ee.Sid == "" || len(ee.Set) == 0) && len(ee.Append) == 0 {
			continue
		}
		e.Entries = append(e.Entries, ee)
	}
	if e.Module == "" || (len(e.Arguments) == 0 && e.Version == "" && len(e.Entries) == 0) {
		return nil
	}
	return e
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
