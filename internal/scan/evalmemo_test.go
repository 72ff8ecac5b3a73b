package scan

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/findings"
)

// evalMemo evaluates each distinct input once per engine. Tests that compare two ways of reading
// the same plan (the fast paths and the full decode) use it: when both build the same input,
// evaluating it twice would only repeat a deterministic function; when the inputs differ, both
// are evaluated and the reports are compared as before. Every caller gets its own copy.
type evalMemo struct {
	eng  *engine.Engine
	mu   sync.Mutex
	seen map[int][]memoEntry // by input hash
}

type memoEntry struct {
	input   ast.Value
	fs      []findings.Finding
	checked map[string]engine.Checked
}

func newEvalMemo(eng *engine.Engine) *evalMemo {
	return &evalMemo{eng: eng, seen: map[int][]memoEntry{}}
}

func (m *evalMemo) eval(ctx context.Context, input ast.Value) ([]findings.Finding, map[string]engine.Checked, error) {
	h := input.Hash()
	m.mu.Lock()
	for _, e := range m.seen[h] {
		if e.input.Compare(input) == 0 {
			m.mu.Unlock()
			return slices.Clone(e.fs), maps.Clone(e.checked), nil
		}
	}
	m.mu.Unlock()
	fs, checked, err := m.eng.EvalChecked(ctx, input)
	if err != nil {
		return nil, nil, err
	}
	m.mu.Lock()
	m.seen[h] = append(m.seen[h], memoEntry{input: input, fs: slices.Clone(fs), checked: maps.Clone(checked)})
	m.mu.Unlock()
	return fs, checked, nil
}

// scanner is New with evaluations from memo.
func (m *evalMemo) scanner(opt Options) *Scanner {
	opt.Eval = m.eval
	return New(m.eng, opt)
}
