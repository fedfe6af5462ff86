package redisq

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
)

// testLog returns a logger that writes through t.Log.
func testLog(t testing.TB) *slog.Logger {
	h := slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h)
}

// tWriter sends log lines to t.Log, and drops them once t has ended.
type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// testConfig returns a connection config for addr with short timeouts.
func testConfig(addr string) Config {
	cfg := DefaultConfig()
	cfg.Addr = addr
	return cfg
}

// openQueue opens a Queue of node on ns, closed when t ends.
func openQueue(t testing.TB, cfg Config, ns, node string) *Queue {
	t.Helper()
	cmd, block, err := NewClients(cfg)
	if err != nil {
		t.Fatalf("clients: %v", err)
	}
	q, err := New(cmd, block, ns, node, queuetest.Config(), testLog(t))
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	t.Cleanup(func() {
		_ = q.Close()
		_ = cmd.Close()
	})
	return q
}

// rawClient returns a plain client to addr for looking behind the queue.
func rawClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// namespaces gives each test its own namespace on a shared server.
type namespaces struct {
	mu sync.Mutex
	m  map[string]string
}

// of returns the namespace of t, the same for every call with t.
func (n *namespaces) of(t testing.TB) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]string{}
	}
	ns, ok := n.m[t.Name()]
	if !ok {
		ns = fmt.Sprintf("qt%d", len(n.m))
		n.m[t.Name()] = ns
	}
	return ns
}

// ctxFor returns a context bounded by t and a generous timeout.
func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// env returns a test envelope with id.
func env(id string) queue.Envelope {
	return queue.Envelope{ID: id, Kind: "test", Body: []byte(`{}`)}
}

// eventually polls cond every 20ms until it holds or within passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
