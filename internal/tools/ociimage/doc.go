// Command ociimage writes the karpgate container image as a single-platform image tarball
// (`make image`), without a Docker daemon and without pulling a base image.
//
// The image is built from scratch with go-containerregistry: one layer holds the few files a
// static Go binary needs from an operating system (the CA certificates of the build machine,
// /etc/passwd and /etc/group naming the non-root user karpgate, uid and gid 65532, its home and
// the working directory /work, a world-writable /tmp), a second layer holds the binary at
// /usr/local/bin/karpgate. The configuration runs `karpgate` as that user (numerically, so
// Kubernetes can verify runAsNonRoot) and carries the OCI version and source labels.
//
// The output is the tarball `docker save` writes (manifest.json plus the OCI-style blobs), so
// `docker load` and `podman load` read it directly and `skopeo`/`crane` push it. Every timestamp
// is fixed (SOURCE_DATE_EPOCH, or -created), so the same binary and certificates give the same
// image ID (its configuration digest).
package main
