package plan

import (
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// SplitAddress splits an absolute resource address into its module instance path and the
// module-relative resource address: `module.a["x.y"].module.b.aws_iam_role.r[0]` gives
// `module.a["x.y"].module.b` and `aws_iam_role.r[0]`. Dots inside instance keys are respected.
func SplitAddress(addr string) (module, rel string) {
	segs := splitSegments(addr)
	i := 0
	for i+1 < len(segs) && segs[i] == "module" {
		i += 2
	}
	return strings.Join(segs[:i], "."), strings.Join(segs[i:], ".")
}

// splitSegments splits on dots outside brackets and quotes.
func splitSegments(s string) []string {
	var out []string
	depth, inQuote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
		case c == '"':
			inQuote = true
		case c == '[':
			depth++
		case c == ']':
			if depth > 0 {
				depth--
			}
		case c == '.' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// StripKeys removes instance keys from an address or module path:
// `module.a["x"].aws_iam_role.r[0]` gives `module.a.aws_iam_role.r`.
func StripKeys(addr string) string {
	var b strings.Builder
	depth, inQuote := 0, false
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
			continue
		case depth > 0 && c == '"':
			inQuote = true
			continue
		case c == '[':
			depth++
			continue
		case c == ']':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Join returns the absolute address of rel inside module.
func Join(module, rel string) string {
	if module == "" {
		return rel
	}
	return module + "." + rel
}

// ModuleCall returns the configuration of the module call that creates the module instance path
// (keys are ignored), or nil.
func (p *Plan) ModuleCall(module string) *tfjson.ModuleCall {
	if p.calls == nil {
		return nil
	}
	return p.calls[StripKeys(module)]
}

// ConfigResource returns the configuration block of the resource at an absolute address, or nil
// when the plan has no configuration for it.
func (p *Plan) ConfigResource(addr string) *tfjson.ConfigResource {
	if p.modules == nil {
		return nil
	}
	mod, rel := SplitAddress(addr)
	m := p.modules[StripKeys(mod)]
	if m == nil {
		return nil
	}
	want := StripKeys(rel)
	for _, r := range m.Resources {
		if r != nil && r.Address == want {
			return r
		}
	}
	return nil
}

// Expression returns the configuration expression of attribute attr of the resource at addr.
func (p *Plan) Expression(addr, attr string) *tfjson.Expression {
	cr := p.ConfigResource(addr)
	if cr == nil || cr.Expressions == nil {
		return nil
	}
	e := cr.Expressions[attr]
	if e == nil || e.ExpressionData == nil {
		return nil
	}
	return e
}

// References resolves the configuration references of attribute attr of the resource at addr to
// absolute addresses of resources in the plan, following module outputs and input variables
// across module boundaries. The result is sorted and free of duplicates.
func (p *Plan) References(addr, attr string) []string {
	e := p.Expression(addr, attr)
	if e == nil {
		return nil
	}
	mod, _ := SplitAddress(addr)
	seen := map[string]bool{}
	p.resolveRefs(mod, e.References, seen, map[refKey]bool{}, 0)
	return sortedKeys(seen)
}

// maxRefDepth bounds how many module boundaries a reference is followed across.
const maxRefDepth = 16

// refKey is one resolution step. References memoizes steps: a module output that feeds an input
// variable that reads the output again, with a few references at each hop, would otherwise cost
// (references per hop)^maxRefDepth steps on a plan of a few hundred bytes.
type refKey struct {
	module, ref string
	depth       int
}

func (p *Plan) resolveRefs(module string, refs []string, out map[string]bool, memo map[refKey]bool, depth int) {
	if depth > maxRefDepth {
		return
	}
	// covers holds every resolved ref and each of its prefixes that ends before an attribute or an
	// instance key: ref is covered when a resolved ref is ref or extends it
	// (aws_iam_role.a does not cover aws_iam_role.ab[0]). A set keeps long lists linear.
	covers := map[string]bool{}
	for _, ref := range refs {
		if covers[ref] {
			continue
		}
		if p.resolveRef(module, ref, out, memo, depth) {
			covers[ref] = true
			for i := 0; i < len(ref); i++ {
				if ref[i] == '.' || ref[i] == '[' {
					covers[ref[:i]] = true
				}
			}
		}
	}
}

// resolveRef resolves one reference and reports whether it led anywhere.
func (p *Plan) resolveRef(module, ref string, out map[string]bool, memo map[refKey]bool, depth int) bool {
	k := refKey{module, ref, depth}
	if led, ok := memo[k]; ok {
		return led
	}
	led := p.resolveRefOnce(module, ref, out, memo, depth)
	memo[k] = led
	return led
}

func (p *Plan) resolveRefOnce(module, ref string, out map[string]bool, memo map[refKey]bool, depth int) bool {
	segs := splitSegments(ref)
	if len(segs) == 0 {
		return false
	}
	switch segs[0] {
	case "var":
		if len(segs) < 2 || module == "" {
			return false
		}
		call := p.ModuleCall(module)
		if call == nil || call.Expressions == nil {
			return false
		}
		e := call.Expressions[segs[1]]
		if e == nil || e.ExpressionData == nil {
			return false
		}
		parent := parentModule(module)
		before := len(out)
		p.resolveRefs(parent, e.References, out, memo, depth+1)
		return len(out) > before
	case "module":
		if len(segs) < 2 {
			return false
		}
		name, key := cutKey(segs[1])
		childPrefix := Join(module, "module."+name)
		cm := p.modules[StripKeys(childPrefix)]
		if cm == nil || len(segs) < 3 {
			return false
		}
		out0 := cm.Outputs[segs[2]]
		if out0 == nil || out0.Expression.ExpressionData == nil {
			return false
		}
		before := len(out)
		for _, inst := range p.moduleInstances(childPrefix, key) {
			p.resolveRefs(inst, out0.Expression.References, out, memo, depth+1)
		}
		return len(out) > before
	case "local", "each", "count", "path", "terraform", "self":
		return false
	}
	// A resource reference: [data.]type.name[key][.attr...]
	i := 0
	if segs[0] == "data" {
		i = 1
	}
	if len(segs) < i+2 {
		return false
	}
	name, key := cutKey(segs[i+1])
	base := Join(module, strings.Join(append(append([]string{}, segs[:i+1]...), name), "."))
	if key != "" {
		a := base + key
		if _, ok := p.Resources[a]; ok {
			out[a] = true
			return true
		}
		return false
	}
	if _, ok := p.Resources[base]; ok {
		out[base] = true
		return true
	}
	found := false
	for _, a := range p.instancesOf(base) {
		out[a] = true
		found = true
	}
	return found
}

// instancesOf lists the addresses `base[...]` of the plan, sorted.
func (p *Plan) instancesOf(base string) []string {
	var out []string
	for _, a := range p.Addresses {
		if strings.HasPrefix(a, base+"[") && !strings.Contains(a[len(base):], "].") {
			out = append(out, a)
		}
	}
	return out
}

// moduleInstances lists the module instance paths that match a key-less child path and an
// optional key ("" for every instance).
func (p *Plan) moduleInstances(child, key string) []string {
	if key != "" {
		return []string{child + key}
	}
	seen := map[string]bool{}
	for _, r := range p.Resources {
		m := r.Module
		if m == child {
			seen[m] = true
			continue
		}
		if strings.HasPrefix(m, child+"[") {
			end := strings.Index(m[len(child):], "]")
			if end > 0 {
				seen[m[:len(child)+end+1]] = true
			}
		} else if strings.HasPrefix(m, child+".") {
			seen[child] = true
		}
	}
	if len(seen) == 0 {
		seen[child] = true
	}
	return sortedKeys(seen)
}

func parentModule(module string) string {
	segs := splitSegments(module)
	if len(segs) <= 2 {
		return ""
	}
	return strings.Join(segs[:len(segs)-2], ".")
}

// cutKey splits `name[0]` into `name` and `[0]`.
func cutKey(s string) (string, string) {
	if i := strings.IndexByte(s, '['); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
