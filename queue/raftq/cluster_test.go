package raftq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redistest"
)

// TestSingleNode is the embedded default: one peer, no secret, works
// alone, and keeps its lists across a restart.
func TestSingleNode(t *testing.T) {
	cfg := DefaultConfig()
	fastTiming(&cfg)
	cfg.Peers, cfg.DataDir = []string{redistest.FreeAddr(t)}, t.TempDir()
	n, err := Open(cfg, testLog(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	eventually(t, 5*time.Second, "single node leads", n.IsLeader)
	q, err := n.Queue(queue.DefaultConfig(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := q.Push(ctxFor(t), queue.Jobs, env(id), 0); err != nil {
			t.Fatalf("push: %v", err)
		}
	}
	d, err := q.Pop(ctxFor(t), queue.Jobs, 0)
	if err != nil || d.Envelope.ID != "a" {
		t.Fatalf("pop = %+v, %v", d, err)
	}
	if err := q.Ack(ctxFor(t), d); err != nil {
		t.Fatalf("ack: %v", err)
	}
	_ = q.Close()
	if err := n.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// Restarted with its folder, it leads again and still has b.
	n, err = Open(cfg, testLog(t))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer n.Close()
	eventually(t, 5*time.Second, "restarted node leads", n.IsLeader)
	q, _ = n.Queue(queue.DefaultConfig(), "")
	defer q.Close()
	d, err = q.Pop(ctxFor(t), queue.Jobs, time.Second)
	if err != nil || d.Envelope.ID != "b" {
		t.Fatalf("pop after restart = %+v, %v", d, err)
	}
}

// TestWrongSecret: connections from a node or client with another
// secret are refused, raft's and forwarded requests alike.
func TestWrongSecret(t *testing.T) {
	c := newCluster(t, 3, nil)
	lead := c.leader()
	addr := c.cfgs[lead].Peers[0]
	_, addr, _ = cutPeer(addr)

	cl, err := NewClient([]string{addr}, "another-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.Members(ctxFor(t)); !errors.Is(err, ErrAuth) {
		t.Fatalf("members with a wrong secret: %v, want ErrAuth", err)
	}
	good, _ := NewClient([]string{addr}, testSecret)
	defer good.Close()
	if m, err := good.Members(ctxFor(t)); err != nil || len(m) != 3 {
		t.Fatalf("members with the secret: %v, %v", m, err)
	}

	// A raft connection with the wrong secret is refused as well.
	conn, err := dialRPC(ctxFor(t), addr, []byte("another-secret-0123456789"))
	if err == nil {
		conn.Close()
		t.Fatal("forwarding connection with a wrong secret accepted")
	}
	m := &mux{secret: []byte("another-secret-0123456789"), done: make(chan struct{}),
		conns: map[net.Conn]struct{}{}}
	if _, err := m.dial(ctxFor(t), addr, kindRaft); !errors.Is(err, ErrAuth) {
		t.Fatalf("raft connection with a wrong secret: %v, want ErrAuth", err)
	}
}

// cutPeer splits an ID=HOST:PORT entry.
func cutPeer(entry string) (id, addr string, ok bool) {
	p, err := parsePeer(entry)
	return p.ID, p.Addr, err == nil
}

// TestRestartRejoins: a follower stopped while the cluster goes on
// rejoins with its data folder and catches up; then the whole cluster
// restarts and keeps everything.
func TestRestartRejoins(t *testing.T) {
	c := newCluster(t, 3, nil)
	lead := c.leader()
	q := c.queue(t, lead, "a")
	pushN(t, q, "before", 10)
	f := c.follower()
	c.stop(f)
	pushN(t, q, "during", 10)

	c.start(f)
	eventually(t, 10*time.Second, "restarted follower catches up", func() bool {
		return c.nodes[f].fsm.length(queue.Jobs) == 20
	})
	_ = q.Close()

	for i := range c.nodes {
		c.stop(i)
	}
	for i := range c.nodes {
		c.start(i)
	}
	lead = c.leader()
	q = c.queue(t, (lead+1)%3, "a")
	depths, err := q.Depths(ctxFor(t))
	if err != nil || depths[queue.Jobs] != 20 {
		t.Fatalf("after a full restart depths = %v, %v; want 20 jobs", depths, err)
	}
}

// pushN pushes n envelopes named prefix-i to jobs.
func pushN(t *testing.T, q *Queue, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := q.Push(ctxFor(t), queue.Jobs, env(fmt.Sprintf("%s-%d", prefix, i)), 0); err != nil {
			t.Fatalf("push: %v", err)
		}
	}
}

// TestSnapshotCatchUp: a follower that was away while the leader
// compacted its log catches up by installing a snapshot.
func TestSnapshotCatchUp(t *testing.T) {
	c := newCluster(t, 3, func(c *Config) {
		c.SnapshotThreshold, c.TrailingLogs = 16, 4
		c.SnapshotInterval = 50 * time.Millisecond
	})
	lead := c.leader()
	q := c.queue(t, lead, "a")
	f := c.follower()
	c.stop(f)
	pushN(t, q, "far", 100)
	eventually(t, 10*time.Second, "the leader takes a snapshot", func() bool {
		idx, _ := strconv.Atoi(c.nodes[lead].raft.Stats()["last_snapshot_index"])
		return idx > 50
	})

	c.start(f)
	eventually(t, 10*time.Second, "the follower catches up from a snapshot", func() bool {
		idx, _ := strconv.Atoi(c.nodes[f].raft.Stats()["last_snapshot_index"])
		return idx > 0 && c.nodes[f].fsm.length(queue.Jobs) == 100
	})
	snaps, _ := filepath.Glob(filepath.Join(c.cfgs[f].DataDir, "snapshots", "*"))
	if len(snaps) == 0 {
		t.Fatalf("no snapshot stored in the follower's data folder")
	}
}

// TestPopWakesOnPush: a Pop waiting on one follower gets an envelope
// pushed through another node at once, not at the end of its wait.
func TestPopWakesOnPush(t *testing.T) {
	c := newCluster(t, 3, nil)
	lead := c.leader()
	waiter := c.queue(t, (lead+1)%3, "w")
	pusher := c.queue(t, (lead+2)%3, "p")
	got := make(chan *queue.Delivery, 1)
	go func() {
		d, err := waiter.Pop(ctxFor(t), queue.Inbound, 10*time.Second)
		if err != nil {
			t.Errorf("pop: %v", err)
		}
		got <- d
	}()
	start := time.Now()
	if err := pusher.Push(ctxFor(t), queue.Inbound, env("m"), 0); err != nil {
		t.Fatalf("push: %v", err)
	}
	select {
	case d := <-got:
		if d == nil || d.Envelope.ID != "m" {
			t.Fatalf("pop = %+v", d)
		}
		t.Logf("waiting pop got the envelope %v after the push began", time.Since(start))
	case <-time.After(3 * time.Second):
		t.Fatal("waiting pop did not wake on the push")
	}
}

// TestCancelledPopLeavesEnvelope: a Pop given up while it waits on the
// leader must not leave an envelope leased to nobody.
func TestCancelledPopLeavesEnvelope(t *testing.T) {
	c := newCluster(t, 3, nil)
	lead := c.leader()
	q := c.queue(t, (lead+1)%3, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := q.Pop(ctx, queue.Jobs, 2*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pop past its deadline: %v", err)
	}
	if err := q.Push(ctxFor(t), queue.Jobs, env("x"), 0); err != nil {
		t.Fatal(err)
	}
	// The leader's long poll for the abandoned pop runs until its wait
	// ends; all along, the envelope must stay on the list.
	end := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(end) {
		var leases, depth int
		c.nodes[lead].fsm.read(func(s *state) {
			leases, depth = len(s.Leases), s.Lists[queue.Jobs].Len()
		})
		if leases != 0 || depth != 1 {
			t.Fatalf("leases %d, depth %d; want the envelope on the list", leases, depth)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMembership adds a fourth server and removes it again, calling a
// follower and an outside client.
func TestMembership(t *testing.T) {
	c := newCluster(t, 3, nil)
	f := c.follower()
	members, err := c.nodes[f].Members(ctxFor(t))
	if err != nil || len(members) != 3 {
		t.Fatalf("members = %v, %v", members, err)
	}
	leaders := 0
	for _, m := range members {
		if m.Leader {
			leaders++
		}
		if m.Suffrage != "voter" {
			t.Errorf("member %s suffrage %q", m.ID, m.Suffrage)
		}
	}
	if leaders != 1 {
		t.Fatalf("members show %d leaders: %v", leaders, members)
	}

	// A new server starts with the members and itself as its peers.
	addr := redistest.FreeAddr(t)
	cfg := c.cfgs[0]
	cfg.ID, cfg.DataDir = "n3", filepath.Join(t.TempDir(), "n3")
	cfg.Peers = append(append([]string{}, cfg.Peers...), "n3="+addr)
	c.cfgs, c.nodes = append(c.cfgs, cfg), append(c.nodes, nil)
	c.start(3)
	if err := c.nodes[f].AddVoter(ctxFor(t), "n3", addr); err != nil {
		t.Fatalf("add voter through a follower: %v", err)
	}
	lead := c.leader()
	q := c.queue(t, lead, "a")
	pushN(t, q, "m", 5)
	eventually(t, 10*time.Second, "the new server catches up", func() bool {
		return c.nodes[3].fsm.length(queue.Jobs) == 5
	})

	_, any0, _ := cutPeer(c.cfgs[f].Peers[f])
	cl, err := NewClient([]string{any0}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.RemoveServer(ctxFor(t), "n3"); err != nil {
		t.Fatalf("remove through a client: %v", err)
	}
	c.stop(3)
	c.nodes, c.cfgs = c.nodes[:3], c.cfgs[:3]
	eventually(t, 5*time.Second, "three members again", func() bool {
		m, err := cl.Members(ctxFor(t))
		return err == nil && len(m) == 3
	})
}

// TestRetriedPopFindsItsLease: a pop applied by a leader whose answer
// was lost (the leader died) is retried elsewhere on a list that is empty
// by then, and must get the envelope its first attempt leased.
func TestRetriedPopFindsItsLease(t *testing.T) {
	c := newCluster(t, 3, nil)
	lead := c.leader()
	q := c.queue(t, lead, "a")
	pushN(t, q, "x", 1)
	first := c.nodes[lead].apply(&op{Op: opPop, List: queue.Jobs, Node: "a",
		Client: "lost", Seq: 7, Floor: 7})
	if first.Lease == 0 {
		t.Fatalf("first pop: %+v", first)
	}
	retry := &op{V: cmdVersion, Op: opPop, List: queue.Jobs, Node: "a", Client: "lost",
		Seq: 7, Floor: 7, Retry: true}
	res, err := c.nodes[c.follower()].call(ctxFor(t), retry)
	if err != nil || res.Lease != first.Lease || res.List != queue.Jobs || len(res.Data) == 0 {
		t.Fatalf("retried pop = %+v, %v; want lease %d", res, err, first.Lease)
	}
}
