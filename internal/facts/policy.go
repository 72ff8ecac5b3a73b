package facts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// Document is a normalized IAM policy document (docs/input.md "policy (normalized)").
type Document struct {
	Version    string      `json:"version"`
	ID         string      `json:"id"`
	Statements []Statement `json:"statements"`
}

// Statement is one normalized statement. Actions and condition keys are lower-cased; everything
// else keeps its case.
type Statement struct {
	Index         int                 `json:"index"`
	Sid           string              `json:"sid"`
	Effect        string              `json:"effect"`
	Actions       []string            `json:"actions"`
	NotActions    []string            `json:"not_actions"`
	Resources     []string            `json:"resources"`
	NotResources  []string            `json:"not_resources"`
	Principals    map[string][]string `json:"principals"`
	NotPrincipals map[string][]string `json:"not_principals"`
	Conditions    []Condition         `json:"conditions"`
}

// Condition is one key under one operator.
type Condition struct {
	Operator string   `json:"operator"` // as written
	Base     string   `json:"base"`     // lower-cased, without set prefix and IfExists
	Set      string   `json:"set"`      // "", "forallvalues" or "foranyvalue"
	IfExists bool     `json:"if_exists"`
	Key      string   `json:"key"`     // lower-cased
	Written  string   `json:"written"` // the key as written (tag keys keep their case here)
	Values   []string `json:"values"`
}

// Problem says why a policy document is not valid, with the JSON path of the problem.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Versions IAM accepts in a policy document.
var validVersions = []string{"2012-10-17", "2008-10-17"}

// documentElements are the only keys IAM accepts at the top of a policy document.
var documentElements = []string{"Version", "Id", "Statement"}

// conditionOperators are the operators IAM accepts (lower-cased, without set prefix and
// IfExists).
var conditionOperators = []string{
	"stringequals", "stringnotequals", "stringequalsignorecase", "stringnotequalsignorecase", "stringlike", "stringnotlike",
	"numericequals", "numericnotequals", "numericlessthan", "numericlessthanequals", "numericgreaterthan", "numericgreaterthanequals",
	"dateequals", "datenotequals", "datelessthan", "datelessthanequals", "dategreaterthan", "dategreaterthanequals",
	"bool", "binaryequals", "ipaddress", "notipaddress", "arnequals", "arnlike", "arnnotequals", "arnnotlike", "null",
}

// statementElements are the only keys IAM accepts in a statement.
var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// ParsePolicy parses policy text (as a Terraform attribute holds it) into a normalized document.
// Problems make the policy invalid; the statements that could be read are returned all the same.
// A nil document means the text is not a JSON object at all.
func ParsePolicy(text string) (*Document, []Problem) {
	text = strings.TrimPrefix(text, "\ufeff")
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, []Problem{{Path: "$", Message: "not valid JSON: " + err.Error()}}
	}
	// Only JSON whitespace may follow the document. dec.More would miss a stray "}" or "]".
	if rest := text[dec.InputOffset():]; strings.Trim(rest, " \t\r\n") != "" {
		return nil, []Problem{{Path: "$", Message: "not valid JSON: text after the policy object"}}
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, []Problem{{Path: "$", Message: "the policy is " + typeName(raw) + ", not a JSON object"}}
	}
	doc, probs := parseDocument(obj)
	// The decoder kept the last of duplicate keys; AWS or another reader may keep the first.
	if path, key, dup := jsontext.DuplicateKey([]byte(text)); dup {
		probs = append(probs, Problem{Path: path, Message: fmt.Sprintf("duplicate key %q (JSON parsers disagree on which value counts)", key)})
	}
	return doc, probs
}

