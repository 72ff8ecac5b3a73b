package plangen

import (
	"strconv"
	"strings"
)

// res is one resource instance as the generator models it, before it is split into the sections
// of the plan.
type res struct {
	module string // module instance address, "" for the root module
	mode   string // "managed" or "data"
	typ    string
	name   string
	index  any // nil, int or string

	// action is the planned change: create, update, no-op, delete, replace or read; "" for a data
	// source read during planning (it appears only in prior_state).
	action string
	reason string   // action_reason, or ""
	before obj      // the prior state values; nil for create and read
	after  obj      // the planned values with unknown leaves marked by unk; nil for delete
	paths  []string // replace_paths (top-level attributes), for replace
	deps   []string // depends_on in prior_state
}

// unknown marks a value that is unknown until apply (omitted from after, true in after_unknown).
type unknown struct{}

var unk = unknown{}

func (r *res) address() string {
	var b strings.Builder
	if r.module != "" {
		b.WriteString(r.module)
		b.WriteByte('.')
	}
	if r.mode == "data" {
		b.WriteString("data.")
	}
	b.WriteString(r.typ)
	b.WriteByte('.')
	b.WriteString(r.name)
	b.WriteString(indexKey(r.index))
	return b.String()
}

func indexKey(index any) string {
	switch x := index.(type) {
	case int:
		return "[" + strconv.Itoa(x) + "]"
	case string:
		return `["` + x + `"]`
	}
	return ""
}

// known returns v without unknown leaves: object attributes are dropped, list elements become null.
func known(v any) any {
	switch x := v.(type) {
	case obj:
		out := make(obj, 0, len(x))
		for _, f := range x {
			if f.v == unk {
				continue
			}
			out = append(out, kv{f.k, known(f.v)})
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			if e != unk {
				out[i] = known(e)
			}
		}
		return out
	}
	return v
}

// mirror returns Terraform's shape mirror of v (after_unknown, *_sensitive, sensitive_values):
// objects keep their collection-valued attributes, lists keep every element with false for
// scalars, and unknown leaves are true when marks is set (false otherwise).
func mirror(v any, marks bool) any {
	switch x := v.(type) {
	case obj:
		out := obj{}
		for _, f := range x {
			switch f.v.(type) {
			case obj, []any, []string:
				out = append(out, kv{f.k, mirror(f.v, marks)})
			case unknown:
				if marks {
					out = append(out, kv{f.k, true})
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mirror(e, marks)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i := range x {
			out[i] = false
		}
		return out
	case unknown:
		return marks
	}
	return false
}

// module is one module instance's resources, for the nested planned_values and prior_state.
type module struct {
	address string
	res     []res
	child   []*module
}
