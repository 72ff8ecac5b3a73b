package source

import (
	"fmt"
	"slices"
)

// ModuleBlock is the file that holds a module call's block, for edits of its arguments.
type ModuleBlock struct {
	File string // slash-separated, relative to the repository root (as Location.File)
	Src  []byte // the file's content as indexed
	Line int    // the line of the block's `module "name"`
	Name string // the call's name (the block's label)
}

// Module returns the block of the module call at addr (`module.karpenter`,
// `module.clusters["prod"].module.karpenter`; keys are ignored) when the calling module's files
// are in the repository; otherwise false with the reason.
func (m *Map) Module(addr string) (ModuleBlock, error) {
	a, err := parseAddress(addr)
	if err != nil {
		return ModuleBlock{}, err
	}
	if a.resource != "" || len(a.modules) == 0 {
		return ModuleBlock{}, fmt.Errorf("%s is not a module call", addr)
	}
	mod := m.modules[m.dir]
	if mod == nil {
		return ModuleBlock{}, fmt.Errorf("no Terraform sources indexed")
	}
	for i, name := range a.modules {
		c, ok := mod.calls[name]
		if !ok {
			return ModuleBlock{}, fmt.Errorf("no module %q block in %s", name, mod.dir)
		}
		if i == len(a.modules)-1 {
			if c.file.override {
				return ModuleBlock{}, fmt.Errorf("module %q is amended by the override file %s", name, c.file.path)
			}
			return ModuleBlock{File: c.file.path, Src: slices.Clone(c.file.src), Line: c.b.TypeRange.Start.Line, Name: name}, nil
		}
		dir, note, _ := m.resolve(nil, mod, c, a.modules[:i+1])
		if dir == "" {
			return ModuleBlock{}, fmt.Errorf("module %s: %s", name, note)
		}
		mod = m.modules[dir]
	}
	return ModuleBlock{}, fmt.Errorf("%s is not a module call", addr)
}
