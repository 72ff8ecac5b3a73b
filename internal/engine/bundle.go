package engine

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/karpgate/karpgate/internal/findings"
	regofs "github.com/karpgate/karpgate/rego"
)

// Bundle signing defaults, as `opa build` and `opa run` use them.
const (
	DefaultKeyID      = "default"
	DefaultSigningAlg = "RS256"
)

// MaxBundleSize bounds what one bundle may hold once decompressed (a gzip bomb stops here).
const MaxBundleSize = 64 << 20

// VerificationOptions verifies OPA bundle signatures (.signatures.json). When set, every bundle
// must carry a valid signature made with the key.
type VerificationOptions struct {
	KeyFile   string // PEM public key (PKIX "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY" or a certificate)
	KeyID     string // "" means DefaultKeyID
	Algorithm string // "" means DefaultSigningAlg
}

// SigningOptions signs a bundle that BuildBundle writes.
type SigningOptions struct {
	KeyFile   string // PEM private key
	KeyID     string // "" means DefaultKeyID; written as the JWT "kid"
	Algorithm string // "" means DefaultSigningAlg
}

// SignatureStatus is what InspectBundle learnt about a bundle's signature.
type SignatureStatus string

// Signature statuses.
const (
	Unsigned          SignatureStatus = "unsigned"
	SignedVerified    SignatureStatus = "signed-verified"
	SignedNotVerified SignatureStatus = "signed-not-verified" // signed, but no key was given
	SignatureInvalid  SignatureStatus = "invalid"
)

// BundleInfo describes one bundle for `karpgate bundle inspect`.
type BundleInfo struct {
	Path            string          `json:"path"`
	Revision        string          `json:"revision"`
	Roots           []string        `json:"roots"`
	Files           []string        `json:"files"` // modules, then data paths
	Signature       SignatureStatus `json:"signature"`
	SignatureKeyID  string          `json:"signature_key_id,omitempty"` // the JWT "kid", when signed
	SignatureError  string          `json:"signature_error,omitempty"`  // why the signature is invalid
	Rules           []findings.Rule `json:"rules"`
	CompileProblems string          `json:"compile_problems,omitempty"` // why the bundle does not load with the embedded library
}

// userBundle is one loaded user bundle.
type userBundle struct {
	path    string
	bundle  bundle.Bundle
	roots   []string
	modules map[string]*ast.Module // re-parsed with file names that name the bundle
}

// owns reports whether a package path lies inside one of the bundle's roots.
func (b *userBundle) owns(pkg ast.Ref) (string, bool) {
	segs := refSegments(pkg)
	for _, r := range b.roots {
		if rootContains(strings.Split(r, "/"), segs) {
			return r, true
		}
	}
	return "", false
}

func refSegments(ref ast.Ref) []string {
	var segs []string
	for _, t := range ref[1:] { // skip "data"
		if s, ok := t.Value.(ast.String); ok {
			segs = append(segs, string(s))
		}
	}
	return segs
}

func rootContains(root, path []string) bool {
	if len(root) == 1 && root[0] == "" {
		return true
	}
	return len(root) <= len(path) && slices.Equal(root, path[:len(root)])
}

func validAlg(alg string) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512":
		return true
	}
	return false
}

// config returns OPA's verification config, or nil when v is nil. KeyID is always set: OPA accepts
// an unsigned bundle when the verification config has no key id.
func (v *VerificationOptions) config() (*bundle.VerificationConfig, error) {
	if v == nil {
		return nil, nil
	}
	id, alg := v.KeyID, v.Algorithm
	if id == "" {
		id = DefaultKeyID
	}
	if alg == "" {
		alg = DefaultSigningAlg
	}
	if !validAlg(alg) {
		return nil, &PolicyError{File: v.KeyFile, Problem: fmt.Sprintf("signing algorithm %q is not one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512", alg)}
	}
	pemBytes, err := os.ReadFile(v.KeyFile)
	if err != nil {
		return nil, &PolicyError{File: v.KeyFile, Problem: "read verification key: " + pathProblem(err)}
	}
	if err := checkPublicKey(pemBytes, alg); err != nil {
		return nil, &PolicyError{File: v.KeyFile, Problem: "verification key: " + err.Error()}
	}
	return bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{id: {Key: string(pemBytes), Algorithm: alg}}, id, "", nil), nil
}

