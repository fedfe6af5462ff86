package raftq

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// testSecret is the cluster secret of test clusters.
const testSecret = "test-secret-0123456789"

// opSetFence is an op that only tests register: it makes a given number
// the fence, as the conformance suite's TermSetter needs.
const opSetFence = "test_set_fence"

func init() {
	handlers[opSetFence] = func(s *state, a *applied) (response, bool) {
		s.Fence = a.c.Fence
		a.fence = true
		return response{Fence: s.Fence}, true
	}
}

// testLog returns a logger that writes through t.Log until t ends.
func testLog(t testing.TB) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// tWriter sends log lines to t.Log, and drops them once t has ended
// (raft's connection goroutines may log after their node closed).
type tWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *tWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// ctxFor returns a context that ends with t or after a generous bound.
func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond every 10ms until it holds, or fails t after
// within.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fastTiming is the raft timing of test clusters: fast, but with room
// for a loaded 2-core machine running the race detector.
func fastTiming(c *Config) {
	c.HeartbeatTimeout = 200 * time.Millisecond
	c.ElectionTimeout = 200 * time.Millisecond
	c.LeaderLeaseTimeout = 100 * time.Millisecond
}

// cluster is n in-process nodes on loopback ports with their data in
// temp folders. A stopped node's slot is nil until it is started again.
type cluster struct {
	t     testing.TB
	cfgs  []Config
	nodes []*Node
	log   *slog.Logger
}

// newCluster starts n nodes; tweak, if not nil, changes each config.
func newCluster(t testing.TB, n int, tweak func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, log: testLog(t)}
	var peers []string
	for i := range n {
		peers = append(peers, fmt.Sprintf("n%d=%s", i, redistest.FreeAddr(t)))
	}
	base := t.TempDir()
	for i := range n {
		cfg := DefaultConfig()
		fastTiming(&cfg)
		cfg.ID, cfg.Peers, cfg.Secret = fmt.Sprintf("n%d", i), peers, testSecret
		cfg.DataDir = filepath.Join(base, cfg.ID)
		if tweak != nil {
			tweak(&cfg)
		}
		c.cfgs = append(c.cfgs, cfg)
	}
	c.nodes = make([]*Node, n)
	for i := range n {
		c.start(i)
	}
	t.Cleanup(c.stopAll)
	return c
}

// start opens node i.
func (c *cluster) start(i int) *Node {
	c.t.Helper()
	n, err := Open(c.cfgs[i], c.log)
	if err != nil {
		c.t.Fatalf("open node %d: %v", i, err)
	}
	c.nodes[i] = n
	return n
}

// stop closes node i abruptly.
func (c *cluster) stop(i int) {
	c.t.Helper()
	if err := c.nodes[i].Close(); err != nil {
		c.t.Errorf("close node %d: %v", i, err)
	}
	c.nodes[i] = nil
}

// stopAll closes every running node.
func (c *cluster) stopAll() {
	for i, n := range c.nodes {
		if n != nil {
			_ = n.Close()
			c.nodes[i] = nil
		}
	}
}

// leader waits until the running nodes agree on one leader whose fence
// state is applied, and returns its index.
func (c *cluster) leader() int {
	c.t.Helper()
	found := -1
	eventually(c.t, 10*time.Second, "one leader that all running nodes know", func() bool {
		found = c.agreedLeader()
		return found >= 0
	})
	return found
}

// agreedLeader returns the leader every running node names, or -1.
func (c *cluster) agreedLeader() int {
	lead := -1
	for i, n := range c.nodes {
		if n != nil && n.IsLeader() {
			if lead >= 0 {
				return -1
			}
			lead = i
		}
	}
	if lead < 0 {
		return -1
	}
	for _, n := range c.nodes {
		if id, _ := n.leaderOrNone(); n != nil && id != c.cfgs[lead].ID {
			return -1
		}
	}
	return lead
}

// follower returns the index of a running node that is not the leader.
func (c *cluster) follower() int {
	c.t.Helper()
	lead := c.leader()
	for i, n := range c.nodes {
		if n != nil && i != lead {
			return i
		}
	}
	c.t.Fatal("no follower running")
	return -1
}

// queue opens a queue on node i for queue node id, closed when t ends.
func (c *cluster) queue(t testing.TB, i int, id string) *Queue {
	t.Helper()
	cfg := queuetest.Config()
	q, err := c.nodes[i].Queue(cfg, id)
	if err != nil {
		t.Fatalf("queue on node %d: %v", i, err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

// setFence makes f the fence through the leader.
func (c *cluster) setFence(t testing.TB, f uint64) {
	t.Helper()
	n := c.nodes[c.leader()]
	res, err := n.call(ctxFor(t), &op{Op: opSetFence, Fence: f})
	if err != nil || res.err() != nil {
		t.Fatalf("set fence %d: %v %v", f, err, res.err())
	}
}

// leaderOrNone is Leader on a possibly nil node.
func (n *Node) leaderOrNone() (string, string) {
	if n == nil {
		return "", ""
	}
	return n.Leader()
}

// env returns a small test envelope.
func env(id string) queue.Envelope {
	return queue.Envelope{ID: id, Kind: "test", Body: []byte(`{}`),
		Enqueued: time.Unix(1_000_000, 0).UTC()}
}
