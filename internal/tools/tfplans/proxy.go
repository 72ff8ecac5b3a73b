package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protowire"
)

// Terraform spends most of every command decoding the aws provider's schema (some 1,500
// resource types) and the provider most of its start-up building it. A providerHost therefore
// runs one provider process in debug mode for a whole worker, and puts a loopback gRPC proxy in
// front of it that Terraform reattaches to (TF_REATTACH_PROVIDERS). The proxy forwards every call
// unchanged except GetProviderSchema, which it answers from a cached copy trimmed to the resource
// and data source types the scenarios use. The plans Terraform prints are the same bytes either
// way (`-direct` runs without the proxy, to check).
type providerHost struct {
	backend  *exec.Cmd
	conn     *grpc.ClientConn
	server   *grpc.Server
	reattach string // TF_REATTACH_PROVIDERS value

	shared *hostCache

	configures atomic.Int32 // ConfigureProvider calls since the last reset
	trace      io.Writer    // nil, or where to say what the host does
}

// maxMsg bounds one gRPC message: the untrimmed schema is tens of megabytes.
const maxMsg = 512 << 20

// startProviderHost starts the provider binary in debug mode with env, and the proxy on a unix
// socket in dir.
func startProviderHost(ctx context.Context, binary, dir string, env []string, shared *hostCache, trace io.Writer) (*providerHost, error) {
	h := &providerHost{shared: shared, trace: trace}
	cmd := exec.Command(binary, "-debug")
	cmd.Env = env
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start provider: %w", err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start provider %s: %w", binary, err)
	}
	h.backend = cmd
	addr, err := reattachAddr(ctx, out)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("start provider %s: %w", binary, err)
	}
	sock := filepath.Join(dir, "provider.sock")
	if err := h.proxy(addr, sock); err != nil {
		h.Close()
		return nil, err
	}
	b, _ := json.Marshal(map[string]any{awsSource: map[string]any{
		"Protocol": "grpc", "ProtocolVersion": 5, "Pid": cmd.Process.Pid, "Test": true,
		"Addr": map[string]string{"Network": "unix", "String": sock},
	}})
	h.reattach = string(b)
	// Stopping the pipe reader would block the provider's writes: drain it.
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return h, nil
}

// proxy connects to the provider listening on the unix socket backend and serves Terraform on
// the unix socket front.
func (h *providerHost) proxy(backend, front string) error {
	var err error
	h.conn, err = grpc.NewClient("unix://"+backend,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)))
	if err != nil {
		return fmt.Errorf("connect to provider: %w", err)
	}
	ln, err := net.Listen("unix", front)
	if err != nil {
		return fmt.Errorf("listen for terraform: %w", err)
	}
	h.server = grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(h.forward),
		grpc.MaxRecvMsgSize(maxMsg), grpc.MaxSendMsgSize(maxMsg))
	go func() { _ = h.server.Serve(ln) }()
	return nil
}

// reattachAddr reads the provider's debug banner up to the TF_REATTACH_PROVIDERS line and returns
// the socket it listens on.
func reattachAddr(ctx context.Context, out io.Reader) (string, error) {
	type result struct {
		addr string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			v, ok := strings.CutPrefix(line, "TF_REATTACH_PROVIDERS='")
			if !ok {
				continue
			}
			var cfg map[string]struct {
				Addr struct{ Network, String string }
			}
			if err := json.Unmarshal([]byte(strings.TrimSuffix(v, "'")), &cfg); err != nil {
				ch <- result{err: fmt.Errorf("read reattach line: %w", err)}
				return
			}
			for _, c := range cfg {
				if c.Addr.Network != "unix" {
					ch <- result{err: fmt.Errorf("provider listens on %s, want unix", c.Addr.Network)}
					return
				}
				ch <- result{addr: c.Addr.String}
				return
			}
		}
		ch <- result{err: errors.New("provider exited before printing its reattach address")}
	}()
	select {
	case r := <-ch:
		return r.addr, r.err
	case <-time.After(60 * time.Second):
		return "", errors.New("provider printed no reattach address within 60s")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Close stops the proxy and the provider process.
func (h *providerHost) Close() {
	if h.server != nil {
		h.server.Stop()
	}
	if h.conn != nil {
		_ = h.conn.Close()
	}
	if h.backend != nil && h.backend.Process != nil {
		_ = h.backend.Process.Kill()
		_ = h.backend.Wait()
		if ps := h.backend.ProcessState; h.trace != nil && ps != nil {
			fmt.Fprintf(h.trace, "tfplans: provider host used %s cpu\n", (ps.UserTime() + ps.SystemTime()).Round(time.Millisecond))
		}
	}
}

const (
	methodSchema    = "/tfplugin5.Provider/GetSchema"
	methodConfigure = "/tfplugin5.Provider/Configure"
)

// forward relays one call, of any kind, to the provider.
func (h *providerHost) forward(_ any, in grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(in)
	if !ok {
		return errors.New("proxy: call without a method")
	}
	switch {
	case method == methodSchema:
		return h.serveSchema(in)
	case method == methodConfigure:
		h.configures.Add(1)
	case cacheable[method]:
		return h.serveCached(in, method)
	}
	ctx, cancel := context.WithCancel(in.Context())
	defer cancel()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	out, err := h.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}
	upErr := make(chan error, 1)
	go func() {
		for {
			var msg []byte
			if err := in.RecvMsg(&msg); err != nil {
				if err == io.EOF {
					upErr <- out.CloseSend()
				} else {
					upErr <- err
				}
				return
			}
			if err := out.SendMsg(&msg); err != nil {
				upErr <- err
				return
			}
		}
	}()
	first := true
	for {
		var msg []byte
		err := out.RecvMsg(&msg)
		if first {
			first = false
			if md, herr := out.Header(); herr == nil {
				_ = in.SendHeader(md)
			}
		}
		if err != nil {
			in.SetTrailer(out.Trailer())
			if err == io.EOF {
				return nil
			}
			return err
		}
		if err := in.SendMsg(&msg); err != nil {
			return err
		}
		select {
		case err := <-upErr:
			if err != nil {
				return err
			}
			upErr = nil
		default:
		}
	}
}