// checkPublicKey parses a PEM public key and checks that it fits the algorithm.
func checkPublicKey(pemBytes []byte, alg string) error {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return errors.New("no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return fmt.Errorf("PEM block %q is not a public key (give the public half of the signing key)", block.Type)
	}
	if err != nil {
		return err
	}
	return keyFitsAlg(key, alg)
}

func keyFitsAlg(key any, alg string) error {
	switch key.(type) {
	case *rsa.PublicKey, *rsa.PrivateKey:
		if strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS") {
			return nil
		}
		return fmt.Errorf("an RSA key cannot be used with %s", alg)
	case *ecdsa.PublicKey, *ecdsa.PrivateKey:
		if strings.HasPrefix(alg, "ES") {
			return nil
		}
		return fmt.Errorf("an ECDSA key cannot be used with %s", alg)
	}
	return fmt.Errorf("key type %T is not supported (RSA or ECDSA)", key)
}

// readBundle reads a bundle directory or .tar.gz. With vc set, the bundle must be signed with the
// key and every file must match its digest; without vc, signatures are not checked.
func readBundle(path string, caps *ast.Capabilities, vc *bundle.VerificationConfig) (*userBundle, error) {
	b, err := readRaw(path, caps, vc, false)
	if err != nil {
		return nil, err
	}
	// Belt and braces over OPA's own check, which depends on the key id being set.
	if vc != nil && len(b.Signatures.Signatures) == 0 {
		return nil, &PolicyError{File: path, Problem: "bundle is not signed (no .signatures.json) but a verification key was given", Hint: HintVerificationKey}
	}
	ub := &userBundle{path: path, bundle: b, modules: map[string]*ast.Module{}}
	if b.Manifest.Roots != nil {
		ub.roots = slices.Clone(*b.Manifest.Roots)
	}
	isDir := false
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		isDir = true
	}
	for _, mf := range b.Modules {
		name := mf.Path
		if !isDir {
			name = filepath.ToSlash(path) + "/" + strings.TrimPrefix(mf.Path, "/")
		}
		if strings.HasSuffix(name, "_test.rego") {
			continue // tests run with `karpgate test`, not in a scan
		}
		version, err := b.RegoVersionForFile(mf.RelativePath, ast.RegoV1)
		if err != nil {
			return nil, &PolicyError{File: path, Problem: err.Error()}
		}
		m, err := ast.ParseModuleWithOpts(name, string(mf.Raw), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: version, Capabilities: caps})
		if err != nil {
			return nil, loaderError(err)
		}
		ub.modules[name] = m
	}
	return ub, nil
}

