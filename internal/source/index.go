package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

const (
	// maxModuleDepth bounds how deep Index follows module calls, so a module that calls itself
	// (source = "./") or a cycle of local modules terminates.
	maxModuleDepth = 32
	// maxFileSize is the largest .tf or modules.json file Index reads, in bytes; larger files are
	// skipped and reported by Problems.
	maxFileSize = 8 << 20
	// maxModuleCalls bounds how many module calls Index follows in total: modules that each call the
	// same child twice would otherwise double the work at every level.
	maxModuleCalls = 10000
	// manifestPath is where `terraform init` records installed modules, relative to the root module.
	manifestPath = ".terraform/modules/modules.json"
)

// ErrOutsideRoot is returned by Index when the source directory is not inside the repository root.
var ErrOutsideRoot = errors.New("source directory is outside the repository root")

// Map is the parsed view of a root module and the modules it calls. It is read-only once Index
// returns, so Locate may be called from several goroutines.
type Map struct {
	root     string // absolute repository root, symlinks resolved; empty for an fs.FS index
	dir      string // root module directory, slash-separated and relative to root ("." for root)
	modules  map[string]*module
	policies map[string]*file // files read by file() or templatefile() calls, by repository path
	manifest map[string]manifestEntry
	problems []string
	missing  map[string]bool // local module directories that do not exist
	calls    int             // module calls followed while indexing
}

// module holds the blocks of one module directory that Locate needs.
type module struct {
	dir       string
	resources map[string]*block // "TYPE.NAME" and "data.TYPE.NAME"
	calls     map[string]*block // module call name
	locals    map[string]*attribute
}

// file is one parsed source file; path is slash-separated and relative to the repository root.
type file struct {
	path     string
	src      []byte
	override bool // override.tf or *_override.tf: its blocks only amend the primary definition
}

type block struct {
	file *file
	b    *hclsyntax.Block
}

type attribute struct {
	file *file
	a    *hclsyntax.Attribute
}

// manifestEntry is one module of .terraform/modules/modules.json: Key is the dotted call path
// ("clusters.karpenter"), Dir where init put its files, relative to the root module.
type manifestEntry struct {
	Key string `json:"Key"`
	Dir string `json:"Dir"`
}

// Index parses the .tf files of dir and of every module it calls whose files are inside repoRoot,
// recursively: local sources ("./", "../") and modules that .terraform/modules/modules.json places
// in the repository (never under a .terraform directory, which is not committed). An empty repoRoot
// means the nearest ancestor of dir that has a .git entry, else dir itself.
//
// Index fails only when dir cannot be read or is outside repoRoot. A file that cannot be read or
// parsed is skipped, as far as it is broken, and reported by Problems; the rest stays locatable.
// Files outside repoRoot (including through symbolic links) are never read.
func Index(dir, repoRoot string) (*Map, error) {
	absDir, err := realPath(dir)
	if err != nil {
		return nil, fmt.Errorf("read source dir: %w", err)
	}
	if repoRoot == "" {
		repoRoot = gitTopLevel(absDir)
	}
	absRoot, err := realPath(repoRoot)
	if err != nil {
		return nil, fmt.Errorf("read repository root: %w", err)
	}
	rel, err := filepath.Rel(absRoot, absDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("index %s: %w %s", absDir, ErrOutsideRoot, absRoot)
	}
	root, err := os.OpenRoot(absRoot)
	if err != nil {
		return nil, fmt.Errorf("open repository root: %w", err)
	}
	defer root.Close()
	m, err := indexFS(root.FS(), filepath.ToSlash(rel))
	if err != nil {
		return nil, err
	}
	m.root = absRoot
	return m, nil
}

