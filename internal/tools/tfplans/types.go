package main

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// usedTypes lists the resource, data source and ephemeral resource types declared anywhere under
// root: the schema the proxy serves needs only these.
func usedTypes(root string) (keepTypes, error) {
	k := keepTypes{resources: map[string]bool{}, data: map[string]bool{}, ephemeral: map[string]bool{}}
	parser := hclparse.NewParser()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".tf") {
			return nil
		}
		f, diags := parser.ParseHCLFile(p)
		if diags.HasErrors() {
			return fmt.Errorf("parse %s: %s", p, diags.Error())
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			return nil
		}
		for _, b := range body.Blocks {
			if len(b.Labels) == 0 {
				continue
			}
			switch b.Type {
			case "resource":
				k.resources[b.Labels[0]] = true
			case "data":
				k.data[b.Labels[0]] = true
			case "ephemeral":
				k.ephemeral[b.Labels[0]] = true
			}
		}
		return nil
	})
	if err != nil {
		return k, fmt.Errorf("list the types the scenarios use: %w", err)
	}
	return k, nil
}