// readRaw runs OPA's bundle reader over a directory or a tarball; skipTests leaves a directory's
// _test.rego files out.
func readRaw(path string, caps *ast.Capabilities, vc *bundle.VerificationConfig, skipTests bool) (bundle.Bundle, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return bundle.Bundle{}, &PolicyError{File: path, Problem: "read bundle: " + pathProblem(err)}
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return bundle.Bundle{}, &PolicyError{File: path, Problem: "read bundle: not a regular file or a directory"}
	}
	if err := checkBundleLimits(path, fi.IsDir()); err != nil {
		return bundle.Bundle{}, err
	}
	var dl bundle.DirectoryLoader
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(path, ".manifest")); err != nil {
			return bundle.Bundle{}, &PolicyError{File: path, Problem: "bundle directory has no .manifest (a bundle must declare its roots)"}
		}
		// Only bundle files: a README or a .git directory beside the policies is not part of a
		// signed bundle and would fail verification.
		dl = bundle.NewDirectoryLoader(path).WithFilter(func(abspath string, info fs.FileInfo, depth int) bool {
			if info.IsDir() {
				return depth > 0 && strings.HasPrefix(info.Name(), ".")
			}
			return !isBundleFile(info.Name()) || (skipTests && strings.HasSuffix(info.Name(), "_test.rego"))
		})
	} else {
		f, err := os.Open(path)
		if err != nil {
			return bundle.Bundle{}, &PolicyError{File: path, Problem: "read bundle: " + pathProblem(err)}
		}
		defer f.Close()
		dl = bundle.NewTarballLoaderWithBaseURL(f, path)
	}
	br := bundle.NewCustomReader(dl).
		WithProcessAnnotations(true).
		WithCapabilities(caps).
		WithRegoVersion(ast.RegoV1).
		WithSizeLimitBytes(MaxBundleSize).
		WithBundleVerificationConfig(vc).
		WithSkipBundleVerification(vc == nil)
	if fi.IsDir() {
		br = br.WithBaseDir(path)
	}
	b, err := br.Read()
	if err != nil {
		problem := bundleProblem(err)
		pe := &PolicyError{File: path, Problem: problem}
		if strings.HasPrefix(problem, "bundle is not signed") {
			pe.Hint = HintVerificationKey
		}
		return bundle.Bundle{}, pe
	}
	return b, nil
}

func isBundleFile(name string) bool {
	switch name {
	case ".manifest", ".signatures.json", "data.json", "data.yaml", "data.yml", "patch.json":
		return true
	}
	return strings.HasSuffix(name, ".rego")
}

// bundleProblem makes OPA's bundle errors one short line.
func bundleProblem(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	switch {
	case strings.Contains(msg, "digest mismatch"):
		file, _, _ := strings.Cut(msg, ": digest mismatch")
		return fmt.Sprintf("signature check failed: %s was changed after signing (digest mismatch)", strings.TrimPrefix(file, "/"))
	case strings.Contains(msg, "failed to verify JWT signature"), strings.Contains(msg, "verification error"):
		return "signature check failed: the signature was not made with this verification key (" + msg + ")"
	case strings.Contains(msg, "not included in bundle signature"):
		return "signature check failed: " + msg + " (a file was added after signing)"
	case strings.Contains(msg, "missing .signatures.json"):
		return "bundle is not signed (no .signatures.json) but a verification key was given"
	}
	return msg
}

