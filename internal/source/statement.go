package source

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// policyDocument is the data source whose `statement` blocks build a policy in HCL.
const policyDocument = "aws_iam_policy_document"

// policyAttributes are the attributes that hold a whole policy document, in the order Locate reads
// them for a statement index.
var policyAttributes = [...]string{"policy", "assume_role_policy"}

// search looks for one statement, following references within one module. seen stops reference
// cycles (two locals referring to each other) and repeated work.
type search struct {
	m    *Map
	mod  *module
	seen map[any]bool
}

func newSearch(m *Map, mod *module) *search { return &search{m: m, mod: mod, seen: map[any]bool{}} }

// sidInBlock finds the statement with the given Sid in a resource or data block: directly in its
// body first, then through the policy documents and locals it references.
func (s *search) sidInBlock(b *block, sid string) (Location, bool) {
	if s.seen[b] {
		return Location{}, false
	}
	s.seen[b] = true
	if loc, ok := s.sidInBody(b.file, b.b.Body, sid); ok {
		return loc, true
	}
	return s.sidInRefs(b.file, bodyExpressions(b.b.Body, nil), sid)
}

// sidInBody looks, in source order, at `statement` blocks (plain and dynamic), nested blocks such as
// inline_policy, and attribute expressions.
func (s *search) sidInBody(f *file, body *hclsyntax.Body, sid string) (Location, bool) {
	for _, n := range bodyItems(body) {
		switch n := n.(type) {
		case *hclsyntax.Attribute:
			if loc, ok := s.sidInExpr(f, n.Expr, sid); ok {
				return loc, true
			}
		case *hclsyntax.Block:
			switch {
			case n.Type == "statement":
				if hasSid(n.Body, sid) {
					return blockLocation(&block{f, n}, ""), true
				}
			case n.Type == "dynamic" && len(n.Labels) == 1 && n.Labels[0] == "statement":
				for _, c := range n.Body.Blocks {
					if c.Type == "content" && hasSid(c.Body, sid) {
						return blockLocation(&block{f, n}, ""), true
					}
				}
			default:
				if loc, ok := s.sidInBody(f, n.Body, sid); ok {
					return loc, true
				}
			}
		}
	}
	return Location{}, false
}

// sidInRefs follows the policy documents and locals the expressions reference.
func (s *search) sidInRefs(f *file, exprs []hclsyntax.Expression, sid string) (Location, bool) {
	for _, e := range exprs {
		for _, r := range s.refs(e) {
			switch r := r.(type) {
			case *block:
				if loc, ok := s.sidInBlock(r, sid); ok {
					return loc, true
				}
			case *attribute:
				if s.seen[r] {
					continue
				}
				s.seen[r] = true
				if loc, ok := s.sidInExpr(r.file, r.a.Expr, sid); ok {
					return loc, true
				}
				if loc, ok := s.sidInRefs(r.file, []hclsyntax.Expression{r.a.Expr}, sid); ok {
					return loc, true
				}
			}
		}
	}
	return Location{}, false
}

