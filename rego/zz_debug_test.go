package rego_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	regofs "github.com/karpgate/karpgate/rego"
)

func TestZZDebug(t *testing.T) {
	q := os.Getenv("Q")
	if q == "" {
		t.Skip()
	}
	var in any
	json.Unmarshal([]byte(os.Getenv("IN")), &in)
	data, _ := regofs.Data()
	opts := append(libModules(t), rego.Query(q), rego.Input(in), rego.Store(inmem.NewFromObject(data)), rego.StrictBuiltinErrors(true))
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(rs, "", " ")
	t.Log(string(b))
}
