package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// What user code may reach. The threat model and the reasons are in docs/security.md.
//
// Left out of every capability set, network allowed or not:
//   - opa.runtime (environment variables and the process's configuration);
//   - json.verify_schema and json.match_schema as OPA implements them: they follow a schema's
//     "$ref" to file:// and http:// URLs. User code calls them under their usual names; the calls
//     are rewritten to local versions (localSchemaBuiltins) that refuse every $ref leading out of
//     the schema document, before OPA's implementation sees the schema.
//
// Left out unless Options.AllowNet: http.send and net.lookup_ip_addr.
var (
	alwaysDenied = map[string]bool{"opa.runtime": true, "json.verify_schema": true, "json.match_schema": true}
	netBuiltins  = map[string]bool{"http.send": true, "net.lookup_ip_addr": true}
	// schemaBuiltins maps OPA's schema builtins to karpgate's local versions.
	schemaBuiltins = map[string]string{
		"json.verify_schema": "karpgate.json_verify_schema",
		"json.match_schema":  "karpgate.json_match_schema",
	}
)

// capabilities is the set of builtins user code may call (see above).
func capabilities(allowNet bool) *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	var kept []*ast.Builtin
	for _, b := range caps.Builtins {
		if alwaysDenied[b.Name] || (!allowNet && (netBuiltins[b.Name] || strings.HasPrefix(b.Name, "net.lookup"))) {
			continue
		}
		kept = append(kept, b)
	}
	for _, orig := range []*ast.Builtin{ast.JSONSchemaVerify, ast.JSONMatchSchema} {
		kept = append(kept, &ast.Builtin{Name: schemaBuiltins[orig.Name], Decl: orig.Decl, Description: orig.Description})
	}
	caps.Builtins = kept
	if !allowNet {
		caps.AllowNet = []string{}
	}
	return caps
}

// rewriteSchemaCalls points user code's calls of OPA's schema builtins at the local versions.
func rewriteSchemaCalls(m *ast.Module) error {
	_, err := ast.TransformRefs(m, func(r ast.Ref) (ast.Value, error) {
		if len(r) != 2 {
			return r, nil
		}
		local, ok := schemaBuiltins[r.String()]
		if !ok {
			return r, nil
		}
		return ast.MustParseRef(local), nil
	})
	return err
}

// localSchemaBuiltins are the implementations of the local schema builtins for a query.
func localSchemaBuiltins() []func(*rego.Rego) {
	var opts []func(*rego.Rego)
	for _, orig := range []*ast.Builtin{ast.JSONSchemaVerify, ast.JSONMatchSchema} {
		opts = append(opts, rego.FunctionDyn(&rego.Function{Name: schemaBuiltins[orig.Name], Decl: orig.Decl}, localSchema(orig.Name)))
	}
	return opts
}

// localSchemaTestBuiltins are the same for the test runner.
func localSchemaTestBuiltins() []*tester.Builtin {
	var out []*tester.Builtin
	for _, orig := range []*ast.Builtin{ast.JSONSchemaVerify, ast.JSONMatchSchema} {
		name := schemaBuiltins[orig.Name]
		out = append(out, &tester.Builtin{
			Decl: &ast.Builtin{Name: name, Decl: orig.Decl},
			Func: rego.FunctionDyn(&rego.Function{Name: name, Decl: orig.Decl}, localSchema(orig.Name)),
		})
	}
	return out
}

// localSchema checks the schema argument (the first of json.verify_schema, the second of
// json.match_schema) and then calls OPA's implementation.
func localSchema(name string) rego.BuiltinDyn {
	orig := topdown.GetBuiltin(name)
	schemaArg := 0
	if name == "json.match_schema" {
		schemaArg = 1
	}
	return func(bctx rego.BuiltinContext, terms []*ast.Term) (*ast.Term, error) {
		if orig == nil {
			return nil, fmt.Errorf("%s is not available", name)
		}
		if len(terms) <= schemaArg {
			return nil, fmt.Errorf("%s: missing schema", name)
		}
		if err := checkSchemaRefs(terms[schemaArg].Value); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var out *ast.Term
		err := orig(bctx, terms, func(t *ast.Term) error { out = t; return nil })
		return out, err
	}
}

// errSchemaRef is why a schema is refused.
var errSchemaRef = errors.New("karpgate resolves schema references only inside the schema document")

// checkSchemaRefs refuses a schema that could make the validator load another document: a "$ref"
// that is not a fragment of this document ("#..."), or an "$id"/"id" that would rebase such a
// fragment onto another URI. Values of const, enum, default and examples are data, not schema.
func checkSchemaRefs(v ast.Value) error {
	if s, ok := v.(ast.String); ok {
		var doc any
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			return nil // not JSON: OPA's implementation reports it
		}
		parsed, err := ast.InterfaceToValue(doc)
		if err != nil {
			return nil
		}
		v = parsed
	}
	return walkSchema(v)
}

func walkSchema(v ast.Value) error {
	switch x := v.(type) {
	case ast.Object:
		var err error
		x.Until(func(k, val *ast.Term) bool {
			key, _ := k.Value.(ast.String)
			switch key {
			case "const", "enum", "default", "examples":
				return false
			case "$ref", "$id", "id", "$schema", "$dynamicRef", "$recursiveRef":
				if s, ok := val.Value.(ast.String); ok {
					if !schemaRefAllowed(string(key), string(s)) {
						err = fmt.Errorf("%s %q refused: %w", key, string(s), errSchemaRef)
						return true
					}
					return false
				}
			}
			err = walkSchema(val.Value)
			return err != nil
		})
		return err
	case *ast.Array:
		var err error
		x.Until(func(t *ast.Term) bool {
			err = walkSchema(t.Value)
			return err != nil
		})
		return err
	}
	return nil
}

func schemaRefAllowed(key, s string) bool {
	switch key {
	case "$schema":
		// The drafts the validator knows are built in; it never loads a meta-schema.
		return strings.HasPrefix(s, "http://json-schema.org/") || strings.HasPrefix(s, "https://json-schema.org/")
	case "id", "$id":
		return s == "" || strings.HasPrefix(s, "#")
	}
	return strings.HasPrefix(s, "#")
}

// checkLinks refuses a symbolic link under a policy or data path that resolves outside it
// (dir/leak.yaml -> /etc/passwd would put the file into data). A path given as a link itself is the
// user's choice; its target becomes the root.
func checkLinks(paths []string) error {
	for _, p := range paths {
		root, err := filepath.EvalSymlinks(p)
		if err != nil {
			return &PolicyError{File: p, Problem: "read: " + pathProblem(err)}
		}
		root, err = filepath.Abs(root)
		if err != nil {
			return &PolicyError{File: p, Problem: err.Error()}
		}
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			continue
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := filepath.Join(p, strings.TrimPrefix(path, root))
			if d.Type()&fs.ModeSymlink == 0 {
				if !d.IsDir() && !d.Type().IsRegular() {
					// A FIFO or a device would block the loader or never end.
					return &PolicyError{File: name, Problem: "not a regular file or a directory"}
				}
				return nil
			}
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				return &PolicyError{File: name, Problem: "symbolic link does not resolve: " + pathProblem(err)}
			}
			if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return &PolicyError{File: name, Problem: fmt.Sprintf("symbolic link leaves %s (points to %s); links in a policy or data directory must stay inside it", p, target)}
			}
			return nil
		})
		if err != nil {
			var pe *PolicyError
			if errors.As(err, &pe) {
				return pe
			}
			return &PolicyError{File: p, Problem: "read: " + pathProblem(err)}
		}
	}
	return nil
}
