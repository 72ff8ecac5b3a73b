package plan

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/karpgate/karpgate/internal/jsontext"
)

// A split parse reads a large plan file on several cores at once, with the same single validating
// pass cut into sections. terraform writes the top-level members of a plan in a fixed order
// (planned_values, resource_changes, prior_state, configuration); the first three hold nearly all
// of a plan's bytes. While the first section is read from the top, two searches find the first
// "resource_changes" key (forward from the top) and the last "prior_state" key (back from the end),
// and a section starts at each. A section is read by its own streaming lexer, inside the root
// object at depth 1, and stops at a top-level member where another section starts: when it meets
// one of the two keys there, it waits for that key's search to say whether it is the one found.
//
// Nothing depends on the search being right. A section's result is used only if the sections tile
// the document: the first reads from the top to the exact start of another, that one on, and the
// last ends the document. A key of that name inside a value is never where a section stops (the
// search cannot match inside a string, where quotes are escaped), so what was read from there is
// dropped. The sections of a chain are then the single pass cut where its state is nothing but the
// top-level keys read so far and what was collected, which is merged; the keys are checked across
// sections. Any error in a section of the chain, a read error, or a top-level key in two sections
// discards the split: the document is parsed again in one pass, which reports exactly the error
// (line, column, path) it always reports.

// splitKeys are the top-level keys where sections start, each with the index of its least common
// byte in plan text, which the search looks for first, and whether the search wants the last
// occurrence (searched from the end: prior_state is followed only by the configuration) or the
// first (resource_changes follows planned_values).
var splitKeys = [...]struct {
	text string
	rare int
	last bool
}{
	{`"resource_changes":`, 11, false}, // 'h'
	{`"prior_state":`, 1, true},        // 'p'
}

// SplitMinSize is the smallest document Read splits: below it, the cores are better spent on
// other plans (ScanMany) and the search would cost more than it saves.
const SplitMinSize = 32 << 20

// errNotEnd is text after the document: the single pass reports it.
var errNotEnd = errors.New("text after the document")

// searchChunk is how much of the file the search reads at a time.
const searchChunk = 1 << 20

// streamConfig tunes parseStream; tests shrink both to reach every boundary.
type streamConfig struct {
	window   int   // the initial window of each lexer
	splitMin int64 // split documents at least this large that can be read at offsets; <0: never
}

// seekReaderAt is what a split parse needs of its input: an *os.File of a regular file, or a
// *bytes.Reader.
type seekReaderAt interface {
	io.ReaderAt
	io.Seeker
}

// trySplit parses r in sections when it can be read at offsets and is large enough. ok is false
// when it did not, or when the sections did not join: then r is where it was, for the single
// pass. sections is how many sections made the plan.
func trySplit(name string, r io.Reader, max int64, keep Keep, cfg streamConfig) (p *Plan, sections int, ok bool, err error) {
	rs, can := r.(seekReaderAt)
	if !can || cfg.splitMin < 0 {
		return nil, 0, false, nil
	}
	pos, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0, false, nil // a pipe: read it in one pass
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if _, serr := rs.Seek(pos, io.SeekStart); serr != nil {
		return nil, 0, false, inputErr(name, "seek: %v", serr)
	}
	size := end - pos
	if err != nil || size < cfg.splitMin || size > max {
		return nil, 0, false, nil
	}
	s := &split{ra: rs, base: pos, size: size, keep: keep, window: cfg.window, starts: map[int64]*section{}}
	s.cond.L = &s.mu
	f, n := s.run()
	if f == nil {
		return nil, 0, false, nil
	}
	if _, err := rs.Seek(0, io.SeekEnd); err != nil { // read to the end, as a stream is
		return nil, 0, false, inputErr(name, "seek: %v", err)
	}
	p, err = f.plan(name, nil)
	return p, n, true, err
}

// split is one split parse of the size bytes of ra from base.
type split struct {
	ra         io.ReaderAt
	base, size int64
	keep       Keep
	window     int
	abort      atomic.Bool // set once the result is known: every reader stops
	wg         sync.WaitGroup

	mu      sync.Mutex
	cond    sync.Cond             // signalled when a search ends
	starts  map[int64]*section    // the sections, by the offset they start at
	found   [len(splitKeys)]int64 // where each key's section starts (-1: none)
	decided [len(splitKeys)]bool  // each key's search is over
}

// section is one section of a split parse.
type section struct {
	start int64
	f     *fastDoc
	err   error // nil: it ended the document; jsontext.ErrStop: it stopped at next
	next  int64
	done  chan struct{}
}

// run reads the sections and returns what the chain from the top read, merged, and the number of
// sections in it; nil if they did not join.
func (s *split) run() (*fastDoc, int) {
	s.mu.Lock()
	sec := s.launch(0)
	s.mu.Unlock()
	for i := range splitKeys {
		s.wg.Add(1)
		go s.search(i)
	}
	var chain []*section
	for {
		<-sec.done
		if sec.err != nil && sec.err != jsontext.ErrStop {
			chain = nil
			break
		}
		chain = append(chain, sec)
		if sec.err == nil {
			break
		}
		s.mu.Lock()
		sec = s.starts[sec.next] // there is one: a section stops only where another starts
		s.mu.Unlock()
	}
	s.abort.Store(true)
	s.wg.Wait()
	if chain == nil {
		return nil, 0
	}
	f := &fastDoc{keep: s.keep}
	seen := map[string]bool{}
	for _, sec := range chain {
		for _, k := range sec.f.top {
			if seen[k] {
				return nil, 0 // the single pass reports the duplicate key
			}
			seen[k] = true
		}
		f.absorb(sec.f)
	}
	return f, len(chain)
}

