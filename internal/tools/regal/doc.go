// Command regal runs the Regal linter on Rego files for `make lint`, pinned to one version.
//
// Regal is not a dependency of karpgate: the first run builds the pinned version with
// a scratch module (a temporary go.mod that requires only Regal), outside this module, into a
// per-user cache (os.UserCacheDir()/karpgate/tools/regal-<version>), and every later run reuses
// that binary. The build takes a few minutes on two cores; `make test` never triggers it.
//
//	go run ./internal/tools/regal lint rego/ bundles/
//	go run ./internal/tools/regal -path   # build if needed, print the cached binary's path
package main
