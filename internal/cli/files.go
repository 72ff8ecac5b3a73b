package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// target is where a report for path goes. inPlace: write into the existing node (a FIFO, a device,
// /dev/stdout, anything under /dev or /proc), never replace it. Otherwise the report replaces dest
// atomically; a symbolic link to a regular file is followed, so the link stays a link.
func target(path string) (dest string, inPlace bool) {
	if abs, err := filepath.Abs(path); err == nil && (strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/")) {
		return path, true
	}
	fi, err := os.Stat(path)
	if err != nil {
		return path, false // a new file
	}
	if !fi.Mode().IsRegular() {
		return path, true
	}
	if lfi, err := os.Lstat(path); err == nil && lfi.Mode()&os.ModeSymlink != 0 {
		if t, err := filepath.EvalSymlinks(path); err == nil {
			return t, false
		}
		return path, true
	}
	return path, false
}

// checkWritable fails when path's directory does not exist or cannot take a new file. A special
// target is checked when it is written.
func checkWritable(path string) error {
	dest, inPlace := target(path)
	if inPlace {
		return nil
	}
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, ".karpgate-check-*")
	if err != nil {
		return fmt.Errorf("output %s is not writable: %w", path, unwrapPath(err))
	}
	name := tmp.Name()
	tmp.Close()
	return os.Remove(name)
}

// writeAtomic writes data to a temporary file beside path and renames it over path, so a reader
// never sees a half-written report. A special target (FIFO, device) is written into instead: the
// reader at the other end gets the report and the node stays.
func writeAtomic(path string, data []byte) error {
	dest, inPlace := target(path)
	if inPlace {
		flags := os.O_WRONLY
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			flags |= os.O_TRUNC // /dev/stdout redirected to a file
		}
		f, err := os.OpenFile(path, flags, 0)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, unwrapPath(err))
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	path = dest
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	name := tmp.Name()
	defer os.Remove(name)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(name, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// removeStale removes the regular files among paths, so a scan that fails leaves no report from
// an earlier run that would look current. Special targets are left alone.
func removeStale(paths []string) {
	for _, p := range paths {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			_ = os.Remove(p)
		}
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
