package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/karpgate/karpgate/internal/plan"
)

// planFiles expands one scan argument: a directory is every *.json file directly in it, sorted
// (none is an input error naming the directory); anything else is itself.
func planFiles(arg string) ([]string, error) {
	st, err := os.Stat(arg)
	if err != nil || !st.IsDir() {
		return []string{arg}, nil // the scan reports a missing file with its exit code
	}
	matches, err := filepath.Glob(filepath.Join(arg, "*.json"))
	if err != nil {
		return nil, &plan.InputError{File: arg, Problem: fmt.Sprintf("list plans: %v", err)}
	}
	var files []string
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
			files = append(files, m)
		}
	}
	if len(files) == 0 {
		return nil, &plan.InputError{File: arg, Problem: "a directory with no *.json plan in it (write one with terraform show -json tfplan > plan.json)"}
	}
	slices.Sort(files)
	return files, nil
}

// lastLine returns the last non-empty line of a report, with its newline: the summary line.
func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return append(b, '\n')
}
