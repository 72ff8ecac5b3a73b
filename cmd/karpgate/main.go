// Command karpgate gates Terraform plans on the Karpenter controller's IAM permissions. See README.md.
package main

import (
	"context"
	"os"

	"github.com/karpgate/karpgate/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