func pathProblem(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// checkRoots refuses a bundle whose roots overlap the embedded bundle (everything under karpgate
// except karpgate/rules/<name> for names the embedded rules do not use, and karpgate/user) or the
// roots of a bundle loaded before it.
func checkRoots(b *userBundle, stems map[string]bool, others []*userBundle) error {
	if len(b.roots) == 0 || slices.Contains(b.roots, "") {
		return &PolicyError{File: b.path, Problem: fmt.Sprintf(`the .manifest declares no roots, so the bundle would own all of data and overlap the embedded %q root; declare e.g. "roots": ["%s/rules/<name>", "%s/user"]`, regofs.Root, regofs.Root, regofs.Root)}
	}
	for _, r := range b.roots {
		segs := strings.Split(r, "/")
		if segs[0] != regofs.Root {
			continue
		}
		switch {
		case len(segs) >= 2 && segs[1] == "user":
		case len(segs) >= 3 && segs[1] == "rules" && segs[2] != "":
			if stems[segs[2]] {
				return &PolicyError{File: b.path, Problem: fmt.Sprintf("manifest root %q overlaps the embedded rule karpgate.rules.%s; pick another name", r, segs[2])}
			}
		default:
			return &PolicyError{File: b.path, Problem: fmt.Sprintf("manifest root %q overlaps the embedded %q bundle root; user bundles may use %s/rules/<name> and %s/user below it", r, regofs.Root, regofs.Root, regofs.Root)}
		}
	}
	for _, o := range others {
		for _, r := range b.roots {
			for _, or := range o.roots {
				if bundle.RootPathsOverlap(r, or) {
					return &PolicyError{File: b.path, Problem: fmt.Sprintf("manifest root %q overlaps root %q of bundle %s", r, or, o.path)}
				}
			}
		}
	}
	return nil
}

// BuildBundle builds an OPA bundle (.tar.gz bytes) from a bundle directory with a .manifest, the
// way `opa build -b DIR` does, and signs it when signing is set. Test files (_test.rego) stay out
// of the bundle. The directory must load with the embedded library first: the same checks as a
// scan (roots, packages, # METADATA of native rules, capabilities) run before anything is built.
func BuildBundle(ctx context.Context, dir string, signing *SigningOptions, opt Options) ([]byte, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, &PolicyError{File: dir, Problem: "read bundle: " + pathProblem(err)}
	}
	if !fi.IsDir() {
		return nil, &PolicyError{File: dir, Problem: "bundle build needs a directory with a .manifest"}
	}
	opt.Bundles = []string{dir}
	opt.Verification = nil
	if _, err := New(ctx, opt); err != nil {
		return nil, err
	}
	caps := capabilities(opt.AllowNet)
	b, err := readRaw(dir, caps, nil, true)
	if err != nil {
		return nil, err
	}
	// Module files are stored relative to the bundle directory, as `opa build -b DIR` does.
	for i := range b.Modules {
		rel := "/" + strings.TrimPrefix(filepath.ToSlash(b.Modules[i].RelativePath), "/")
		b.Modules[i].URL, b.Modules[i].Path = rel, rel
	}
	if err := b.FormatModulesWithOptions(bundle.BundleFormatOptions{RegoVersion: ast.RegoV1, Capabilities: caps, PreserveModuleRegoVersion: true}); err != nil {
		return nil, &PolicyError{File: dir, Problem: "format modules: " + err.Error()}
	}
	if signing != nil {
		id, alg := signing.KeyID, signing.Algorithm
		if id == "" {
			id = DefaultKeyID
		}
		if alg == "" {
			alg = DefaultSigningAlg
		}
		if !validAlg(alg) {
			return nil, &PolicyError{File: signing.KeyFile, Problem: fmt.Sprintf("signing algorithm %q is not one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512", alg)}
		}
		key, err := os.ReadFile(signing.KeyFile)
		if err != nil {
			return nil, &PolicyError{File: signing.KeyFile, Problem: "read signing key: " + pathProblem(err)}
		}
		sc := bundle.NewSigningConfig(string(key), alg, "")
		priv, err := sc.GetPrivateKey()
		if err != nil {
			return nil, &PolicyError{File: signing.KeyFile, Problem: "signing key: " + err.Error()}
		}
		if err := keyFitsAlg(priv, alg); err != nil {
			return nil, &PolicyError{File: signing.KeyFile, Problem: "signing key: " + err.Error()}
		}
		if err := b.GenerateSignature(sc, id, false); err != nil {
			return nil, &PolicyError{File: signing.KeyFile, Problem: "sign bundle: " + err.Error()}
		}
	}
	var out bytes.Buffer
	if err := bundle.NewWriter(&out).Write(b); err != nil {
		return nil, &PolicyError{File: dir, Problem: "write bundle: " + err.Error()}
	}
	return out.Bytes(), nil
}

