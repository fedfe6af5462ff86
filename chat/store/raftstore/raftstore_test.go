package raftstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/chat/store/raftstore"
	"github.com/herald-chatops/herald/chat/store/storetest"
	"github.com/herald-chatops/herald/queue/raftq"
	"github.com/herald-chatops/herald/queue/raftq/rafttest"
)

// open returns the store on node i of c.
func open(t *testing.T, c *rafttest.Cluster, i int) *raftstore.Store {
	t.Helper()
	s, err := raftstore.New(c.Nodes[i])
	if err != nil {
		t.Fatalf("raftstore on node %d: %v", i, err)
	}
	return s
}

// TestConformance runs the store suite on one 3-node cluster, through a
// store on the leader and through one on a follower, which forwards
// every call. Each subtest gets handler names of its own, so it starts
// empty.
func TestConformance(t *testing.T) {
	c := rafttest.Start(t, 3, nil)
	var n atomic.Int64
	for _, via := range []string{"leader", "follower"} {
		t.Run(via, func(t *testing.T) {
			i := c.Leader()
			if via == "follower" {
				i = c.Follower()
			}
			s := open(t, c, i)
			storetest.Run(t, func(*testing.T) store.Store {
				return isolated{s: s, pre: fmt.Sprintf("t%d.", n.Add(1))}
			})
		})
	}
}

// TestNewRefusesNil: a store needs a node.
func TestNewRefusesNil(t *testing.T) {
	if _, err := raftstore.New(nil); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("New(nil) = %v, want ErrInvalid", err)
	}
}

// TestLeaderKill: what was written through a follower before the leader
// died abruptly is read back through the survivors once a new leader is
// elected, and writes go on.
func TestLeaderKill(t *testing.T) {
	c := rafttest.Start(t, 3, nil)
	lead, f := c.Leader(), c.Follower()
	s := open(t, c, f)
	ctx := rafttest.Ctx(t)
	mustDo(t, s.Set(ctx, "notes", "a", "before", 0))
	mustDo(t, s.Set(ctx, "notes", "ttl", "lives", time.Hour))
	mustDo(t, errOnly(s.Incr(ctx, "count", "k", 41)))

	killed := time.Now()
	c.StopNode(lead)
	v, err := s.Get(ctx, "notes", "a")
	t.Logf("first read after the leader kill: %v", time.Since(killed))
	if err != nil || v != "before" {
		t.Fatalf("after the kill: %q, %v; want before", v, err)
	}
	other := open(t, c, 3-lead-f)
	wantValue(t, other, "notes", "ttl", "lives")
	if n, err := other.Incr(ctx, "count", "k", 1); err != nil || n != 42 {
		t.Fatalf("incr after the kill = %d, %v; want 42", n, err)
	}
}

// TestSnapshotRoundTrip: a follower away while the leader compacted its
// log gets the keys from a snapshot, serves them once it leads, and a
// restart of the whole cluster restores them from its snapshots again.
func TestSnapshotRoundTrip(t *testing.T) {
	c := rafttest.Start(t, 3, func(cfg *raftq.Config) {
		cfg.SnapshotThreshold, cfg.TrailingLogs = 16, 4
		cfg.SnapshotInterval = 50 * time.Millisecond
	})
	lead, f := c.Leader(), c.Follower()
	s := open(t, c, lead)
	c.StopNode(f)
	want := writeKeys(t, s, 60)
	// Any snapshot compacts the log past the few entries the follower has
	// (its index is at least snapshot_threshold, trailing_logs are kept).
	rafttest.Eventually(t, 10*time.Second, "the leader takes a snapshot", func() bool {
		return stat(c.Nodes[lead], "last_snapshot_index") > 0
	})

	c.StartNode(f)
	rafttest.Eventually(t, 10*time.Second, "the follower installs the snapshot", func() bool {
		return stat(c.Nodes[f], "last_snapshot_index") > 0 &&
			stat(c.Nodes[f], "applied_index") >= stat(c.Nodes[lead], "commit_index")
	})
	transfer(t, c, f)
	checkKeys(t, open(t, c, f), want)

	for i := range c.Nodes {
		c.StopNode(i)
	}
	for i := range c.Nodes {
		c.StartNode(i)
	}
	checkKeys(t, open(t, c, c.Follower()), want)
}