// refs returns the policy document data blocks (*block) and locals (*attribute) of the module that
// an expression references, without duplicates, in the order they appear.
func (s *search) refs(e hclsyntax.Expression) []any {
	var out []any
	for _, t := range e.Variables() {
		var r any
		switch {
		case len(t) >= 3 && t.RootName() == "data" && attrName(t[1]) == policyDocument && attrName(t[2]) != "":
			if b, ok := s.mod.resources["data."+policyDocument+"."+attrName(t[2])]; ok {
				r = b
			}
		case len(t) >= 2 && t.RootName() == "local" && attrName(t[1]) != "":
			if a, ok := s.mod.locals[attrName(t[1])]; ok {
				r = a
			}
		}
		if r != nil && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func attrName(t hcl.Traverser) string {
	if a, ok := t.(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

func hasSid(body *hclsyntax.Body, sid string) bool {
	a, ok := body.Attributes["sid"]
	if !ok {
		return false
	}
	v, ok := literalString(a.Expr)
	return ok && v == sid
}

// sidInExpr finds, anywhere in an expression, an object constructor with `Sid = "<sid>"` (as in
// jsonencode), a string or heredoc whose JSON text has `"Sid": "<sid>"`, or a JSON file read with
// file() or templatefile() that has it; the first in the source wins.
func (s *search) sidInExpr(f *file, expr hclsyntax.Expression, sid string) (Location, bool) {
	var best Location
	bestByte := -1
	consider := func(loc Location, at int) {
		if bestByte < 0 || at < bestByte {
			best, bestByte = loc, at
		}
	}
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n := n.(type) {
		case *hclsyntax.ObjectConsExpr:
			for _, item := range n.Items {
				key, ok := literalString(item.KeyExpr)
				if !ok || !strings.EqualFold(key, "Sid") {
					continue
				}
				if v, ok := literalString(item.ValueExpr); ok && v == sid {
					consider(rangeLocation(f, n.SrcRange, ""), n.SrcRange.Start.Byte)
				}
			}
		case *hclsyntax.TemplateExpr:
			if loc, at, ok := sidInText(f, n.SrcRange, sid); ok {
				consider(loc, at)
			}
		case *hclsyntax.FunctionCallExpr:
			if pf, ok := s.loaded(n); ok {
				if loc, _, ok := sidInText(pf, wholeFile(pf), sid); ok {
					consider(loc, n.NameRange.Start.Byte)
				}
			}
		}
		return nil
	})
	return best, bestByte >= 0
}

// sidInText finds a statement by Sid in the source text of a string or heredoc: the whole statement
// object when the text is JSON, else the line with `"Sid": "<sid>"` (quotes possibly escaped).
func sidInText(f *file, r hcl.Range, sid string) (Location, int, bool) {
	text, ok := sourceText(f, r)
	if !ok || !bytes.Contains(text, []byte(sid)) {
		return Location{}, 0, false
	}
	if off, ok := jsonStart(text); ok {
		if spans, ok := jsonStatements(text[off:]); ok {
			for _, sp := range spans {
				if sp.sid == sid {
					return textLocation(f, r, text, off+sp.start, off+sp.end), r.Start.Byte + off + sp.start, true
				}
			}
		}
	}
	re, err := regexp.Compile(`\\?"Sid\\?"\s*:\s*\\?"` + regexp.QuoteMeta(sid) + `\\?"`)
	if err != nil {
		return Location{}, 0, false
	}
	m := re.FindIndex(text)
	if m == nil {
		return Location{}, 0, false
	}
	return textLocation(f, r, text, m[0], m[0]), r.Start.Byte + m[0], true
}

// sourceText is the source of a range, or false when the range does not fit the file (which a
// broken parse could produce).
func sourceText(f *file, r hcl.Range) ([]byte, bool) {
	if r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > len(f.src) {
		return nil, false
	}
	return f.src[r.Start.Byte:r.End.Byte], true
}

// textLocation turns byte offsets inside the text of range r into a location.
func textLocation(f *file, r hcl.Range, text []byte, start, end int) Location {
	first := r.Start.Line + bytes.Count(text[:start], []byte("\n"))
	last := r.Start.Line + bytes.Count(text[:max(end-1, start)], []byte("\n"))
	return Location{File: f.path, StartLine: max(first, 1), EndLine: max(last, first, 1)}
}

// jsonStart returns where JSON text starts in a heredoc (after the `<<EOF` line) or a multi-line
// template; false for a quoted string, whose JSON has escaped quotes.
func jsonStart(text []byte) (int, bool) {
	off := 0
	if bytes.HasPrefix(text, []byte("<<")) {
		nl := bytes.IndexByte(text, '\n')
		if nl < 0 {
			return 0, false
		}
		off = nl + 1
	}
	off = skipSpace(text, off)
	return off, off < len(text) && text[off] == '{'
}

// span is one statement of a JSON policy: byte offsets of its value and its Sid, if any.
type span struct {
	start, end int
	sid        string
}

// jsonStatements returns the statements of the JSON policy document at the start of text (text may
// go on after it, like a heredoc's closing marker): the elements of its Statement array, or the
// Statement object itself. It reports false when the text is not such a document.
func jsonStatements(text []byte) ([]span, bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		if key, _ := t.(string); !strings.EqualFold(key, "Statement") {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, false
			}
			continue
		}
		start := skipSpace(text, int(dec.InputOffset()))
		if start >= len(text) {
			return nil, false
		}
		switch text[start] {
		case '{':
			sp, ok := decodeSpan(dec, text, start)
			return []span{sp}, ok
		case '[':
			if _, err := dec.Token(); err != nil {
				return nil, false
			}
			var spans []span
			for dec.More() {
				sp, ok := decodeSpan(dec, text, skipSpace(text, int(dec.InputOffset())))
				if !ok {
					return nil, false
				}
				spans = append(spans, sp)
			}
			return spans, true
		}
		return nil, false
	}
	return nil, false
}