// indexFS does the work of Index on a file system rooted at the repository root; dir is the
// slash-separated root module directory inside it.
func indexFS(fsys fs.FS, dir string) (*Map, error) {
	dir = path.Clean(dir)
	info, err := fs.Stat(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read source dir: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("read source dir %s: not a directory", dir)
	}
	m := &Map{dir: dir, modules: map[string]*module{}, policies: map[string]*file{}, missing: map[string]bool{}}
	m.loadManifest(fsys)
	m.walk(fsys, dir, nil, map[string]bool{})
	m.problems = dedupe(m.problems)
	return m, nil
}

// Problems lists what Index could not read or parse, one "file:line,col: problem" per entry, in a
// stable order. Locations in the affected files may be missing or less precise.
func (m *Map) Problems() []string { return slices.Clone(m.problems) }

// RepoRoot is the absolute repository root that Location.File is relative to.
func (m *Map) RepoRoot() string { return m.root }

// Rel makes path (absolute or relative to the working directory) slash-separated and relative to the
// repository root, the form of Location.File, for locations Index did not produce (such as the plan
// file fallback). It reports false when path is outside the repository root.
func (m *Map) Rel(p string) (string, bool) {
	abs, err := realPath(p)
	if err != nil {
		if abs, err = filepath.Abs(p); err != nil {
			return "", false
		}
	}
	rel, err := filepath.Rel(m.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func (m *Map) problem(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf(format, args...))
}

// walk loads the module in dir and, depth first in name order, every module it calls that resolves
// to a directory in the repository. chain holds the directories of the current call path.
func (m *Map) walk(fsys fs.FS, dir string, callPath []string, chain map[string]bool) {
	mod := m.load(fsys, dir)
	if len(callPath) >= maxModuleDepth {
		m.problem("%s: module calls nested deeper than %d levels are not followed", dir, maxModuleDepth)
		return
	}
	chain[dir] = true
	defer delete(chain, dir)
	for _, name := range sortedKeys(mod.calls) {
		sub := append(slices.Clip(callPath), name)
		child, _, problem := m.resolve(fsys, mod, mod.calls[name], sub)
		if problem != "" {
			m.problems = append(m.problems, problem)
		}
		if child == "" {
			continue
		}
		if chain[child] {
			continue // a module calling itself; its blocks are already loaded
		}
		if m.calls++; m.calls > maxModuleCalls {
			m.problem("%s: more than %d module calls, the rest are not followed", where(mod.calls[name]), maxModuleCalls)
			return
		}
		m.walk(fsys, child, sub, chain)
	}
}

// resolve returns the directory a module call's files are in, relative to the repository root. When
// they are not in the repository it returns "" with a note for the location (the call block), and
// a problem when the sources look broken. fsys is nil after indexing: then only the modules
// already loaded count.
func (m *Map) resolve(fsys fs.FS, mod *module, call *block, callPath []string) (dir, note, problem string) {
	name := call.b.Labels[0]
	a, ok := call.b.Body.Attributes["source"]
	if !ok {
		return "", "module call without a source", fmt.Sprintf("%s: module %q has no source", where(call), name)
	}
	source, ok := literalString(a.Expr)
	if !ok {
		return "", "module source is not a literal string",
			fmt.Sprintf("%s: module %q: source is not a literal string", where(call), name)
	}
	if source == "." || source == ".." || strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../") {
		dir := path.Join(mod.dir, source)
		if dir == ".." || strings.HasPrefix(dir, "../") {
			return "", "inside module " + source + ", which is outside the repository", ""
		}
		return m.existing(fsys, call, dir, source)
	}
	registry := "inside registry module " + source
	e, ok := m.manifest[strings.Join(callPath, ".")]
	if !ok || e.Dir == "" {
		return "", registry, ""
	}
	if filepath.IsAbs(e.Dir) {
		rel, err := filepath.Rel(m.root, e.Dir)
		if m.root == "" || err != nil {
			return "", registry, ""
		}
		dir = filepath.ToSlash(rel)
	} else {
		dir = path.Join(m.dir, strings.ReplaceAll(e.Dir, `\`, "/")) // `\` when written on Windows
	}
	if dir == ".." || strings.HasPrefix(dir, "../") || slices.Contains(strings.Split(dir, "/"), ".terraform") {
		return "", registry, ""
	}
	return m.existing(fsys, call, dir, source)
}

// existing checks that a resolved module directory exists (or, after indexing, was loaded).
func (m *Map) existing(fsys fs.FS, call *block, dir, source string) (string, string, string) {
	if fsys == nil {
		if _, ok := m.modules[dir]; ok {
			return dir, "", ""
		}
		if m.missing[dir] {
			return "", "inside module " + source + ", whose directory " + dir + " is not in the repository", ""
		}
		return "", "inside module " + source + ", whose files were not indexed (beyond the module nesting or call limit)", ""
	}
	info, err := fs.Stat(fsys, dir)
	if err != nil || !info.IsDir() {
		m.missing[dir] = true
		return "", "inside module " + source + ", whose directory is not in the repository",
			fmt.Sprintf("%s: module %q: source %s: directory %s not found in the repository", where(call),
				call.b.Labels[0], source, dir)
	}
	return dir, "", ""
}

// loadManifest reads .terraform/modules/modules.json of the root module when there is one.
func (m *Map) loadManifest(fsys fs.FS) {
	p := path.Join(m.dir, manifestPath)
	src, err := readFile(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		m.problem("%s: %v", p, err)
		return
	}
	var doc struct {
		Modules []manifestEntry `json:"Modules"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		m.problem("%s: decode module manifest: %v", p, err)
		return
	}
	m.manifest = make(map[string]manifestEntry, len(doc.Modules))
	for _, e := range doc.Modules {
		if e.Key != "" {
			m.manifest[e.Key] = e
		}
	}
}

// load parses the .tf files of one directory, once.
func (m *Map) load(fsys fs.FS, dir string) *module {
	if mod, ok := m.modules[dir]; ok {
		return mod
	}
	mod := &module{
		dir:       dir,
		resources: map[string]*block{},
		calls:     map[string]*block{},
		locals:    map[string]*attribute{},
	}
	m.modules[dir] = mod
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		m.problem("%s: read module directory: %v", dir, err)
	}
	for _, e := range entries { // fs.ReadDir sorts by name
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".tf") || ignoredFile(name) {
			continue
		}
		p := path.Join(dir, name)
		src, err := readFile(fsys, p)
		if err != nil {
			m.problem("%s: %v", p, err)
			continue
		}
		stem := strings.TrimSuffix(name, ".tf")
		f := &file{path: p, src: src, override: stem == "override" || strings.HasSuffix(stem, "_override")}
		m.addFile(fsys, mod, f)
	}
	return mod
}

