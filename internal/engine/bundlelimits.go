package engine

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Bundle limits. They are checked from the tar headers (or the directory listing) before OPA's
// reader allocates or decompresses anything past them; see docs/security.md.
const (
	MaxBundleEntries   = 10000         // files and directories in one bundle
	MaxBundleEntrySize = MaxBundleSize // one file, decompressed
)

// tarOverhead is what the tar format may add around MaxBundleSize bytes of content: a 512-byte
// header and up to 511 bytes of padding per entry, long-name and PAX records, the end blocks.
const tarOverhead = MaxBundleEntries*2048 + 1<<20

// checkBundleLimits refuses a bundle (a .tar.gz file or a directory) with an entry larger than
// MaxBundleEntrySize, more than MaxBundleEntries entries or more than MaxBundleSize bytes in all.
// A tarball's gzip stream is read through once, never decompressing more than its headers allow.
func checkBundleLimits(path string, isDir bool) error {
	if isDir {
		return checkDirLimits(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return &PolicyError{File: path, Problem: "read bundle: " + pathProblem(err)}
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return &PolicyError{File: path, Problem: "read bundle: not a gzip file: " + err.Error()}
	}
	defer gz.Close()
	lr := &io.LimitedReader{R: gz, N: MaxBundleSize + tarOverhead + 1}
	tr := tar.NewReader(lr)
	var total int64
	for n := 1; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if lr.N <= 0 {
			return &PolicyError{File: path, Problem: fmt.Sprintf("bundle decompresses to more than %d bytes (the limit is %d bytes of content)", MaxBundleSize+tarOverhead, MaxBundleSize)}
		}
		if err != nil {
			return &PolicyError{File: path, Problem: "read bundle: " + err.Error()}
		}
		if err := checkEntry(path, h.Name, h.Size, n, &total); err != nil {
			return err
		}
	}
}

// checkEntry counts one entry against the limits; the error names the entry.
func checkEntry(bundlePath, name string, size int64, n int, total *int64) error {
	switch {
	case n > MaxBundleEntries:
		return &PolicyError{File: bundlePath, Problem: fmt.Sprintf("entry %s: the bundle has more than %d entries", name, MaxBundleEntries)}
	case size < 0 || size > MaxBundleEntrySize:
		return &PolicyError{File: bundlePath, Problem: fmt.Sprintf("entry %s: %d bytes is over the limit of %d bytes for one bundle file", name, size, MaxBundleEntrySize)}
	}
	*total += size
	if *total > MaxBundleSize {
		return &PolicyError{File: bundlePath, Problem: fmt.Sprintf("entry %s: the bundle holds more than %d bytes in all", name, MaxBundleSize)}
	}
	return nil
}

// checkDirLimits applies the same limits to a bundle directory, from the file sizes, and refuses
// anything but regular files and directories (a FIFO or a device would block or never end).
func checkDirLimits(dir string) error {
	var total int64
	n := 0
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &PolicyError{File: dir, Problem: "read bundle: " + pathProblem(err)}
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if d.Name() != "." && len(d.Name()) > 0 && d.Name()[0] == '.' {
				return fs.SkipDir // hidden directories are not read (see readRaw)
			}
			n++
			return checkEntry(dir, rel, 0, n, &total)
		}
		if !isBundleFile(d.Name()) {
			return nil
		}
		if !d.Type().IsRegular() {
			return &PolicyError{File: dir, Problem: fmt.Sprintf("entry %s: not a regular file", rel)}
		}
		fi, err := d.Info()
		if err != nil {
			return &PolicyError{File: dir, Problem: "read bundle: " + pathProblem(err)}
		}
		n++
		return checkEntry(dir, rel, fi.Size(), n, &total)
	})
}
