package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestProxyForwardsCachesAndCounts runs the proxy in front of a stand-in provider that answers
// every call with its method and request: calls pass through unchanged, validation answers come
// from the cache the second time, and Configure calls are counted (a second configuration in one
// command sends the scenario to direct mode).
func TestProxyForwardsCachesAndCounts(t *testing.T) {
	dir := t.TempDir()
	backendSock := filepath.Join(dir, "backend.sock")
	ln, err := net.Listen("unix", backendSock)
	if err != nil {
		t.Fatal(err)
	}
	var backendCalls atomic.Int32
	backend := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, s grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(s)
		for {
			var req []byte
			if err := s.RecvMsg(&req); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			backendCalls.Add(1)
			out := append([]byte(method+" <- "), req...)
			if err := s.SendMsg(&out); err != nil {
				return err
			}
		}
	}))
	go func() { _ = backend.Serve(ln) }()
	defer backend.Stop()

	h := &providerHost{shared: newHostCache(keepTypes{})}
	front := filepath.Join(dir, "front.sock")
	if err := h.proxy(backendSock, front); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	conn, err := grpc.NewClient("unix://"+front, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	call := func(method, req string) string {
		t.Helper()
		in, out := []byte(req), []byte(nil)
		if err := conn.Invoke(context.Background(), method, &in, &out); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return string(out)
	}

	const plan = "/tfplugin5.Provider/PlanResourceChange"
	if got := call(plan, "a"); got != plan+" <- a" {
		t.Errorf("forwarded call answered %q", got)
	}
	const validate = "/tfplugin5.Provider/ValidateResourceTypeConfig"
	for range 3 {
		if got := call(validate, "v"); got != validate+" <- v" {
			t.Errorf("cached call answered %q", got)
		}
	}
	call(validate, "w")
	if n := backendCalls.Load(); n != 3 {
		t.Errorf("the provider saw %d calls, want 3 (one plan, one per distinct validation)", n)
	}
	h.configures.Store(0)
	const configure = "/tfplugin5.Provider/Configure" // the tfplugin5 name Terraform calls
	call(configure, "eu-west-1")
	call(configure, "us-east-1")
	if n := h.configures.Load(); n != 2 {
		t.Errorf("%d Configure calls counted, want 2", n)
	}
}
