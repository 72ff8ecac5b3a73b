package engine

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/karpgate/karpgate/internal/policyimage"
)

// An image compiles to exactly the modules the sources compile to, with the same catalog.
func TestImageCompilesLikeTheSources(t *testing.T) {
	img, err := BuildImage()
	if err != nil {
		t.Fatal(err)
	}
	caps := capabilities(false)
	fromImg, cat, err := compileImage(img, caps)
	if err != nil {
		t.Fatal(err)
	}
	mods, _, err := embeddedModules(false, false)
	if err != nil {
		t.Fatal(err)
	}
	fromSrc, err := compileEmbedded(mods, caps, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromImg.Modules) != len(fromSrc.Modules) {
		t.Fatalf("%d modules from the image, %d from the sources", len(fromImg.Modules), len(fromSrc.Modules))
	}
	// An image carries no annotations: what is read from them, the catalog, is kept beside.
	for name, m := range fromSrc.Modules {
		m = m.Copy()
		m.Annotations = nil
		for _, r := range m.Rules {
			r.Annotations = nil
		}
		if !m.Equal(fromImg.Modules[name]) {
			t.Errorf("%s compiles differently from the image", name)
		}
	}
	// Byte for byte, with locations, expression indexes and flags.
	a, err := policyimage.Encode(fromSrc.Modules, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := policyimage.Encode(fromImg.Modules, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the image's compiled modules encode differently from the sources'")
	}
	catalog, byPkg, err := buildCatalog(fromSrc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(catalog, cat.Catalog) || !reflect.DeepEqual(byPkg, cat.ByPkg) {
		t.Error("the image's catalog differs from the sources'")
	}
	if len(catalog) < 10 {
		t.Errorf("catalog of %d rules", len(catalog))
	}
}

// An image is used only without user code and only when it is an image of these sources; a
// damaged image is an error that names it.
func TestImageIsUsedOnlyWhenItFits(t *testing.T) {
	img, err := BuildImage()
	if err != nil {
		t.Fatal(err)
	}
	caps := capabilities(false)
	if _, err := fromImage(Options{}, caps, img); err != nil {
		t.Fatalf("plain options: %v", err)
	}
	policy := filepath.Join("testdata", "conftest")
	for name, opt := range map[string]Options{
		"policies":         {Policies: []string{policy}},
		"data":             {Data: []string{policy}},
		"bundles":          {Bundles: []string{policy}},
		"no default rules": {NoDefaultRules: true},
	} {
		if _, err := fromImage(opt, caps, img); !errors.Is(err, errNoImage) {
			t.Errorf("%s: err = %v, want errNoImage", name, err)
		}
	}
	if _, err := fromImage(Options{}, caps, nil); !errors.Is(err, errNoImage) {
		t.Errorf("no image: err = %v", err)
	}
	other, err := policyimage.Encode(nil, []byte("other sources"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fromImage(Options{}, caps, other); !errors.Is(err, errNoImage) {
		t.Errorf("stale image: err = %v", err)
	}
	e, err := NewWithImage(context.Background(), Options{}, other)
	if err != nil || len(e.Rules()) < 10 {
		t.Errorf("a stale image does not fall back to the sources: %v", err)
	}
	_, err = NewWithImage(context.Background(), Options{}, img[:len(img)/2])
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.File == "" {
		t.Errorf("damaged image: err = %v", err)
	}
}

// make image promises the same image for the same commit: so the policy image must come out byte
// for byte the same from the same sources.
func TestBuildImageIsReproducible(t *testing.T) {
	a, err := BuildImage()
	if err != nil {
		t.Fatal(err)
	}
	b, err := BuildImage()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two builds of the policy image differ")
	}
}
