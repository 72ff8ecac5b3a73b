// Command regofmt formats Rego files in place the way `opa fmt` does (Rego v1), so `make fmt` needs
// no opa binary.
package main

import (
	"fmt"
	"os"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

func main() {
	bad := 0
	for _, p := range os.Args[1:] {
		src, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		out, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			bad++
			continue
		}
		if string(out) != string(src) {
			os.WriteFile(p, out, 0o644)
			fmt.Println("formatted", p)
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
