package source

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// NoStatement is the statement index to pass to Locate when none is known.
const NoStatement = -1

// Location is a line range in a file of the repository.
type Location struct {
	// File is slash-separated and relative to the repository root, as SARIF artifactLocation.uri
	// expects; empty when Locate found nothing.
	File string
	// StartLine and EndLine are 1-based and inclusive.
	StartLine, EndLine int
	// Note is empty when the location is exactly what was asked for. Otherwise it says why the
	// location is coarser (the module call of a registry module, the block instead of a statement
	// whose Sid is not in the source) or, when Locate reports false, why nothing was found.
	Note string
}

// Locate maps a resource address and, optionally, one of its policy statements to a location.
//
// The address is absolute, as in the plan: `aws_iam_policy.x`, `data.aws_iam_policy_document.y[0]`,
// `module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`, or a module call
// `module.karpenter`. Instance keys are ignored, since all instances share one block. A module
// whose files are not in the repository (a registry module not vendored) is located at its module
// block, with a note naming its source.
//
// sid (when not empty) selects the statement with that Sid, index (when not NoStatement) the
// statement at that 0-based position; the Sid is tried first. Statements are found in `statement`
// blocks of an aws_iam_policy_document, in jsonencode({...}) and in heredoc JSON, following
// references to data "aws_iam_policy_document" blocks and locals of the same module. When the
// statement is not found, the location is the resource block and Note says so.
//
// Locate reports false, with the reason in Note, only when the address is malformed or its block
// is not in the root module; a missing block inside a module yields that module's call block.
func (m *Map) Locate(addr, sid string, index int) (Location, bool) {
	a, err := parseAddress(addr)
	if err != nil {
		return Location{Note: err.Error()}, false
	}
	mod := m.modules[m.dir]
	if mod == nil {
		return Location{Note: "no Terraform sources indexed"}, false
	}
	var call *block // the last module call on the path
	for i, name := range a.modules {
		c, ok := mod.calls[name]
		if !ok {
			note := fmt.Sprintf("no module %q block in %s", name, mod.dir)
			if call == nil {
				return Location{Note: note}, false
			}
			return blockLocation(call, note), true
		}
		dir, note, _ := m.resolve(nil, mod, c, a.modules[:i+1])
		if dir == "" {
			return blockLocation(c, note), true
		}
		call, mod = c, m.modules[dir]
	}
	if a.resource == "" {
		return blockLocation(call, ""), true
	}
	b, ok := mod.resources[a.resource]
	if !ok {
		note := fmt.Sprintf("no %s block in %s", a.resource, mod.dir)
		if call == nil {
			return Location{Note: note}, false
		}
		return blockLocation(call, note), true
	}
	return m.statement(mod, b, a, sid, index), true
}

// statement narrows a resource block's location to one of its statements when asked to.
func (m *Map) statement(mod *module, b *block, a address, sid string, index int) Location {
	if sid == "" && index < 0 {
		return blockLocation(b, "")
	}
	if sid != "" {
		if loc, ok := newSearch(m, mod).sidInBlock(b, sid); ok {
			return loc
		}
	}
	if index >= 0 {
		if loc, ok := newSearch(m, mod).indexInBlock(b, index); ok {
			if sid != "" {
				loc.Note = fmt.Sprintf("statement Sid %q not found in the source; located statement %d by position", sid, index)
			}
			return loc
		}
	}
	if sid != "" {
		return blockLocation(b, fmt.Sprintf("statement Sid %q not found in the source of %s; location is the whole block", sid, a))
	}
	return blockLocation(b, fmt.Sprintf("statement %d not determinable from the source of %s; location is the whole block", index, a))
}

func blockLocation(b *block, note string) Location {
	end := b.b.CloseBraceRange.End
	if end.Byte == 0 { // a block cut short by a parse error
		end = b.b.TypeRange.End
	}
	return rangeLocation(b.file, hcl.Range{Start: b.b.TypeRange.Start, End: end}, note)
}

func rangeLocation(f *file, r hcl.Range, note string) Location {
	start, end := max(r.Start.Line, 1), r.End.Line
	return Location{File: f.path, StartLine: start, EndLine: max(end, start), Note: note}
}