// hostCache holds what every provider host of a generation may answer without asking its
// provider: the trimmed schema, and the answers of calls that depend only on their request
// (validation, state upgrades), which the provider takes hundreds of milliseconds to compute.
type hostCache struct {
	keep keepTypes

	schemaOnce sync.Once
	schema     []byte
	schemaErr  error

	mu    sync.Mutex
	unary map[string][]byte
}

func newHostCache(keep keepTypes) *hostCache {
	return &hostCache{keep: keep, unary: map[string][]byte{}}
}

// cacheable are the calls whose answer is a function of the request bytes alone.
var cacheable = map[string]bool{
	"/tfplugin5.Provider/PrepareProviderConfig":      true,
	"/tfplugin5.Provider/ValidateResourceTypeConfig": true,
	"/tfplugin5.Provider/ValidateDataSourceConfig":   true,
	"/tfplugin5.Provider/UpgradeResourceState":       true,
}

// serveSchema answers GetProviderSchema from the trimmed copy, fetched once per generation.
func (h *providerHost) serveSchema(in grpc.ServerStream) error {
	var req []byte
	if err := in.RecvMsg(&req); err != nil {
		return err
	}
	c := h.shared
	c.schemaOnce.Do(func() {
		var full []byte
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := h.conn.Invoke(ctx, methodSchema, &req, &full); err != nil {
			c.schemaErr = fmt.Errorf("provider schema: %w", err)
			return
		}
		c.schema, c.schemaErr = trimSchema(full, c.keep)
		if h.trace != nil {
			fmt.Fprintf(h.trace, "tfplans: provider schema of %d bytes trimmed to %d\n", len(full), len(c.schema))
		}
	})
	if c.schemaErr != nil {
		return c.schemaErr
	}
	out := c.schema
	return in.SendMsg(&out)
}

// serveCached answers a unary call from the cache, or asks the provider and keeps its answer.
func (h *providerHost) serveCached(in grpc.ServerStream, method string) error {
	var req []byte
	if err := in.RecvMsg(&req); err != nil {
		return err
	}
	key := method + "\x00" + string(req)
	h.shared.mu.Lock()
	resp, ok := h.shared.unary[key]
	h.shared.mu.Unlock()
	if !ok {
		if err := h.conn.Invoke(in.Context(), method, &req, &resp); err != nil {
			return err
		}
		h.shared.mu.Lock()
		h.shared.unary[key] = resp
		h.shared.mu.Unlock()
	}
	return in.SendMsg(&resp)
}

// keepTypes are the resource, data source and ephemeral resource types the proxy's schema lists.
type keepTypes struct {
	resources, data, ephemeral map[string]bool
}

// Fields of tfplugin5 GetProviderSchema.Response that map type names to schemas.
const (
	fieldResourceSchemas  = 2
	fieldDataSchemas      = 3
	fieldEphemeralSchemas = 8
)

// trimSchema drops from a GetProviderSchema response every map entry of a type not in keep,
// leaving every other byte as the provider sent it.
func trimSchema(b []byte, keep keepTypes) ([]byte, error) {
	out := make([]byte, 0, 1<<20)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("provider schema: %w", protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, fmt.Errorf("provider schema: %w", protowire.ParseError(m))
		}
		field := b[:n+m]
		b = b[n+m:]
		var set map[string]bool
		switch num {
		case fieldResourceSchemas:
			set = keep.resources
		case fieldDataSchemas:
			set = keep.data
		case fieldEphemeralSchemas:
			set = keep.ephemeral
		}
		if set != nil && typ == protowire.BytesType {
			entry, _ := protowire.ConsumeBytes(field[n:])
			name, err := mapKey(entry)
			if err != nil {
				return nil, err
			}
			if !set[name] {
				continue
			}
		}
		out = append(out, field...)
	}
	return out, nil
}

// mapKey is the key (field 1, a string) of an encoded map entry.
func mapKey(entry []byte) (string, error) {
	for len(entry) > 0 {
		num, typ, n := protowire.ConsumeTag(entry)
		if n < 0 {
			return "", fmt.Errorf("provider schema map entry: %w", protowire.ParseError(n))
		}
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(entry[n:])
			if m < 0 {
				return "", fmt.Errorf("provider schema map entry: %w", protowire.ParseError(m))
			}
			return string(v), nil
		}
		m := protowire.ConsumeFieldValue(num, typ, entry[n:])
		if m < 0 {
			return "", fmt.Errorf("provider schema map entry: %w", protowire.ParseError(m))
		}
		entry = entry[n+m:]
	}
	return "", errors.New("provider schema map entry without a key")
}

// rawCodec passes messages through as bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot marshal %T", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: cannot unmarshal into %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// providerBinary is the aws provider executable in the mirror (unpacked layout).
func providerBinary(mirror string) (string, error) {
	m, _ := filepath.Glob(filepath.Join(mirror, filepath.FromSlash(awsSource), awsVersion, platform(), "terraform-provider-aws_*"))
	if len(m) == 0 {
		return "", fmt.Errorf("%w: no unpacked terraform-provider-aws %s in %s", errMissingTool, awsVersion, mirror)
	}
	if _, err := os.Stat(m[0]); err != nil {
		return "", err
	}
	return m[0], nil
}
