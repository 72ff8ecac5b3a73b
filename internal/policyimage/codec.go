package policyimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// magic starts every image; the digit is the format's version.
const magic = "karpgate-policy-image 1\n"

// ErrStale is returned by Decode when the image was built from other sources or settings.
var ErrStale = errors.New("policy image is stale")

// Node kinds. Values are encoded as a kind byte followed by their parts.
const (
	kNull byte = iota
	kFalse
	kTrue
	kNumber
	kString
	kVar
	kRef
	kArray
	kObject
	kSet
	kArrayCompr
	kObjectCompr
	kSetCompr
	kCall
)

// Expression forms.
const (
	eTerm byte = iota
	eTerms
	eSome
	eEvery
)

// Expression flags.
const (
	fNegated byte = 1 << iota
	fGenerated
)

// Encode writes modules (compiled), key and extra as an image. Modules are written in name order,
// so the same input gives the same bytes.
func Encode(mods map[string]*ast.Module, key, extra []byte) ([]byte, error) {
	e := &encoder{index: map[string]uint64{}}
	names := make([]string, 0, len(mods))
	for name := range mods {
		names = append(names, name)
	}
	slices.Sort(names)
	e.uint(uint64(len(names)))
	for _, name := range names {
		e.str(name)
		if err := e.module(mods[name]); err != nil {
			return nil, fmt.Errorf("module %s: %w", name, err)
		}
	}
	var out bytes.Buffer
	out.WriteString(magic)
	var hdr encoder
	hdr.bytes(key)
	hdr.bytes(extra)
	hdr.uint(uint64(len(e.strs)))
	for _, s := range e.strs {
		hdr.bytes([]byte(s))
	}
	out.Write(hdr.buf)
	out.Write(e.buf)
	return out.Bytes(), nil
}

type encoder struct {
	buf   []byte
	strs  []string
	index map[string]uint64
}

func (e *encoder) uint(n uint64) { e.buf = binary.AppendUvarint(e.buf, n) }