// launch starts reading a section at off; s.mu is held.
func (s *split) launch(off int64) *section {
	sec := &section{start: off, done: make(chan struct{})}
	s.starts[off] = sec
	s.wg.Add(1)
	go s.read(sec)
	return sec
}

// read reads one section: from the top of the document, or from the key at sec.start.
func (s *split) read(sec *section) {
	defer s.wg.Done()
	defer close(sec.done)
	n := s.size - sec.start
	f := &fastDoc{keep: s.keep, section: true}
	l := &f.l
	stop := func(off int64) bool {
		for i, k := range splitKeys {
			if l.HasPrefix(k.text) {
				return s.startsAt(i, off)
			}
		}
		return false
	}
	*l = jsontext.NewSection(io.NewSectionReader(s.ra, s.base+sec.start, n), sec.start, n, s.window, stop, &s.abort)
	var err error
	if sec.start == 0 {
		err = f.document()
	} else {
		err = l.ResumeObject(f.member)
	}
	if err == nil && l.Peek() != 0 {
		err = errNotEnd
	}
	if l.ReadErr() != nil {
		err = l.ReadErr()
	}
	if err == jsontext.ErrStop {
		sec.next = l.Offset()
	}
	sec.f, sec.err = f, err
}

// startsAt reports whether key i's section starts at off, waiting for its search to end.
func (s *split) startsAt(i int, off int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.decided[i] {
		s.cond.Wait()
	}
	return s.found[i] == off
}

// search finds key i and starts a section there.
func (s *split) search(i int) {
	defer s.wg.Done()
	k := splitKeys[i]
	buf := make([]byte, searchChunk)
	var at int64
	if k.last {
		at = s.findLast(buf, []byte(k.text), k.rare)
	} else {
		at = s.find(buf, []byte(k.text), k.rare)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if at >= 0 {
		s.launch(at)
	}
	s.found[i], s.decided[i] = at, true
	s.cond.Broadcast()
}

// find returns the offset of the first key in the document, or -1.
func (s *split) find(buf, key []byte, rare int) int64 {
	for off := int64(0); off < s.size && !s.abort.Load(); {
		n, err := s.ra.ReadAt(buf[:min(int64(len(buf)), s.size-off)], s.base+off)
		if at := indexRare(buf[:n], key, rare); at >= 0 {
			return off + int64(at)
		}
		if err != nil || n < len(key) {
			return -1
		}
		off += int64(n - len(key) + 1) // a key cut by the chunk's end is found in the next
	}
	return -1
}

// findLast returns the offset of the last key in the document, or -1.
func (s *split) findLast(buf, key []byte, rare int) int64 {
	for end := s.size; end >= int64(len(key)) && !s.abort.Load(); {
		off := max(0, end-int64(len(buf)))
		if n, _ := s.ra.ReadAt(buf[:end-off], s.base+off); int64(n) < end-off {
			return -1 // a read error: the single pass reports it
		}
		if at := lastIndexRare(buf[:end-off], key, rare); at >= 0 {
			return off + int64(at)
		}
		if off == 0 {
			return -1
		}
		end = off + int64(len(key)) - 1 // a key cut by the chunk's start is found in the next
	}
	return -1
}

// indexRare is bytes.Index(b, key), looking first for key[rare]: in plan text a quote starts one
// token in three, so bytes.Index, which looks for the first byte, stops far more often.
func indexRare(b, key []byte, rare int) int {
	c := key[rare]
	for i := rare; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], c)
		if j < 0 {
			return -1
		}
		i += j
		if start := i - rare; start+len(key) <= len(b) && bytes.Equal(b[start:start+len(key)], key) {
			return start
		}
	}
	return -1
}

// lastIndexRare is bytes.LastIndex(b, key), found forward with indexRare: bytes.LastIndexByte
// is a plain loop, IndexByte a vector scan, and a chunk is short.
func lastIndexRare(b, key []byte, rare int) int {
	last := -1
	for from := 0; ; {
		i := indexRare(b[from:], key, rare)
		if i < 0 {
			return last
		}
		last = from + i
		from = last + 1
	}
}

// absorb adds what a later section read to f.
func (f *fastDoc) absorb(g *fastDoc) {
	if g.formatVersion != nil {
		f.formatVersion = g.formatVersion
	}
	if g.terraformVersion != "" {
		f.terraformVersion = g.terraformVersion
	}
	if g.config != nil {
		f.config = g.config
	}
	if g.variables != nil {
		f.variables = g.variables
	}
	if g.complete != nil {
		f.complete = g.complete
	}
	if g.deferred != nil {
		f.deferred = g.deferred
	}
	f.errored = f.errored || g.errored
	f.hasValues = f.hasValues || g.hasValues
	f.isPlan = f.isPlan || g.isPlan
	f.state = append(f.state, g.state...)
	f.prior = append(f.prior, g.prior...)
	f.planned = append(f.planned, g.planned...)
	f.changes = append(f.changes, g.changes...)
}
