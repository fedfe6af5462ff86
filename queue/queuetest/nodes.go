package queuetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// nodes: Nodes lists the nodes whose heartbeat holds, with what they
// said, and drops a node whose heartbeat lapsed.
func (s suite) nodes(t *testing.T) {
	a, b := s.open(t, "a"), s.open(t, "b")
	started := time.Now().UTC().Truncate(time.Second)
	info := queue.NodeInfo{ID: "a", Addr: "127.0.0.1:1", Version: "test",
		Started: started, Master: true, Term: 4}
	heartbeat(t, a, info, longTTL)
	heartbeat(t, b, queue.NodeInfo{ID: "b"}, shortTTL)
	nodes, err := a.Nodes(ctxFor(t))
	if err != nil || len(nodes) != 2 {
		t.Fatalf("nodes = %+v, %v; want a and b", nodes, err)
	}
	got := nodes[slices.IndexFunc(nodes, func(n queue.NodeInfo) bool { return n.ID == "a" })]
	if got.Addr != info.Addr || got.Version != info.Version || !got.Started.Equal(started) ||
		!got.Master || got.Term != 4 || got.Seen.IsZero() {
		t.Errorf("node a = %+v, want %+v with Seen set", got, info)
	}
	eventually(t, 5*time.Second, "b drops out of Nodes", func() bool {
		return slices.Equal(nodeIDs(t, a), []string{"a"})
	})
}

// heartbeat records q's node as alive and fails the test on error.
func heartbeat(t *testing.T, q queue.Queue, info queue.NodeInfo, ttl time.Duration) {
	t.Helper()
	if err := q.Heartbeat(ctxFor(t), info, ttl); err != nil {
		t.Fatalf("heartbeat %s: %v", info.ID, err)
	}
}

// reap: what a node held when it stopped heartbeating returns to the
// front of its list exactly once, even with two reapers at once; its
// acknowledged work does not; and its late Ack or Retry changes nothing.
func (s suite) reap(t *testing.T) {
	a, b, c := s.open(t, "a"), s.open(t, "b"), s.open(t, "c")
	heartbeat(t, b, queue.NodeInfo{ID: "b"}, longTTL)
	heartbeat(t, c, queue.NodeInfo{ID: "c"}, longTTL)
	heartbeat(t, a, queue.NodeInfo{ID: "a"}, shortTTL)
	push(t, b, queue.Jobs, "e1", "e2", "e3", "e4", "e5")
	ack(t, a, popID(t, a, queue.Jobs, "e1"))
	held := []*queue.Delivery{popID(t, a, queue.Jobs, "e2"), popID(t, a, queue.Jobs, "e3")}
	heartbeat(t, a, queue.NodeInfo{ID: "a"}, shortTTL)
	if n := reapOnce(t, b); n != 0 {
		t.Fatalf("reap while a is alive moved %d", n)
	}
	eventually(t, 5*time.Second, "a's heartbeat lapses", func() bool {
		return !slices.Contains(nodeIDs(t, b), "a")
	})

	// Two reapers at once must move a's two leases once in total.
	var wg sync.WaitGroup
	moved := make([]int, 2)
	for i, q := range []queue.Queue{b, c} {
		wg.Go(func() { moved[i] = reapOnce(t, q) })
	}
	wg.Wait()
	if moved[0]+moved[1] != 2 {
		t.Fatalf("reapers moved %v, want 2 in total", moved)
	}
	if n := reapOnce(t, b); n != 0 {
		t.Fatalf("second reap moved %d", n)
	}

	// The lapsed node's late calls must not bring back a second copy.
	if dead, err := a.Retry(ctxFor(t), held[1], errors.New("late")); err != nil || dead {
		t.Fatalf("late retry = %v, %v", dead, err)
	}
	if err := a.Ack(ctxFor(t), held[0]); err != nil {
		t.Fatalf("late ack: %v", err)
	}
	ids := drain(t, b, queue.Jobs, 20)
	if len(ids) != 4 || !slices.Equal(ids[2:], []string{"e4", "e5"}) ||
		!sameSet(ids[:2], []string{"e2", "e3"}) {
		t.Fatalf("after reap the list holds %v, want e2 and e3 in front of e4 e5", ids)
	}
}

// reapOnce calls Reap and fails the test on error.
func reapOnce(t *testing.T, q queue.Queue) int {
	t.Helper()
	n, err := q.Reap(ctxFor(t))
	if err != nil {
		t.Errorf("reap: %v", err)
	}
	return n
}

// sameSet reports whether a and b hold the same strings in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}