func (e *encoder) bytes(b []byte) {
	e.uint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// str writes s as an index into the image's string table.
func (e *encoder) str(s string) {
	i, ok := e.index[s]
	if !ok {
		i = uint64(len(e.strs))
		e.strs = append(e.strs, s)
		e.index[s] = i
	}
	e.uint(i)
}

func (e *encoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

func (e *encoder) loc(l *ast.Location) {
	if l == nil {
		e.uint(0)
		return
	}
	e.uint(1)
	e.str(l.File)
	e.uint(uint64(l.Row))
	e.uint(uint64(l.Col))
}

func (e *encoder) module(m *ast.Module) error {
	if m.Package == nil {
		return errors.New("no package")
	}
	if err := e.terms(m.Package.Path); err != nil {
		return err
	}
	e.loc(m.Package.Location)
	e.uint(uint64(len(m.Imports)))
	for _, imp := range m.Imports {
		if err := e.term(imp.Path); err != nil {
			return err
		}
		e.str(string(imp.Alias))
		e.loc(imp.Location)
	}
	e.uint(uint64(len(m.Rules)))
	for _, r := range m.Rules {
		if err := e.rule(r); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) rule(r *ast.Rule) error {
	e.bool(r.Default)
	h := r.Head
	e.str(string(h.Name))
	if err := e.terms(h.Reference); err != nil {
		return err
	}
	if err := e.terms(h.Args); err != nil {
		return err
	}
	if err := e.optTerm(h.Key); err != nil {
		return err
	}
	if err := e.optTerm(h.Value); err != nil {
		return err
	}
	e.bool(h.Assign)
	e.loc(h.Location)
	if err := e.body(r.Body); err != nil {
		return err
	}
	e.loc(r.Location)
	if r.Else == nil {
		e.bool(false)
		return nil
	}
	e.bool(true)
	return e.rule(r.Else)
}

func (e *encoder) body(b ast.Body) error {
	e.uint(uint64(len(b)))
	for _, x := range b {
		if err := e.expr(x); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) expr(x *ast.Expr) error {
	var flags byte
	if x.Negated {
		flags |= fNegated
	}
	if x.Generated {
		flags |= fGenerated
	}
	e.buf = append(e.buf, flags)
	e.uint(uint64(x.Index))
	e.loc(x.Location)
	switch t := x.Terms.(type) {
	case *ast.Term:
		e.buf = append(e.buf, eTerm)
		if err := e.term(t); err != nil {
			return err
		}
	case []*ast.Term:
		e.buf = append(e.buf, eTerms)
		if err := e.terms(t); err != nil {
			return err
		}
	case *ast.SomeDecl:
		e.buf = append(e.buf, eSome)
		if err := e.terms(t.Symbols); err != nil {
			return err
		}
		e.loc(t.Location)
	case *ast.Every:
		e.buf = append(e.buf, eEvery)
		for _, p := range []*ast.Term{t.Key, t.Value, t.Domain} {
			if err := e.optTerm(p); err != nil {
				return err
			}
		}
		if err := e.body(t.Body); err != nil {
			return err
		}
		e.loc(t.Location)
	default:
		return fmt.Errorf("expression of type %T", x.Terms)
	}
	e.uint(uint64(len(x.With)))
	for _, w := range x.With {
		if err := e.term(w.Target); err != nil {
			return err
		}
		if err := e.term(w.Value); err != nil {
			return err
		}
		e.loc(w.Location)
	}
	return nil
}

func (e *encoder) optTerm(t *ast.Term) error {
	if t == nil {
		e.bool(false)
		return nil
	}
	e.bool(true)
	return e.term(t)
}

func (e *encoder) terms(ts []*ast.Term) error {
	e.uint(uint64(len(ts)))
	for _, t := range ts {
		if err := e.term(t); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) term(t *ast.Term) error {
	if t == nil {
		return errors.New("nil term")
	}
	e.loc(t.Location)
	switch v := t.Value.(type) {
	case ast.Null:
		e.buf = append(e.buf, kNull)
	case ast.Boolean:
		if v {
			e.buf = append(e.buf, kTrue)
		} else {
			e.buf = append(e.buf, kFalse)
		}
	case ast.Number:
		e.buf = append(e.buf, kNumber)
		e.str(string(v))
	case ast.String:
		e.buf = append(e.buf, kString)
		e.str(string(v))
	case ast.Var:
		e.buf = append(e.buf, kVar)
		e.str(string(v))
	case ast.Ref:
		e.buf = append(e.buf, kRef)
		return e.terms(v)
	case ast.Call:
		e.buf = append(e.buf, kCall)
		return e.terms(v)
	case *ast.Array:
		e.buf = append(e.buf, kArray)
		e.uint(uint64(v.Len()))
		var err error
		v.Foreach(func(x *ast.Term) {
			if err == nil {
				err = e.term(x)
			}
		})
		return err
	case ast.Set:
		e.buf = append(e.buf, kSet)
		return e.terms(v.Slice())
	case ast.Object:
		e.buf = append(e.buf, kObject)
		e.uint(uint64(v.Len()))
		var err error
		v.Foreach(func(k, x *ast.Term) {
			if err == nil {
				err = e.term(k)
			}
			if err == nil {
				err = e.term(x)
			}
		})
		return err
	case *ast.ArrayComprehension:
		e.buf = append(e.buf, kArrayCompr)
		if err := e.term(v.Term); err != nil {
			return err
		}
		return e.body(v.Body)
	case *ast.SetComprehension:
		e.buf = append(e.buf, kSetCompr)
		if err := e.term(v.Term); err != nil {
			return err
		}
		return e.body(v.Body)
	case *ast.ObjectComprehension:
		e.buf = append(e.buf, kObjectCompr)
		if err := e.term(v.Key); err != nil {
			return err
		}
		if err := e.term(v.Value); err != nil {
			return err
		}
		return e.body(v.Body)
	default:
		return fmt.Errorf("term of type %T", t.Value)
	}
	return nil
}
