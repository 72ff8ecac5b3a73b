package scan

import (
	"bytes"
	"errors"
	"io"
	"os"

	"github.com/karpgate/karpgate/internal/plan"
)

// zipMagic starts every zip file, and so every binary plan `terraform plan -out` writes.
var zipMagic = []byte("PK\x03\x04")

// headReader remembers the first bytes read through it; for a file (io.ReaderAt), which is not
// wrapped, binaryPlanHint reads them at offset 0.
type headReader struct {
	r    io.Reader
	head []byte
}

func (h *headReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if need := len(zipMagic) - len(h.head); need > 0 && n > 0 {
		h.head = append(h.head, p[:min(need, n)]...)
	}
	return n, err
}

// binaryPlanHint replaces the input error of a binary plan (the zip `terraform plan -out` writes)
// with what to run instead.
func binaryPlanHint(err error, h *headReader) error {
	var ie *plan.InputError
	if err == nil || !errors.As(err, &ie) {
		return err
	}
	if ra, ok := h.r.(io.ReaderAt); ok && len(h.head) == 0 {
		buf := make([]byte, len(zipMagic))
		if n, _ := ra.ReadAt(buf, 0); n == len(buf) {
			h.head = buf
		}
	}
	if !bytes.Equal(h.head, zipMagic) {
		return err
	}
	return &plan.InputError{File: ie.File, Problem: "a binary Terraform plan (the zip terraform plan -out writes), not JSON: run `terraform show -json tfplan > plan.json` and scan plan.json"}
}

func regularFile(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}