// decodeSpan reads the next JSON value, which starts at start, and its Sid.
func decodeSpan(dec *json.Decoder, text []byte, start int) (span, bool) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return span{}, false
	}
	end := int(dec.InputOffset())
	if start > end || end > len(text) {
		return span{}, false
	}
	var obj map[string]json.RawMessage
	var sid string
	if json.Unmarshal(raw, &obj) == nil {
		v, ok := obj["Sid"]
		if !ok {
			for _, k := range sortedKeys(obj) {
				if strings.EqualFold(k, "Sid") {
					v, ok = obj[k], true
					break
				}
			}
		}
		if ok {
			_ = json.Unmarshal(v, &sid) // a non-string Sid matches nothing
		}
	}
	return span{start: start, end: end, sid: sid}, true
}

// skipSpace skips JSON whitespace and the separators between tokens.
func skipSpace(text []byte, i int) int {
	for i < len(text) {
		switch text[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
		default:
			return i
		}
	}
	return i
}

// indexInBlock finds the statement at a 0-based position in a resource or data block.
func (s *search) indexInBlock(b *block, i int) (Location, bool) {
	if s.seen[b] {
		return Location{}, false
	}
	s.seen[b] = true
	body := b.b.Body
	// Statement blocks render in source order, a dynamic block expanding in place to an unknown
	// number of statements: positions before the first dynamic block are known.
	var statements []*hclsyntax.Block
	declared, dynamic := false, false
	for _, n := range body.Blocks {
		switch {
		case n.Type == "statement":
			declared = true
			if !dynamic {
				statements = append(statements, n)
			}
		case n.Type == "dynamic" && len(n.Labels) == 1 && n.Labels[0] == "statement":
			declared, dynamic = true, true
		}
	}
	_, sources := body.Attributes["source_policy_documents"]
	_, overrides := body.Attributes["override_policy_documents"]
	_, sourceJSON := body.Attributes["source_json"]
	_, overrideJSON := body.Attributes["override_json"]
	if declared {
		// Merged documents put their statements first and replace by Sid: positions are unknown.
		if sources || overrides || sourceJSON || overrideJSON || i >= len(statements) {
			return Location{}, false
		}
		return blockLocation(&block{b.file, statements[i]}, ""), true
	}
	if a, ok := body.Attributes["source_policy_documents"]; ok && !overrides && !sourceJSON && !overrideJSON {
		// A document made of exactly one other document has that document's statements.
		if t, ok := unwrap(a.Expr).(*hclsyntax.TupleConsExpr); ok && len(t.Exprs) == 1 {
			return s.indexInExpr(b.file, t.Exprs[0], i)
		}
		return Location{}, false
	}
	for _, name := range policyAttributes {
		if a, ok := body.Attributes[name]; ok {
			return s.indexInExpr(b.file, a.Expr, i)
		}
	}
	return Location{}, false
}

// statementInObject finds the statement at position i of the object given to jsonencode: the
// element of its Statement list, or its Statement object for position 0.
func statementInObject(f *file, arg hclsyntax.Expression, i int) (Location, bool) {
	doc, ok := unwrap(arg).(*hclsyntax.ObjectConsExpr)
	if !ok {
		return Location{}, false
	}
	for _, item := range doc.Items {
		if key, ok := literalString(item.KeyExpr); !ok || !strings.EqualFold(key, "Statement") {
			continue
		}
		switch v := unwrap(item.ValueExpr).(type) {
		case *hclsyntax.TupleConsExpr:
			if i < len(v.Exprs) && !placeholder(v.Exprs[i]) {
				return rangeLocation(f, v.Exprs[i].Range(), ""), true
			}
		case *hclsyntax.ObjectConsExpr:
			if i == 0 {
				return rangeLocation(f, v.SrcRange, ""), true
			}
		}
		return Location{}, false
	}
	return Location{}, false
}

// statementInText finds the statement at position i in the JSON text of range r.
func statementInText(f *file, r hcl.Range, i int) (Location, bool) {
	text, ok := sourceText(f, r)
	if !ok {
		return Location{}, false
	}
	off, ok := jsonStart(text)
	if !ok {
		return Location{}, false
	}
	spans, ok := jsonStatements(text[off:])
	if !ok || i >= len(spans) {
		return Location{}, false
	}
	return textLocation(f, r, text, off+spans[i].start, off+spans[i].end), true
}

