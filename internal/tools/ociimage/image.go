package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	defaultSource = "https://github.com/karpgate/karpgate"
	// The non-root user the image runs as: uid and gid 65532, as distroless's "nonroot".
	uid      = 65532
	user     = "karpgate"
	home     = "/home/karpgate"
	workdir  = "/work"
	binPath  = "usr/local/bin/karpgate"
	certPath = "etc/ssl/certs/ca-certificates.crt"
)

// options describe one image.
type options struct {
	Binary     string    // path of the static linux binary
	Arch       string    // its GOARCH
	Version    string    // karpgate's version: the tag and the version label
	Source     string    // source repository URL label
	Revision   string    // git commit label, optional
	Repository string    // image name in the tarball's tag
	CACerts    string    // PEM bundle to copy
	Created    time.Time // every timestamp in the image
}

// tagOf turns a version into a valid image tag: characters outside [A-Za-z0-9_.-] become "-"
// ("dev+abc" becomes "dev-abc"), at most 128 characters, never starting with "." or "-".
func tagOf(version string) string {
	t := regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(version, "-")
	t = strings.TrimLeft(t, ".-")
	if len(t) > 128 {
		t = t[:128]
	}
	if t == "" {
		return "dev"
	}
	return t
}

// buildImage assembles the image in memory.
func buildImage(o options) (v1.Image, error) {
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	if !bytes.HasPrefix(bin, []byte("\x7fELF")) {
		return nil, fmt.Errorf("binary %s is not an ELF executable: build it with GOOS=linux CGO_ENABLED=0", o.Binary)
	}
	certs, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("read CA certificates (install the ca-certificates package or pass -ca-certificates): %w", err)
	}
	if !bytes.Contains(certs, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("CA certificates %s: no PEM certificate in it", o.CACerts)
	}

	base, err := layer(o.Created, baseFiles(certs))
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	app, err := layer(o.Created, []file{
		{name: "usr/", dir: true, mode: 0o755},
		{name: "usr/local/", dir: true, mode: 0o755},
		{name: "usr/local/bin/", dir: true, mode: 0o755},
		{name: binPath, mode: 0o755, data: bin},
	})
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	created := v1.Time{Time: o.Created}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1),
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{Created: created, CreatedBy: "ociimage: CA certificates, passwd, group, " + home + ", " + workdir + ", /tmp", Comment: "CA certificates copied from the build machine"}},
		mutate.Addendum{Layer: app, MediaType: types.OCILayer, History: v1.History{Created: created, CreatedBy: "ociimage: /" + binPath}},
	)
	if err != nil {
		return nil, fmt.Errorf("append layers: %w", err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = o.Arch
	cf.Created = created
	labels := map[string]string{
		"org.opencontainers.image.title":       "karpgate",
		"org.opencontainers.image.description": "Gates Terraform changes on the IAM permissions of the Karpenter controller",
		"org.opencontainers.image.version":     o.Version,
		"org.opencontainers.image.source":      o.Source,
		"org.opencontainers.image.licenses":    "Apache-2.0",
	}
	if o.Revision != "" {
		labels["org.opencontainers.image.revision"] = o.Revision
	}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", uid, uid),
		Entrypoint: []string{"karpgate"},
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "SSL_CERT_FILE=/" + certPath},
		WorkingDir: workdir,
		Labels:     labels,
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	return img, nil
}

// writeImage builds the image and writes it as a docker-loadable tarball to path, atomically
// (temp file and rename); it returns the image ID, the digest of its configuration (the docker
// tarball format keeps the configuration as it is, not the manifest).
func writeImage(path string, o options) (string, error) {
	img, err := buildImage(o)
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(o.Repository + ":" + tagOf(o.Version))
	if err != nil {
		return "", fmt.Errorf("image name %q: %w", o.Repository, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("create output directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ociimage-*.tar")
	if err != nil {
		return "", fmt.Errorf("create output: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tarball.Write(ref, img, tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	d, err := img.ConfigName()
	if err != nil {
		return "", fmt.Errorf("image id: %w", err)
	}
	return d.String(), nil
}

// file is one entry of a layer.
type file struct {
	name string
	dir  bool
	mode int64
	uid  int
	data []byte
}

// baseFiles are what a static Go binary needs from an operating system.
func baseFiles(certs []byte) []file {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", user, uid, uid, user, home)
	group := fmt.Sprintf("root:x:0:\nnobody:x:65534:\n%s:x:%d:\n", user, uid)
	return []file{
		{name: "etc/", dir: true, mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/", dir: true, mode: 0o755},
		{name: certPath, mode: 0o644, data: certs},
		{name: "home/", dir: true, mode: 0o755},
		{name: strings.TrimPrefix(home, "/") + "/", dir: true, mode: 0o700, uid: uid},
		{name: "root/", dir: true, mode: 0o700},
		{name: "tmp/", dir: true, mode: 0o1777},
		{name: strings.TrimPrefix(workdir, "/") + "/", dir: true, mode: 0o755, uid: uid},
	}
}

// layer writes files into an uncompressed tar with fixed times and owners and wraps it as a
// layer (go-containerregistry compresses it).
func layer(mtime time.Time, files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.uid, ModTime: mtime}
		if f.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("tar %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("tar %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("tar: %w", err)
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
