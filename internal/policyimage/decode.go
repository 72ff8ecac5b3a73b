package policyimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// errCorrupt is every structural problem of an image.
var errCorrupt = errors.New("policy image is corrupt")

// maxDepth bounds the nesting of terms and bodies, so that a corrupt image cannot exhaust the stack.
const maxDepth = 1000

// Decode reads an image written by Encode. It returns ErrStale when the image's key is not key,
// and an error wrapping errCorrupt when the bytes are not an image; the modules' rules point at
// their module, as parsed ones do.
func Decode(img, key []byte) (map[string]*ast.Module, []byte, error) {
	if !bytes.HasPrefix(img, []byte(magic)) {
		return nil, nil, fmt.Errorf("%w: no header", errCorrupt)
	}
	d := &decoder{buf: img[len(magic):]}
	got := d.bytes()
	if d.err == nil && !bytes.Equal(got, key) {
		return nil, nil, ErrStale
	}
	extra := d.bytes()
	n := d.count()
	d.strs = make([]string, 0, n)
	for range n {
		d.strs = append(d.strs, string(d.bytes()))
	}
	n = d.count()
	mods := make(map[string]*ast.Module, n)
	for range n {
		name := d.str()
		m := d.module()
		if d.err != nil {
			break
		}
		mods[name] = m
	}
	if d.err == nil && len(d.buf) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return mods, extra, nil
}

type decoder struct {
	buf   []byte
	strs  []string
	depth int
	err   error
	// Terms, locations and expressions are allocated in slabs: an image holds about a hundred
	// thousand of them.
	termSlab []ast.Term
	locSlab  []ast.Location
	exprSlab []ast.Expr
}

const slab = 1024

func (d *decoder) newTerm() *ast.Term {
	if len(d.termSlab) == 0 {
		d.termSlab = make([]ast.Term, slab)
	}
	t := &d.termSlab[0]
	d.termSlab = d.termSlab[1:]
	return t
}

func (d *decoder) newLoc() *ast.Location {
	if len(d.locSlab) == 0 {
		d.locSlab = make([]ast.Location, slab)
	}
	l := &d.locSlab[0]
	d.locSlab = d.locSlab[1:]
	return l
}

func (d *decoder) newExpr() *ast.Expr {
	if len(d.exprSlab) == 0 {
		d.exprSlab = make([]ast.Expr, slab)
	}
	x := &d.exprSlab[0]
	d.exprSlab = d.exprSlab[1:]
	return x
}

func (d *decoder) fail(why string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errCorrupt, why)
	}
	d.buf = nil
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.buf)
	if k <= 0 {
		d.fail("bad number")
		return 0
	}
	d.buf = d.buf[k:]
	return n
}

// count reads a length; every counted item takes at least one byte, so a count above what is
// left is corrupt (and allocation stays bounded by the image's size).
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.buf)) {
		d.fail("count past the end")
		return 0
	}
	return int(n)
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.buf) == 0 {
		d.fail("unexpected end")
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) bool() bool { return d.byte() == 1 }

func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) str() string {
	i := d.uint()
	if d.err != nil {
		return ""
	}
	if i >= uint64(len(d.strs)) {
		d.fail("string index out of range")
		return ""
	}
	return d.strs[i]
}

func (d *decoder) loc() *ast.Location {
	if d.uint() == 0 || d.err != nil {
		return nil
	}
	l := d.newLoc()
	l.File = d.str()
	l.Row = int(d.uint())
	l.Col = int(d.uint())
	return l
}

func (d *decoder) enter() bool {
	d.depth++
	if d.depth > maxDepth {
		d.fail("nested too deeply")
		return false
	}
	return d.err == nil
}

func (d *decoder) leave() { d.depth-- }

func (d *decoder) module() *ast.Module {
	m := &ast.Module{Package: &ast.Package{}}
	m.Package.Path = ast.Ref(d.terms())
	m.Package.Location = d.loc()
	n := d.count()
	for range n {
		imp := &ast.Import{Path: d.term()}
		imp.Alias = ast.Var(d.str())
		imp.Location = d.loc()
		m.Imports = append(m.Imports, imp)
	}
	n = d.count()
	m.Rules = make([]*ast.Rule, 0, n)
	for range n {
		if d.err != nil {
			return nil
		}
		m.Rules = append(m.Rules, d.rule(m))
	}
	return m
}

