package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/pprof"
	"sync"
	"time"
)

// DebugConfig is the `debug` section.
type DebugConfig struct {
	// PprofAddr, when set, serves Go's profiles (/debug/pprof/) on this
	// address, for finding where a node spends its CPU. Loopback only:
	// profiles show the program's insides. Default: off.
	PprofAddr string `koanf:"pprof_addr"`
}

// Validate refuses a profile address that is not on loopback.
func (c DebugConfig) Validate() error {
	if c.PprofAddr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.PprofAddr)
	if err != nil {
		return fmt.Errorf("debug.pprof_addr (%q) must be HOST:PORT: %w", c.PprofAddr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("debug.pprof_addr (%q) must be on loopback (127.0.0.1, ::1)",
			c.PprofAddr)
	}
	return nil
}

// servePprof serves the profiles until ctx ends; the returned wait blocks
// until the server stopped. With no address it does nothing.
func servePprof(ctx context.Context, addr string, log *slog.Logger) (wait func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug.pprof_addr: listen on %s: %w", addr, err)
	}
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &nethttp.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, nethttp.ErrServerClosed) {
			log.Warn("pprof server stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("serving profiles", "addr", ln.Addr().String())
	return wg.Wait, nil
}