// writeKeys sets n keys of handler "snap", some of them not UTF-8, one
// with a TTL, plus a counter, and returns what Get must find.
func writeKeys(t *testing.T, s *raftstore.Store, n int) map[string]string {
	t.Helper()
	ctx := rafttest.Ctx(t)
	want := map[string]string{}
	for i := range n {
		k, v := fmt.Sprintf("k%03d", i), fmt.Sprintf("value %d", i)
		if i%10 == 0 {
			k, v = k+"\xff", "\x00\xfe"+v
		}
		mustDo(t, s.Set(ctx, "snap", k, v, 0))
		want[k] = v
	}
	mustDo(t, s.Set(ctx, "snap", "ttl", "lives", time.Hour))
	want["ttl"] = "lives"
	mustDo(t, errOnly(s.Incr(ctx, "snap", "count", 7)))
	want["count"] = "7"
	return want
}

// checkKeys fails t unless s holds exactly want under handler "snap".
func checkKeys(t *testing.T, s *raftstore.Store, want map[string]string) {
	t.Helper()
	keys, err := s.Keys(rafttest.Ctx(t), "snap", "")
	if err != nil || len(keys) != len(want) {
		t.Fatalf("keys: %d, %v; want %d", len(keys), err, len(want))
	}
	for k, v := range want {
		wantValue(t, s, "snap", k, v)
	}
}

// transfer makes node to the leader. A transfer may end with the old
// leader elected again (it steps down if a heartbeat round is slow), so
// it is asked again until node to leads.
func transfer(t *testing.T, c *rafttest.Cluster, to int) {
	t.Helper()
	id, addr := raft.ServerID(c.Cfgs[to].ID), raft.ServerAddress(c.Nodes[to].Addr())
	rafttest.Eventually(t, 20*time.Second, "the leadership moves", func() bool {
		lead := c.Leader()
		if lead != to {
			err := c.Nodes[lead].Raft().LeadershipTransferToServer(id, addr).Error()
			t.Logf("transfer leadership from node %d to node %d: %v", lead, to, err)
		}
		return c.Leader() == to
	})
}

// stat returns a number of node's raft stats.
func stat(n *raftq.Node, name string) uint64 {
	v, _ := strconv.ParseUint(n.Raft().Stats()[name], 10, 64)
	return v
}

func wantValue(t *testing.T, s store.Store, h, k, want string) {
	t.Helper()
	got, err := s.Get(rafttest.Ctx(t), h, k)
	if err != nil || got != want {
		t.Fatalf("Get(%s, %q) = %q, %v; want %q", h, k, got, err, want)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func errOnly[T any](_ T, err error) error { return err }

// isolated gives the valid handler names of one subtest a prefix of its
// own. Invalid names go through unchanged, so that the Store under test
// refuses them itself.
type isolated struct {
	s   store.Store
	pre string
}

func (i isolated) name(h string) string {
	if store.CheckHandler(h) != nil {
		return h
	}
	return i.pre + h
}

func (i isolated) Get(ctx context.Context, h, k string) (string, error) {
	return i.s.Get(ctx, i.name(h), k)
}

func (i isolated) Set(ctx context.Context, h, k, v string, ttl time.Duration) error {
	return i.s.Set(ctx, i.name(h), k, v, ttl)
}

func (i isolated) Delete(ctx context.Context, h, k string) error {
	return i.s.Delete(ctx, i.name(h), k)
}

func (i isolated) Incr(ctx context.Context, h, k string, n int64) (int64, error) {
	return i.s.Incr(ctx, i.name(h), k, n)
}

func (i isolated) Keys(ctx context.Context, h, prefix string) ([]string, error) {
	return i.s.Keys(ctx, i.name(h), prefix)
}
