package plan_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/karpgate/karpgate/internal/plan"
	"github.com/karpgate/karpgate/internal/plan/plangen"
)

// benchPlan is a generated 5,000-resource plan (about 17 MB).
func benchPlan(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := plangen.Write(&buf, 5000, 1); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkParser(b *testing.B) {
	data := benchPlan(b)
	none := func(string, string) bool { return false }
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"json.Valid", func() error {
			if !json.Valid(data) {
				b.Fatal("invalid")
			}
			return nil
		}},
		{"decode-any", func() error { var v any; return json.Unmarshal(data, &v) }},
		{"full", func() error { _, err := plan.OracleBytes("p", data); return err }},
		{"fast-none", func() error {
			_, err := plan.Read("p", bytes.NewReader(data), plan.Options{Keep: none, Text: true})
			return err
		}},
		{"fast-iam", func() error {
			_, err := plan.Read("p", bytes.NewReader(data), plan.Options{Keep: iamOnly, Text: true})
			return err
		}},
		{"stream-none", func() error {
			_, err := plan.Read("p", bytes.NewReader(data), plan.Options{Keep: none, Split: true})
			return err
		}},
		{"stream-iam", func() error {
			_, err := plan.Read("p", bytes.NewReader(data), plan.Options{Keep: iamOnly, Split: true})
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
