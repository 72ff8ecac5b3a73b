package rego_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

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
	var mo []func(*rego.Rego)
	for _, m := range modules(t) {
		mo = append(mo, rego.ParsedModule(m))
	}
	opts := append(mo, rego.Query(q), rego.Input(in), rego.Store(inmem.NewFromObject(data)), rego.StrictBuiltinErrors(true))
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(rs, "", " ")
	t.Log(string(b))
}

func TestZZTime(t *testing.T) {
	if os.Getenv("TIMEIT") == "" {
		t.Skip()
	}
	var mo []func(*rego.Rego)
	for _, m := range modules(t) {
		mo = append(mo, rego.ParsedModule(m))
	}
	data, _ := regofs.Data()
	ctx := context.Background()
	// build input from fixtures first
	in0, err := rego.New(append(mo, rego.Query(os.Getenv("TIMEIT")), rego.Store(inmem.NewFromObject(data)))...).Eval(ctx)
	if err != nil || len(in0) == 0 {
		t.Fatal(err, in0)
	}
	input := in0[0].Expressions[0].Value
	var lib []func(*rego.Rego)
	lib = libModules(t)
	pq, err := rego.New(append(lib, rego.Query(`f := {x | some n; x := data.karpgate.rules[n].deny[_]}`), rego.Store(inmem.NewFromObject(data)))...).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		start := time.Now()
		rs, err := pq.Eval(ctx, rego.EvalInput(input))
		if err != nil {
			t.Fatal(err)
		}
		t.Log(time.Since(start), len(rs[0].Bindings["f"].([]any)))
	}
}