// addFile parses f and records its resource, data, module and locals blocks, and reads the files
// it loads with file("${path.module}/...") or templatefile(...), where policies often live.
func (m *Map) addFile(fsys fs.FS, mod *module, f *file) {
	body, diags := parse(f)
	for _, d := range diags {
		m.problems = append(m.problems, d.Error())
	}
	if body == nil {
		return
	}
	hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok {
			return nil
		}
		p, ok := loadedFile(mod, call)
		if _, seen := m.policies[p]; !ok || seen {
			return nil
		}
		src, err := readFile(fsys, p)
		if err != nil {
			m.problem("%s:%d: %s(%s): %v", f.path, call.NameRange.Start.Line, call.Name, p, err)
			src = nil
		}
		m.policies[p] = &file{path: p, src: src}
		return nil
	})
	for _, b := range body.Blocks {
		switch {
		case b.Type == "resource" && len(b.Labels) == 2:
			m.addBlock(mod.resources, b.Labels[0]+"."+b.Labels[1], &block{f, b})
		case b.Type == "data" && len(b.Labels) == 2:
			m.addBlock(mod.resources, "data."+b.Labels[0]+"."+b.Labels[1], &block{f, b})
		case b.Type == "module" && len(b.Labels) == 1:
			m.addBlock(mod.calls, b.Labels[0], &block{f, b})
		case b.Type == "locals":
			for _, a := range sortedAttributes(b.Body) {
				if _, dup := mod.locals[a.Name]; !dup {
					mod.locals[a.Name] = &attribute{f, a}
				}
			}
		}
	}
}