func (d *decoder) rule(m *ast.Module) *ast.Rule {
	if !d.enter() {
		return nil
	}
	defer d.leave()
	r := &ast.Rule{Module: m, Default: d.bool(), Head: &ast.Head{}}
	h := r.Head
	h.Name = ast.Var(d.str())
	if ref := d.terms(); len(ref) > 0 {
		h.Reference = ref
	}
	if args := d.terms(); len(args) > 0 {
		h.Args = args
	}
	h.Key = d.optTerm()
	h.Value = d.optTerm()
	h.Assign = d.bool()
	h.Location = d.loc()
	r.Body = d.body()
	r.Location = d.loc()
	if d.bool() {
		r.Else = d.rule(m)
	}
	return r
}

func (d *decoder) body() ast.Body {
	if !d.enter() {
		return nil
	}
	defer d.leave()
	n := d.count()
	b := make(ast.Body, 0, n)
	for range n {
		if d.err != nil {
			return nil
		}
		b = append(b, d.expr())
	}
	return b
}

func (d *decoder) expr() *ast.Expr {
	flags := d.byte()
	x := d.newExpr()
	x.Negated, x.Generated = flags&fNegated != 0, flags&fGenerated != 0
	x.Index = int(d.uint())
	x.Location = d.loc()
	switch d.byte() {
	case eTerm:
		x.Terms = d.term()
	case eTerms:
		x.Terms = d.terms()
	case eSome:
		s := &ast.SomeDecl{Symbols: d.terms()}
		s.Location = d.loc()
		x.Terms = s
	case eEvery:
		ev := &ast.Every{Key: d.optTerm(), Value: d.optTerm(), Domain: d.optTerm()}
		ev.Body = d.body()
		ev.Location = d.loc()
		x.Terms = ev
	default:
		d.fail("unknown expression form")
	}
	n := d.count()
	for range n {
		w := &ast.With{Target: d.term(), Value: d.term()}
		w.Location = d.loc()
		x.With = append(x.With, w)
	}
	return x
}

func (d *decoder) optTerm() *ast.Term {
	if !d.bool() {
		return nil
	}
	return d.term()
}

func (d *decoder) terms() []*ast.Term {
	n := d.count()
	if d.err != nil || n == 0 {
		return nil
	}
	ts := make([]*ast.Term, 0, n)
	for range n {
		ts = append(ts, d.term())
	}
	return ts
}

func (d *decoder) term() *ast.Term {
	if !d.enter() {
		return ast.NullTerm()
	}
	defer d.leave()
	t := d.newTerm()
	t.Location = d.loc()
	switch d.byte() {
	case kNull:
		t.Value = ast.Null{}
	case kFalse:
		t.Value = ast.Boolean(false)
	case kTrue:
		t.Value = ast.Boolean(true)
	case kNumber:
		t.Value = ast.Number(d.str())
	case kString:
		t.Value = ast.String(d.str())
	case kVar:
		t.Value = ast.Var(d.str())
	case kRef:
		t.Value = ast.Ref(d.terms())
	case kCall:
		t.Value = ast.Call(d.terms())
	case kArray:
		t.Value = ast.NewArray(d.terms()...)
	case kSet:
		t.Value = ast.NewSet(d.terms()...)
	case kObject:
		n := d.count()
		pairs := make([][2]*ast.Term, 0, n)
		for range n {
			k := d.term()
			pairs = append(pairs, [2]*ast.Term{k, d.term()})
		}
		t.Value = ast.NewObject(pairs...)
	case kArrayCompr:
		c := &ast.ArrayComprehension{Term: d.term()}
		c.Body = d.body()
		t.Value = c
	case kSetCompr:
		c := &ast.SetComprehension{Term: d.term()}
		c.Body = d.body()
		t.Value = c
	case kObjectCompr:
		c := &ast.ObjectComprehension{Key: d.term()}
		c.Value = d.term()
		c.Body = d.body()
		t.Value = c
	default:
		d.fail("unknown term kind")
	}
	if d.err != nil {
		t.Value = ast.Null{}
	}
	return t
}
