// Package rafttest starts in-process raft clusters of raftq nodes for
// tests: loopback ports picked by the test, data in temp folders, fast
// timing, and logs through t.Log. Everything it starts is stopped when
// the test ends.
package rafttest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue/raftq"
)

// Secret is the cluster secret of test clusters.
const Secret = "rafttest-secret-0123456789"

// FastTiming sets raft timing that is fast but leaves room for a loaded
// two-core machine running the race detector.
func FastTiming(c *raftq.Config) {
	c.HeartbeatTimeout = 200 * time.Millisecond
	c.ElectionTimeout = 200 * time.Millisecond
	c.LeaderLeaseTimeout = 100 * time.Millisecond
}

// Cluster is n in-process nodes. A stopped node's slot in Nodes is nil
// until it is started again.
type Cluster struct {
	T     testing.TB
	Cfgs  []raftq.Config
	Nodes []*raftq.Node
	Log   *slog.Logger
}

// Start starts n nodes named n0, n1, ...; tweak, if not nil, changes
// each node's config before it starts.
func Start(t testing.TB, n int, tweak func(*raftq.Config)) *Cluster {
	t.Helper()
	c := &Cluster{T: t, Log: Log(t)}
	var peers []string
	for i := range n {
		peers = append(peers, fmt.Sprintf("n%d=%s", i, FreeAddr(t)))
	}
	base := t.TempDir()
	for i := range n {
		cfg := raftq.DefaultConfig()
		FastTiming(&cfg)
		cfg.ID, cfg.Peers, cfg.Secret = fmt.Sprintf("n%d", i), peers, Secret
		cfg.DataDir = filepath.Join(base, cfg.ID)
		if tweak != nil {
			tweak(&cfg)
		}
		c.Cfgs = append(c.Cfgs, cfg)
	}
	c.Nodes = make([]*raftq.Node, n)
	for i := range n {
		c.StartNode(i)
	}
	t.Cleanup(c.StopAll)
	return c
}

// StartNode opens node i with its config and data folder.
func (c *Cluster) StartNode(i int) *raftq.Node {
	c.T.Helper()
	n, err := raftq.Open(c.Cfgs[i], c.Log)
	if err != nil {
		c.T.Fatalf("rafttest: open node %d: %v", i, err)
	}
	c.Nodes[i] = n
	return n
}

// StopNode closes node i abruptly: no leadership transfer.
func (c *Cluster) StopNode(i int) {
	c.T.Helper()
	if err := c.Nodes[i].Close(); err != nil {
		c.T.Errorf("rafttest: close node %d: %v", i, err)
	}
	c.Nodes[i] = nil
}

// StopAll closes every running node.
func (c *Cluster) StopAll() {
	for i, n := range c.Nodes {
		if n != nil {
			_ = n.Close()
			c.Nodes[i] = nil
		}
	}
}

// Leader waits up to 10s until the running nodes agree on one leader,
// and returns its index.
func (c *Cluster) Leader() int {
	c.T.Helper()
	found := -1
	Eventually(c.T, 10*time.Second, "one leader that every running node knows", func() bool {
		found = c.agreed()
		return found >= 0
	})
	return found
}

// agreed returns the leader every running node names, or -1.
func (c *Cluster) agreed() int {
	lead := -1
	for i, n := range c.Nodes {
		if n != nil && n.IsLeader() {
			if lead >= 0 {
				return -1
			}
			lead = i
		}
	}
	for _, n := range c.Nodes {
		if n == nil || lead < 0 {
			continue
		}
		if id, _ := n.Leader(); id != c.Cfgs[lead].ID {
			return -1
		}
	}
	return lead
}

// Follower returns the index of a running node that is not the leader.
func (c *Cluster) Follower() int {
	c.T.Helper()
	lead := c.Leader()
	for i, n := range c.Nodes {
		if n != nil && i != lead {
			return i
		}
	}
	c.T.Fatal("rafttest: no follower running")
	return -1
}

// Eventually polls cond every 10ms until it holds, or fails t after
// within.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Ctx returns a context that ends with t or after 30s.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// FreeAddr returns a loopback HOST:PORT that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("rafttest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Log returns a logger that writes through t.Log at Info and above,
// and drops lines once t has ended.
func Log(t testing.TB) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// tWriter sends log lines to t.Log until stop.
type tWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

// Write logs p as one line.
func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// stop drops later lines.
func (w *tWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
