//go:build !linux

package cli

// setAddressSpaceLimit is Linux-only; elsewhere the child relies on the Go memory limit and the
// parent's kill at the deadline.
func setAddressSpaceLimit(int64) error { return nil }
