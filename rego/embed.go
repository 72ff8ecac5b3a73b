// Package rego embeds karpgate's policy bundle: the IAM request evaluator and helpers in lib/, one
// file per rule in rules/ (each with # METADATA and a _test.rego beside it), and JSON data in data/.
//
// Data files follow OPA's convention with one twist: data/<path>/data.json is mounted at
// data.karpgate.<path> (data/karpenter/data.json is data.karpgate.karpenter), so that the whole
// embedded bundle lives under the single root "karpgate". Import this package as regofs beside OPA's
// rego package.
package rego

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed lib rules data
var files embed.FS

// Root is the only data and package root the embedded bundle owns. User bundles may not overlap it
// except below data.karpgate.rules (user rules) and data.karpgate.user (user data).
const Root = "karpgate"

// FS returns the embedded policy files.
func FS() fs.FS { return files }

// Data reads every data/<path>/data.json and returns the merged document rooted at "karpgate".
// Numbers stay json.Number so that OPA sees exact values.
func Data() (map[string]any, error) {
	root := map[string]any{}
	err := fs.WalkDir(files, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Base(p) != "data.json" {
			return nil
		}
		raw, err := fs.ReadFile(files, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("decode %s: %w", p, err)
		}
		segs := []string{Root}
		if dir := strings.TrimPrefix(path.Dir(p), "data"); dir != "" {
			segs = append(segs, strings.Split(strings.Trim(dir, "/"), "/")...)
		}
		return mount(root, segs, v, p)
	})
	if err != nil {
		return nil, err
	}
	if err := expandRequests(root); err != nil {
		return nil, err
	}
	return root, nil
}

func mount(root map[string]any, segs []string, v any, file string) error {
	cur := root
	for i, s := range segs {
		if i == len(segs)-1 {
			if existing, ok := cur[s]; ok {
				em, ok1 := existing.(map[string]any)
				vm, ok2 := v.(map[string]any)
				if !ok1 || !ok2 {
					return fmt.Errorf("mount %s: data.%s already set", file, strings.Join(segs, "."))
				}
				for k, x := range vm {
					if _, dup := em[k]; dup {
						return fmt.Errorf("mount %s: data.%s.%s already set", file, strings.Join(segs, "."), k)
					}
					em[k] = x
				}
				return nil
			}
			cur[s] = v
			return nil
		}
		next, ok := cur[s]
		if !ok {
			m := map[string]any{}
			cur[s] = m
			cur = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("mount %s: data.%s is not an object", file, strings.Join(segs[:i+1], "."))
		}
		cur = m
	}
	return nil
}
