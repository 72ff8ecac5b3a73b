package main

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const testVersion = "v0.0.0-imagetest"

// buildStatic builds karpgate the way make image does (static, linux, version linked in) for this
// machine's architecture, once for the whole test.
func buildStatic(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not on PATH: %v", err)
	}
	bin := filepath.Join(dir, "karpgate")
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags", "-X github.com/karpgate/karpgate/internal/cli.Version="+testVersion, "-o", bin, "github.com/karpgate/karpgate/cmd/karpgate")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// testCerts writes a PEM bundle standing in for the build machine's CA certificates.
func testCerts(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not a real certificate, only bytes to copy")})
	p := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(p, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, pemBytes
}

func TestImage(t *testing.T) {
	dir := t.TempDir()
	bin := buildStatic(t, dir)
	certs, certBytes := testCerts(t, dir)
	opts := options{Binary: bin, Arch: runtime.GOARCH, Version: testVersion, Source: defaultSource, Revision: "0123456789abcdef", Repository: "karpgate", CACerts: certs, Created: time.Unix(1700000000, 0).UTC()}
	out := filepath.Join(dir, "dist", "image.tar")
	var stdout, stderr bytes.Buffer
	args := []string{"-binary", bin, "-arch", runtime.GOARCH, "-version", testVersion, "-revision", opts.Revision, "-ca-certificates", certs, "-created", "1700000000", "-o", out}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("ociimage exited %d: %s", code, stderr.String())
	}
	tag, err := name.NewTag("karpgate:" + testVersion)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatalf("read the tarball back under its tag: %v", err)
	}
	// The docker tarball keeps the config, not the manifest: the config digest (the image ID
	// docker load shows) is what survives the round trip.
	digest, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "image id "+digest.String()) {
		t.Errorf("ociimage printed %q, not the image id %s", stdout.String(), digest)
	}

	t.Run("the config runs karpgate as the non-root user", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
			t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
		}
		if diff := cmp.Diff([]string{"karpgate"}, cf.Config.Entrypoint); diff != "" {
			t.Errorf("entrypoint (-want +got):\n%s", diff)
		}
		if cf.Config.User != "65532:65532" || cf.Config.WorkingDir != "/work" {
			t.Errorf("user %q workdir %q, want 65532:65532 and /work", cf.Config.User, cf.Config.WorkingDir)
		}
		for k, want := range map[string]string{"org.opencontainers.image.version": testVersion, "org.opencontainers.image.source": defaultSource, "org.opencontainers.image.revision": opts.Revision} {
			if got := cf.Config.Labels[k]; got != want {
				t.Errorf("label %s = %q, want %q", k, got, want)
			}
		}
		if !cf.Created.Time.Equal(opts.Created) {
			t.Errorf("created %v, want %v", cf.Created.Time, opts.Created)
		}
		if len(cf.History) != 2 {
			t.Errorf("%d history entries, want one per layer (2)", len(cf.History))
		}
	})

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers, want 2 (base files, binary)", len(layers))
	}
	files := extract(t, img)

	t.Run("the files a static binary needs are in place", func(t *testing.T) {
		want := map[string]struct {
			mode int64
			uid  int
		}{
			"usr/local/bin/karpgate":            {0o755, 0},
			"etc/ssl/certs/ca-certificates.crt": {0o644, 0},
			"etc/passwd":                        {0o644, 0},
			"etc/group":                         {0o644, 0},
			"tmp":                               {0o1777, 0},
			"work":                              {0o755, 65532},
			"home/karpgate":                     {0o700, 65532},
		}
		for p, w := range want {
			f, ok := files[p]
			if !ok {
				t.Errorf("%s missing from the image", p)
				continue
			}
			if f.hdr.Mode != w.mode || f.hdr.Uid != w.uid {
				t.Errorf("%s: mode %o uid %d, want mode %o uid %d", p, f.hdr.Mode, f.hdr.Uid, w.mode, w.uid)
			}
			if !f.hdr.ModTime.Equal(opts.Created) {
				t.Errorf("%s: mtime %v, want the fixed %v", p, f.hdr.ModTime, opts.Created)
			}
		}
		if !bytes.Equal(files["etc/ssl/certs/ca-certificates.crt"].data, certBytes) {
			t.Error("the CA bundle in the image differs from the one given")
		}
		if !strings.Contains(string(files["etc/passwd"].data), "karpgate:x:65532:65532:") {
			t.Errorf("/etc/passwd has no karpgate user with uid 65532:\n%s", files["etc/passwd"].data)
		}
		if !strings.Contains(string(files["etc/group"].data), "karpgate:x:65532:") {
			t.Errorf("/etc/group has no karpgate group 65532:\n%s", files["etc/group"].data)
		}
	})

	t.Run("the binary in the image runs version", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("the image's linux binary runs only on linux")
		}
		exe := filepath.Join(t.TempDir(), "karpgate")
		if err := os.WriteFile(exe, files["usr/local/bin/karpgate"].data, 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(exe, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("karpgate version: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), testVersion) {
			t.Errorf("karpgate version printed %q, want %s", out, testVersion)
		}
	})

	t.Run("the same inputs give the same digest", func(t *testing.T) {
		again := filepath.Join(t.TempDir(), "again.tar")
		d, err := writeImage(again, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d != digest.String() {
			t.Errorf("second build image id %s, first %s", d, digest)
		}
	})

	t.Run("bad inputs are refused with the file named", func(t *testing.T) {
		notELF := filepath.Join(t.TempDir(), "script")
		if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			o    options
			want string
		}{
			{"a binary that is not ELF", options{Binary: notELF, CACerts: certs, Repository: "karpgate"}, "not an ELF executable"},
			{"a missing binary", options{Binary: filepath.Join(dir, "absent"), CACerts: certs, Repository: "karpgate"}, "absent"},
			{"a certificate file without PEM", options{Binary: bin, CACerts: notELF, Repository: "karpgate"}, "no PEM certificate"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				target := filepath.Join(t.TempDir(), "x.tar")
				_, err := writeImage(target, tc.o)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one containing %q", err, tc.want)
				}
				if _, statErr := os.Stat(target); !errors.Is(statErr, os.ErrNotExist) {
					t.Errorf("a failed build left %s behind", target)
				}
			})
		}
	})

	t.Run("versions become valid tags", func(t *testing.T) {
		for in, want := range map[string]string{"v1.2.3": "v1.2.3", "dev+0123abcd-dirty": "dev-0123abcd-dirty", "": "dev", "-x": "x"} {
			if got := tagOf(in); got != want {
				t.Errorf("tagOf(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// extract reads the image's flattened file system.
func extract(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read the image's file system: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = entry{hdr: h, data: data}
	}
	return files
}