// loaded returns the file a file() or templatefile() call reads, when Index read it.
func (s *search) loaded(call *hclsyntax.FunctionCallExpr) (*file, bool) {
	p, ok := loadedFile(s.mod, call)
	if !ok {
		return nil, false
	}
	pf, ok := s.m.policies[p]
	return pf, ok && pf.src != nil
}

func wholeFile(f *file) hcl.Range {
	return hcl.Range{Filename: f.path, Start: hcl.InitialPos, End: hcl.Pos{Byte: len(f.src)}}
}

// indexInExpr finds the statement at position i of the policy an expression produces: the element
// of `Statement` in jsonencode, of the Statement array in heredoc JSON or in a file read with
// file() or templatefile(), or of the one policy document or local the expression refers to.
func (s *search) indexInExpr(f *file, expr hclsyntax.Expression, i int) (Location, bool) {
	switch e := unwrap(expr).(type) {
	case *hclsyntax.FunctionCallExpr:
		if e.Name == "jsonencode" && len(e.Args) == 1 {
			return statementInObject(f, e.Args[0], i)
		}
		if pf, ok := s.loaded(e); ok {
			return statementInText(pf, wholeFile(pf), i)
		}
		return Location{}, false
	case *hclsyntax.TemplateExpr:
		return statementInText(f, e.SrcRange, i)
	}
	refs := s.refs(expr)
	if len(refs) != 1 {
		return Location{}, false // none, or a choice (var.x ? data.a.json : data.b.json) unknown here
	}
	switch r := refs[0].(type) {
	case *block:
		return s.indexInBlock(r, i)
	case *attribute:
		if s.seen[r] {
			return Location{}, false
		}
		s.seen[r] = true
		return s.indexInExpr(r.file, r.a.Expr, i)
	}
	return Location{}, false
}

// placeholder reports whether a statement element is not a statement but what the parser put in
// place of a syntax error (a literal never is a statement).
func placeholder(e hclsyntax.Expression) bool {
	switch e.(type) {
	case *hclsyntax.ExprSyntaxError, *hclsyntax.LiteralValueExpr:
		return true
	}
	r := e.Range()
	return r.End.Byte <= r.Start.Byte
}

// unwrap removes parentheses and "${...}" wrappers.
func unwrap(e hclsyntax.Expression) hclsyntax.Expression {
	for {
		switch w := e.(type) {
		case *hclsyntax.ParenthesesExpr:
			e = w.Expression
		case *hclsyntax.TemplateWrapExpr:
			e = w.Wrapped
		default:
			return e
		}
	}
}

// literalString returns the value of a string literal, a template without interpolations, or an
// object key (bare `Sid` or quoted "Sid"); false for anything computed.
func literalString(e hclsyntax.Expression) (string, bool) {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return ctyString(e.Val)
	case *hclsyntax.TemplateExpr:
		var b strings.Builder
		for _, p := range e.Parts {
			lit, ok := p.(*hclsyntax.LiteralValueExpr)
			if !ok {
				return "", false
			}
			v, ok := ctyString(lit.Val)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		}
		return b.String(), true
	case *hclsyntax.ParenthesesExpr:
		return literalString(e.Expression)
	case *hclsyntax.ObjectConsKeyExpr:
		if !e.ForceNonLiteral {
			if kw := hcl.ExprAsKeyword(e.Wrapped); kw != "" {
				return kw, true
			}
		}
		return literalString(e.Wrapped)
	}
	return "", false
}

func ctyString(v cty.Value) (string, bool) {
	if v.Type() != cty.String || v.IsMarked() || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	return v.AsString(), true
}

// bodyItems returns a body's attributes and blocks in source order.
func bodyItems(body *hclsyntax.Body) []hclsyntax.Node {
	items := make([]hclsyntax.Node, 0, len(body.Attributes)+len(body.Blocks))
	for _, a := range sortedAttributes(body) {
		items = append(items, a)
	}
	for _, b := range body.Blocks {
		items = append(items, b)
	}
	slices.SortStableFunc(items, func(a, b hclsyntax.Node) int {
		return a.Range().Start.Byte - b.Range().Start.Byte
	})
	return items
}

// bodyExpressions appends the attribute expressions of a body and its nested blocks, in source order.
func bodyExpressions(body *hclsyntax.Body, out []hclsyntax.Expression) []hclsyntax.Expression {
	for _, n := range bodyItems(body) {
		switch n := n.(type) {
		case *hclsyntax.Attribute:
			out = append(out, n.Expr)
		case *hclsyntax.Block:
			out = bodyExpressions(n.Body, out)
		}
	}
	return out
}