// loadedFile returns the repository path of the file a file() or templatefile() call reads when
// its path is a literal relative to path.module, as in file("${path.module}/policy.json").
func loadedFile(mod *module, call *hclsyntax.FunctionCallExpr) (string, bool) {
	if call.Name != "file" && call.Name != "templatefile" || len(call.Args) == 0 {
		return "", false
	}
	tmpl, ok := call.Args[0].(*hclsyntax.TemplateExpr)
	if !ok || len(tmpl.Parts) < 2 {
		return "", false
	}
	root, ok := tmpl.Parts[0].(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(root.Traversal) != 2 || root.Traversal.RootName() != "path" || attrName(root.Traversal[1]) != "module" {
		return "", false
	}
	rest, ok := literalString(&hclsyntax.TemplateExpr{Parts: tmpl.Parts[1:]})
	if !ok || !strings.HasPrefix(rest, "/") {
		return "", false
	}
	p := path.Join(mod.dir, rest[1:])
	if p == ".." || strings.HasPrefix(p, "../") || p == mod.dir {
		return "", false
	}
	return p, true
}

// addBlock keeps the primary definition of a block: the first one outside an override file.
func (m *Map) addBlock(into map[string]*block, key string, b *block) {
	old, ok := into[key]
	switch {
	case !ok, old.file.override && !b.file.override:
		into[key] = b
	case !old.file.override && !b.file.override:
		m.problem("%s:%d: duplicate block %s (first defined at %s:%d)", b.file.path, b.b.TypeRange.Start.Line,
			key, old.file.path, old.b.TypeRange.Start.Line)
	}
}

// parse parses one file with hclsyntax. The parser is third-party code fed untrusted input, so a
// panic inside it becomes a diagnostic for this file rather than the end of the scan.
func parse(f *file) (body *hclsyntax.Body, diags hcl.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			body = nil
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "HCL parser failure",
				Detail:   fmt.Sprint(r),
				Subject:  &hcl.Range{Filename: f.path, Start: hcl.InitialPos, End: hcl.InitialPos},
			})
		}
	}()
	hf, diags := hclsyntax.ParseConfig(f.src, f.path, hcl.InitialPos)
	if hf == nil {
		return nil, diags
	}
	body, _ = hf.Body.(*hclsyntax.Body)
	return body, diags
}

// where is a block's "file:line" for messages.
func where(b *block) string { return fmt.Sprintf("%s:%d", b.file.path, b.b.TypeRange.Start.Line) }

// dedupe drops repeated problems (a missing module reached along two call paths), keeping order.
func dedupe(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func readFile(fsys fs.FS, p string) ([]byte, error) {
	info, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("larger than %d bytes, skipped", maxFileSize)
	}
	return fs.ReadFile(fsys, p)
}

// ignoredFile mirrors Terraform's rule for editor and hidden files in a module directory.
func ignoredFile(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")
}

// realPath returns the absolute path of p with symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// gitTopLevel returns the nearest ancestor of dir (or dir) with a .git entry (a directory, or a
// file for worktrees and submodules), like `git rev-parse --show-toplevel`; dir when there is none.
func gitTopLevel(dir string) string {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sortedAttributes returns a body's attributes in source order (hclsyntax keeps them in a map).
func sortedAttributes(body *hclsyntax.Body) []*hclsyntax.Attribute {
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	slices.SortFunc(attrs, func(a, b *hclsyntax.Attribute) int {
		if d := a.SrcRange.Start.Byte - b.SrcRange.Start.Byte; d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	return attrs
}
