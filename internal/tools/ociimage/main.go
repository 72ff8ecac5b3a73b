package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, writes the image and prints its digest; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var created int64
	fs.StringVar(&o.Binary, "binary", "", "static linux karpgate binary to put at /usr/local/bin/karpgate (required)")
	fs.StringVar(&o.Arch, "arch", "amd64", "GOARCH the binary was built for: the image's platform is linux/<arch>")
	fs.StringVar(&o.Version, "version", "dev", "version for the image tag and the org.opencontainers.image.version label")
	fs.StringVar(&o.Source, "source", defaultSource, "org.opencontainers.image.source label")
	fs.StringVar(&o.Revision, "revision", "", "org.opencontainers.image.revision label (the git commit), omitted when empty")
	fs.StringVar(&o.Repository, "repository", "karpgate", "image name the tarball tags, as docker load shows it")
	fs.StringVar(&o.CACerts, "ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of CA certificates copied into the image")
	fs.Int64Var(&created, "created", sourceDateEpoch(), "creation time of the image and its files, in Unix seconds (default $SOURCE_DATE_EPOCH, else 0)")
	out := fs.String("o", "", "image tarball to write (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Binary == "" || *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "ociimage: -binary and -o are required, and no arguments")
		return 2
	}
	o.Created = time.Unix(created, 0).UTC()
	id, err := writeImage(*out, o)
	if err != nil {
		fmt.Fprintln(stderr, "ociimage:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: %s:%s linux/%s, image id %s\n", *out, o.Repository, tagOf(o.Version), o.Arch, id)
	return 0
}

// sourceDateEpoch reads $SOURCE_DATE_EPOCH (the reproducible-builds convention); 0 when unset or
// not a number.
func sourceDateEpoch() int64 {
	var n int64
	if _, err := fmt.Sscan(os.Getenv("SOURCE_DATE_EPOCH"), &n); err != nil {
		return 0
	}
	return n
}
