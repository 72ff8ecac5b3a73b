package engine_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/karpgate/karpgate/internal/engine"
)

// tarEntry is one file of a hostile tarball: Size is what the header declares, Data what follows
// (zeros when Fill is set, or Data).
type tarEntry struct {
	Name string
	Size int64
	Fill bool
	Data []byte // content instead of zeros
}

// writeTarball writes a .tar.gz with the given entries. Entries whose data is not filled are
// headers only: the archive ends there, as a truncated or hostile upload would.
func writeTarball(t *testing.T, entries ...tarEntry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bundle.tar.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	complete := true
	for _, e := range entries {
		if e.Data != nil {
			e.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.Name, Size: e.Size, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if e.Data != nil {
			if _, err := tw.Write(e.Data); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !e.Fill {
			complete = false
			break
		}
		if _, err := io.CopyN(tw, zeros{}, e.Size); err != nil {
			t.Fatal(err)
		}
	}
	if complete {
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	} else if err := tw.Flush(); err != nil && unexpectedFlushError(err) {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// unexpectedFlushError: Flush complains that the entry's data is missing, which is the point.
func unexpectedFlushError(err error) bool {
	return err != nil && !bytes.Contains([]byte(err.Error()), []byte("missed writing"))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// loadBundle loads only the bundle and reports how much the loader allocated with the error.
func loadBundle(t *testing.T, path string) (uint64, error) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := engine.New(context.Background(), engine.Options{Bundles: []string{path}, NoDefaultRules: true})
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}

// TestBundleLimitsFromHeaders: a bundle whose headers declare a 1 TiB file, a file over the
// per-file limit (a gzip bomb), more content than the bundle limit or more entries than allowed is
// a one-line policy error naming the entry, before anything near the declared size is allocated
// or decompressed. Nothing here is signed: the limits come before the signature check.
func TestBundleLimitsFromHeaders(t *testing.T) {
	many := make([]tarEntry, engine.MaxBundleEntries+1)
	for i := range many {
		many[i] = tarEntry{Name: fmt.Sprintf("f%05d.rego", i), Fill: true}
	}
	cases := []struct {
		name    string
		entries []tarEntry
		want    []string
	}{
		{"1 TiB header", []tarEntry{{Name: "huge.rego", Size: 1 << 40}}, []string{"entry huge.rego", "over the limit"}},
		{"gzip bomb", []tarEntry{{Name: ".manifest", Data: []byte(`{"roots": ["karpgate/rules/bomb"]}`)}, {Name: "bomb.json", Size: engine.MaxBundleEntrySize + 1, Fill: true}}, []string{"entry bomb.json", "over the limit"}},
		{"total", []tarEntry{{Name: "a/data.json", Size: 40 << 20, Fill: true}, {Name: "b/data.json", Size: 40 << 20, Fill: true}}, []string{"entry b/data.json", "in all"}},
		{"entries", many, []string{fmt.Sprintf("entry f%05d.rego", engine.MaxBundleEntries), "more than"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTarball(t, c.entries...)
			if fi, err := os.Stat(path); err == nil {
				t.Logf("%s: %d bytes compressed", c.name, fi.Size())
			}
			alloc, err := loadBundle(t, path)
			wantPolicyError(t, err, append([]string{path}, c.want...)...)
			// The embedded library compiles too; the bundle itself may not add tens of MiB.
			if alloc > 48<<20 {
				t.Errorf("loading allocated %d MiB before refusing", alloc>>20)
			}
		})
	}
}