// InspectBundle reads a bundle's manifest and signature and lists its rules, compiled with the
// embedded library. A signature that does not verify with the given key is reported in the
// returned info and as a PolicyError; a bundle that does not compile is reported in
// CompileProblems.
func InspectBundle(ctx context.Context, path string, v *VerificationOptions, opt Options) (*BundleInfo, error) {
	caps := capabilities(opt.AllowNet)
	ub, err := readBundle(path, caps, nil)
	if err != nil {
		return nil, err
	}
	raw := ub.bundle
	info := &BundleInfo{Path: path, Revision: raw.Manifest.Revision, Roots: ub.roots, Signature: Unsigned, Rules: []findings.Rule{}}
	for _, m := range raw.Modules {
		info.Files = append(info.Files, strings.TrimPrefix(strings.TrimPrefix(filepath.ToSlash(m.Path), filepath.ToSlash(path)), "/"))
	}
	slices.Sort(info.Files)
	info.Files = append(info.Files, dataPaths(raw.Data, "")...)
	sigs, err := readSignatures(path)
	if err != nil {
		return nil, err
	}
	if len(sigs.Signatures) > 0 {
		info.Signature = SignedNotVerified
		info.SignatureKeyID = jwtKeyID(sigs.Signatures[0])
	}
	var sigErr error
	if v != nil {
		vc, err := v.config()
		if err != nil {
			return nil, err
		}
		if _, err := readBundle(path, caps, vc); err != nil {
			if info.Signature != Unsigned {
				info.Signature = SignatureInvalid
			}
			var pe *PolicyError
			if errors.As(err, &pe) {
				info.SignatureError = pe.Problem
			} else {
				info.SignatureError = err.Error()
			}
			sigErr = err
		} else {
			info.Signature = SignedVerified
		}
	}
	opt.Bundles = []string{path}
	opt.Verification = nil
	opt.NoDefaultRules = true
	eng, err := New(ctx, opt)
	if err != nil {
		info.CompileProblems = err.Error()
	} else {
		for _, r := range eng.Rules() {
			if pkg, perr := ast.ParseRef(r.Package); perr == nil {
				if _, ok := ub.owns(pkg); ok {
					info.Rules = append(info.Rules, r)
				}
			}
		}
	}
	return info, sigErr
}

func dataPaths(data map[string]any, prefix string) []string {
	var out []string
	for _, k := range sortedKeys(data) {
		p := prefix + "/" + k
		if m, ok := data[k].(map[string]any); ok && len(m) > 0 && !leafObject(m) {
			out = append(out, dataPaths(m, p)...)
			continue
		}
		out = append(out, "data"+strings.ReplaceAll(p, "/", "."))
	}
	return out
}

// leafObject reports whether an object holds values rather than further documents.
func leafObject(m map[string]any) bool {
	for _, v := range m {
		if _, ok := v.(map[string]any); ok {
			return false
		}
	}
	return true
}

// jwtKeyID reads the "kid" header of a compact JWT without verifying it.
func jwtKeyID(token string) string {
	hdr, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	raw, err := decodeSegment(hdr)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Kid
}

// readSignatures reads a bundle's .signatures.json without verifying it (OPA's reader skips the
// file when verification is off).
func readSignatures(path string) (bundle.SignaturesConfig, error) {
	var sc bundle.SignaturesConfig
	var raw []byte
	fi, err := os.Stat(path)
	if err != nil {
		return sc, &PolicyError{File: path, Problem: "read bundle: " + pathProblem(err)}
	}
	if fi.IsDir() {
		raw, err = os.ReadFile(filepath.Join(path, ".signatures.json"))
		if errors.Is(err, fs.ErrNotExist) {
			return sc, nil
		}
	} else {
		raw, err = tarMember(path, ".signatures.json")
	}
	if err != nil {
		return sc, &PolicyError{File: path, Problem: "read .signatures.json: " + pathProblem(err)}
	}
	if raw == nil {
		return sc, nil
	}
	if err := json.Unmarshal(raw, &sc); err != nil {
		return sc, &PolicyError{File: path, Problem: ".signatures.json: " + err.Error()}
	}
	return sc, nil
}

// tarMember returns one top-level file of a .tar.gz, or nil when it is absent.
func tarMember(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/") == name {
			return io.ReadAll(io.LimitReader(tr, MaxBundleSize))
		}
	}
}

func decodeSegment(seg string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
}
