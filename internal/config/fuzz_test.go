package config

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every failure is a located *Error, and
// that every success has JSON-compatible RegoData. Seeds are the fixtures under testdata. Run it
// briefly with: go test -run '^$' -fuzz FuzzParse -fuzztime 30s -parallel 1 ./internal/config/
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		f.Add(readFixture(f, file))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a Config with error %v", err)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Parse error %T is not a *config.Error: %v", err, err)
			}
			return
		}
		if _, err := json.Marshal(c.RegoData()); err != nil {
			t.Fatalf("RegoData does not marshal: %v", err)
		}
		c.Overrides()
	})
}
