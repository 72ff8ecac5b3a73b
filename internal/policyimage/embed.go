package policyimage

import "embed"

// File is where `make build` writes the image, relative to this package's directory.
const File = "built/policy.img"

//go:embed all:built
var built embed.FS

// Embedded returns the image built into the binary, or nil when there is none.
func Embedded() []byte {
	b, err := built.ReadFile(File)
	if err != nil {
		return nil
	}
	return b
}
