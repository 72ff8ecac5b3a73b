package cli

import (
	"io"
	"os"
)

// isTerminal reports whether w is a character device (a terminal), so colour is used only there.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
