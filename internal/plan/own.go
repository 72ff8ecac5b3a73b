package plan

// The memory of the single pass: a span of the window lasts until the next resource object
// (keepSpan, into scratch space every resource reuses), and what the Plan keeps is copied once into
// pointer-free blocks shared by every kept span and index (own, ownIndex), or, for a huge value,
// keeps the window's array itself.

import (
	"bytes"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// spanOf checks a member's kind and, if record, keeps its bytes until the next resource object
// (keepSpan).
func (f *fastDoc) spanOf(dst *[]byte, record bool, kinds ...string) error {
	return f.span(dst, record, f.keepSpan, kinds...)
}

// ownedSpanOf is spanOf for the values the Plan keeps as text: their bytes are copied once, into
// the blocks own carves from.
func (f *fastDoc) ownedSpanOf(dst *[]byte, record bool, kinds ...string) error {
	return f.span(dst, record, f.own, kinds...)
}

func (f *fastDoc) span(dst *[]byte, record bool, keep func([]byte) []byte, kinds ...string) error {
	l := &f.l
	if err := l.Expect(kinds...); err != nil {
		return err
	}
	if !record {
		return l.Value()
	}
	span, err := l.Span()
	if err != nil {
		return err
	}
	*dst = keep(span)
	return nil
}

// keepSpan makes bytes of the window last until the next resource object: a whole document
// never moves, so its bytes are returned as they are; a stream's are copied to scratch space that
// every resource reuses.
func (f *fastDoc) keepSpan(b []byte) []byte {
	if !f.l.Streaming() {
		return b
	}
	n := len(f.scratch)
	f.scratch = append(f.scratch, b...)
	return f.scratch[n:len(f.scratch):len(f.scratch)]
}

// indexedSpanOf is ownedSpanOf for an object (or null) whose members Attrs reads: the walk that
// checks the object also records where its members are, so Attrs need not find them again on its
// first read, alone on one core after the parse.
func (f *fastDoc) indexedSpanOf(dst *[]byte, index *jsontext.Members, record bool, kinds ...string) error {
	l := &f.l
	if err := l.Expect(kinds...); err != nil {
		return err
	}
	if !record || l.Kind() != "an object" {
		return f.span(dst, record, f.own, kinds...)
	}
	l.SkipSpace()
	start := l.Pin()
	defer l.Unpin()
	scratch := f.indexScratch[:0]
	err := l.Object(func([]byte) error {
		key, keyEnd, escaped := l.KeyRange() // before the value's keys
		l.SkipSpace()
		value := l.Offset()
		if err := l.Value(); err != nil {
			return err
		}
		scratch = scratch.AddMember(key-start, keyEnd-start, escaped, value-start, l.Offset()-start)
		return nil
	})
	f.indexScratch = scratch
	if err != nil {
		return err
	}
	span := l.From(start)
	*dst = f.own(span)
	if len(span) <= jsontext.MaxIndexed {
		*index = f.ownIndex(scratch)
	}
	return nil
}

// ownIndex copies a member index into blocks shared by every index the Plan keeps, as own does
// for text.
func (f *fastDoc) ownIndex(index jsontext.Members) jsontext.Members {
	if len(index) == 0 {
		return jsontext.Members{} // indexed, with no members
	}
	if len(f.indexBlock)+len(index) > cap(f.indexBlock) {
		f.indexBlock = make(jsontext.Members, 0, max(ownBlock/4, len(index)))
	}
	n := len(f.indexBlock)
	f.indexBlock = append(f.indexBlock, index...)
	return f.indexBlock[n:len(f.indexBlock):len(f.indexBlock)]
}

// own makes a kept span last as long as the Plan. A whole document's span is returned as it is;
// a stream's is copied into blocks shared by every kept span (one allocation a megabyte, and no
// pointers for the collector to trace).
func (f *fastDoc) own(b []byte) []byte {
	if !f.l.Streaming() || b == nil {
		return b
	}
	if len(b) >= donateMin {
		// A huge span keeps the window's array rather than a copy of it (lexer.donate).
		f.l.Donate()
		return b[:len(b):len(b)]
	}
	if len(b) > ownBlock/4 {
		return bytes.Clone(b)
	}
	if len(f.block)+len(b) > cap(f.block) {
		f.block = make([]byte, 0, ownBlock)
	}
	n := len(f.block)
	f.block = append(f.block, b...)
	return f.block[n:len(f.block):len(f.block)]
}

// ownBlock is the size of the blocks own copies spans into.
const ownBlock = 1 << 20

// donateMin is the span from which own keeps the window's array instead of copying: the array
// (the window's capacity) is kept as long as the Plan, so only spans that fill most of it qualify.
const donateMin = jsontext.BigSpan