func parseDocument(obj map[string]any) (*Document, []Problem) {
	doc := &Document{Statements: []Statement{}}
	var probs []Problem
	add := func(path, format string, args ...any) {
		probs = append(probs, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if v, ok := obj["Version"]; ok {
		s, isStr := v.(string)
		switch {
		case !isStr:
			add("$.Version", "Version is %s, not a string", typeName(v))
		case !slices.Contains(validVersions, s):
			add("$.Version", "unknown policy Version %q (IAM accepts 2012-10-17 or 2008-10-17)", s)
		default:
			doc.Version = s
		}
	}
	if v, ok := obj["Id"].(string); ok {
		doc.ID = v
	}
	top := make([]string, 0, len(obj))
	for k := range obj {
		top = append(top, k)
	}
	slices.Sort(top)
	for _, k := range top {
		if !slices.Contains(documentElements, k) {
			add("$."+k, "unknown policy element %q", k)
		}
	}
	raw, ok := obj["Statement"]
	if !ok {
		add("$.Statement", "the policy has no Statement")
		return doc, probs
	}
	var list []any
	switch x := raw.(type) {
	case map[string]any:
		list = []any{x}
	case []any:
		list = x
	default:
		add("$.Statement", "Statement is %s, not an object or a list", typeName(raw))
		return doc, probs
	}
	for i, item := range list {
		path := fmt.Sprintf("$.Statement[%d]", i)
		if _, single := raw.(map[string]any); single {
			path = "$.Statement"
		}
		m, ok := item.(map[string]any)
		if !ok {
			add(path, "statement is %s, not an object", typeName(item))
			continue
		}
		st, sp := parseStatement(i, m, path)
		probs = append(probs, sp...)
		if st != nil {
			doc.Statements = append(doc.Statements, *st)
		}
	}
	probs = append(probs, duplicateSids(list, raw)...)
	return doc, probs
}

// duplicateSids reports every Sid that an earlier statement of the document already has.
func duplicateSids(list []any, raw any) []Problem {
	if _, single := raw.(map[string]any); single {
		return nil
	}
	var probs []Problem
	seen := map[string]bool{}
	for i, item := range list {
		m, _ := item.(map[string]any)
		sid, ok := m["Sid"].(string)
		if !ok || sid == "" {
			continue
		}
		if seen[sid] {
			probs = append(probs, Problem{Path: fmt.Sprintf("$.Statement[%d].Sid", i), Message: fmt.Sprintf("duplicate Sid %q (Sids must be unique in a policy)", sid)})
		}
		seen[sid] = true
	}
	return probs
}

// KindProblems are what IAM rejects in a policy of this kind: a Principal in an identity-based
// policy (managed, inline, boundary, session) or an SCP, a statement without Resource; a trust
// statement without Principal or with a Resource; a resource-based policy or RCP statement without
// Principal.
func KindProblems(kind string, doc *Document) []Problem {
	if doc == nil || kind == KindExternal || kind == "" {
		return nil
	}
	var probs []Problem
	add := func(st Statement, format string, args ...any) {
		probs = append(probs, Problem{Path: fmt.Sprintf("$.Statement[%d]", st.Index), Message: fmt.Sprintf(format, args...)})
	}
	for _, st := range doc.Statements {
		hasP := len(st.Principals) > 0 || len(st.NotPrincipals) > 0
		hasR := len(st.Resources) > 0 || len(st.NotResources) > 0
		switch kind {
		case KindTrust:
			if !hasP {
				add(st, "trust policy statement has no Principal")
			}
			if hasR {
				add(st, "trust policy statement has a Resource (a trust policy names none)")
			}
			continue
		case KindResource, KindRCP:
			// Resource-based policies and RCPs name their principals.
			if !hasP {
				add(st, "resource-based policy statement has no Principal")
			}
			continue
		}
		if hasP {
			add(st, "identity-based policy statement has a Principal (only resource-based and trust policies name one)")
		}
		if !hasR {
			add(st, "statement has neither Resource nor NotResource")
		}
	}
	return probs
}

// PolicySize counts the characters of text without white space (space, tab, CR, LF), the way
// IAM's size quotas count.
func PolicySize(text string) int {
	n := 0
	for _, r := range text {
		switch r {
		case ' ', '\t', '\r', '\n':
		default:
			n++
		}
	}
	return n
}

func parseStatement(i int, m map[string]any, path string) (*Statement, []Problem) {
	var probs []Problem
	add := func(p, format string, args ...any) {
		probs = append(probs, Problem{Path: p, Message: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(statementElements, k) {
			add(path+"."+k, "unknown statement element %q", k)
		}
	}
	st := &Statement{Index: i, Actions: []string{}, NotActions: []string{}, Resources: []string{}, NotResources: []string{},
		Principals: map[string][]string{}, NotPrincipals: map[string][]string{}, Conditions: []Condition{}}
	if v, ok := m["Sid"]; ok {
		if s, isStr := v.(string); isStr {
			st.Sid = s
		} else {
			add(path+".Sid", "Sid is %s, not a string", typeName(v))
		}
	}
	valid := true
	switch v := m["Effect"].(type) {
	case nil:
		add(path+".Effect", "statement has no Effect")
		valid = false
	case string:
		if v != "Allow" && v != "Deny" {
			add(path+".Effect", "Effect is %q, not Allow or Deny", v)
			valid = false
		}
		st.Effect = v
	default:
		add(path+".Effect", "Effect is %s, not a string", typeName(v))
		valid = false
	}
	var ok bool
	var p []Problem
	st.Actions, p = stringList(m, "Action", path, true)
	probs = append(probs, p...)
	st.NotActions, p = stringList(m, "NotAction", path, true)
	probs = append(probs, p...)
	_, hasA := m["Action"]
	_, hasNA := m["NotAction"]
	switch {
	case !hasA && !hasNA:
		add(path, "statement has neither Action nor NotAction")
		valid = false
	case hasA && hasNA:
		add(path, "statement has both Action and NotAction")
		valid = false
	}
	for _, key := range []string{"Action", "NotAction"} {
		for j, a := range rawStrings(m[key]) {
			if a != "*" && !strings.Contains(a, ":") {
				add(elementPath(path, key, m[key], j), "action %q has no service prefix (write service:action)", a)
			}
		}
	}
	st.Resources, p = stringList(m, "Resource", path, false)
	probs = append(probs, p...)
	st.NotResources, p = stringList(m, "NotResource", path, false)
	probs = append(probs, p...)
	for _, key := range []string{"Resource", "NotResource"} {
		for j, r := range rawStrings(m[key]) {
			if r != "*" && !strings.HasPrefix(r, "arn:") {
				add(elementPath(path, key, m[key], j), "resource %q is neither \"*\" nor an ARN", r)
			}
		}
	}
	if _, hasR := m["Resource"]; hasR {
		if _, hasNR := m["NotResource"]; hasNR {
			add(path, "statement has both Resource and NotResource")
			valid = false
		}
	}
	if st.Principals, ok, p = principals(m, "Principal", path); !ok {
		valid = false
	}
	probs = append(probs, p...)
	if st.NotPrincipals, ok, p = principals(m, "NotPrincipal", path); !ok {
		valid = false
	}
	probs = append(probs, p...)
	if c, hasC := m["Condition"]; hasC {
		var cp []Problem
		st.Conditions, cp = conditions(c, path+".Condition")
		if len(cp) > 0 {
			valid = false
		}
		probs = append(probs, cp...)
		// An unknown operator makes IAM reject the policy; the statement stays, so that the
		// evaluator reports the condition as open instead of dropping a Deny.
		reported := map[string]bool{}
		for _, c := range st.Conditions {
			if !knownOperator(c) && !reported[c.Operator] {
				reported[c.Operator] = true
				add(path+".Condition."+c.Operator, "unknown condition operator %q", c.Operator)
			}
		}
	}
	if !valid {
		return nil, probs
	}
	return st, probs
}

// rawStrings lists the strings of a string-or-list element as written.
func rawStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func elementPath(path, key string, v any, j int) string {
	if _, list := v.([]any); list {
		return fmt.Sprintf("%s.%s[%d]", path, key, j)
	}
	return path + "." + key
}

func stringList(m map[string]any, key, path string, lower bool) ([]string, []Problem) {
	out := []string{}
	v, ok := m[key]
	if !ok {
		return out, nil
	}
	conv := func(s string) string {
		if lower {
			return strings.ToLower(s)
		}
		return s
	}
	switch x := v.(type) {
	case string:
		return []string{conv(x)}, nil
	case []any:
		var probs []Problem
		for i, e := range x {
			s, isStr := e.(string)
			if !isStr {
				probs = append(probs, Problem{Path: fmt.Sprintf("%s.%s[%d]", path, key, i), Message: fmt.Sprintf("%s element is %s, not a string", key, typeName(e))})
				continue
			}
			out = append(out, conv(s))
		}
		return out, probs
	}
	return out, []Problem{{Path: path + "." + key, Message: fmt.Sprintf("%s is %s, not a string or a list of strings", key, typeName(v))}}
}

func principals(m map[string]any, key, path string) (map[string][]string, bool, []Problem) {
	out := map[string][]string{}
	v, ok := m[key]
	if !ok {
		return out, true, nil
	}
	switch x := v.(type) {
	case string:
		if x == "*" {
			out["*"] = []string{"*"}
			return out, true, nil
		}
		return out, false, []Problem{{Path: path + "." + key, Message: fmt.Sprintf("%s is the string %q; only \"*\" may be written without a type", key, x)}}
	case map[string]any:
		var probs []Problem
		types := make([]string, 0, len(x))
		for t := range x {
			types = append(types, t)
		}
		slices.Sort(types)
		for _, t := range types {
			ids, p := stringList(x, t, path+"."+key, false)
			probs = append(probs, p...)
			out[t] = ids
		}
		return out, len(probs) == 0, probs
	}
	return out, false, []Problem{{Path: path + "." + key, Message: fmt.Sprintf("%s is %s, not \"*\" or an object", key, typeName(v))}}
}

func conditions(v any, path string) ([]Condition, []Problem) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []Problem{{Path: path, Message: fmt.Sprintf("Condition is %s, not an object", typeName(v))}}
	}
	var out []Condition
	var probs []Problem
	ops := make([]string, 0, len(m))
	for op := range m {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	for _, op := range ops {
		keys, ok := m[op].(map[string]any)
		if !ok {
			probs = append(probs, Problem{Path: path + "." + op, Message: fmt.Sprintf("condition operator %s holds %s, not an object", op, typeName(m[op]))})
			continue
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			vals, err := conditionValues(keys[k])
			if err != "" {
				probs = append(probs, Problem{Path: path + "." + op + "." + k, Message: err})
				continue
			}
			out = append(out, NewCondition(op, k, vals))
		}
	}
	if out == nil {
		out = []Condition{}
	}
	return out, probs
}

// knownOperator reports whether IAM accepts the condition's operator: a known base, an optional
// ForAllValues:/ForAnyValue: prefix, IfExists on anything but Null.
func knownOperator(c Condition) bool {
	if !slices.Contains(conditionOperators, c.Base) {
		return false
	}
	if c.Set != "" && c.Set != "forallvalues" && c.Set != "foranyvalue" {
		return false
	}
	return !(c.IfExists && c.Base == "null")
}

// NewCondition splits an operator into its parts and normalizes the key.
func NewCondition(op, key string, values []string) Condition {
	c := Condition{Operator: op, Key: strings.ToLower(key), Written: key, Values: values}
	base := op
	if prefix, rest, ok := strings.Cut(op, ":"); ok {
		c.Set = strings.ToLower(prefix)
		base = rest
	}
	lb := strings.ToLower(base)
	if strings.HasSuffix(lb, "ifexists") && lb != "ifexists" {
		c.IfExists = true
		lb = strings.TrimSuffix(lb, "ifexists")
	}
	c.Base = lb
	return c
}

func conditionValues(v any) ([]string, string) {
	scalar := func(e any) (string, bool) {
		switch x := e.(type) {
		case string:
			return x, true
		case bool:
			if x {
				return "true", true
			}
			return "false", true
		case json.Number:
			return x.String(), true
		case float64:
			return fmt.Sprint(x), true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, ""
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Sprintf("condition value is %s, not a string, boolean, number or a list of them", typeName(v))
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := scalar(e)
		if !ok {
			return nil, fmt.Sprintf("condition value [%d] is %s, not a string, boolean or number", i, typeName(e))
		}
		out = append(out, s)
	}
	return out, ""
}

// typeName names a decoded value's JSON type as the plan reader does.
func typeName(v any) string { return jsontext.TypeName(v) }
