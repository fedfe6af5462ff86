package raftq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// ledger records what the workers of TestConsistencyAcrossLeaderKills
// did with each envelope id.
type ledger struct {
	mu        sync.Mutex
	attempted map[string]bool
	pushed    map[string]bool
	fetched   map[string]int
	acked     map[string]int
	// unknown counts Acks that failed because their node was killed
	// under them: the ack may or may not have been applied.
	unknown map[string]int
}

func newLedger() *ledger {
	return &ledger{attempted: map[string]bool{}, pushed: map[string]bool{},
		fetched: map[string]int{}, acked: map[string]int{}, unknown: map[string]int{}}
}

func (l *ledger) note(fn func(l *ledger)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(l)
}

func (l *ledger) count() (pushed, acked int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.pushed {
		if l.acked[id]+l.unknown[id] > 0 {
			acked++
		}
	}
	return len(l.pushed), acked
}

// soak runs producers, consumers, heartbeats and a reaper on the nodes
// of a cluster, one set per node incarnation.
type soak struct {
	t       *testing.T
	c       *cluster
	l       *ledger
	ctx     context.Context
	produce chan struct{} // closed to stop producing
	wg      sync.WaitGroup
	gen     int
}

// start runs a set of workers on node i until its node closes or the
// soak's context ends.
func (s *soak) start(i int) {
	s.gen++
	name := fmt.Sprintf("n%dg%d", i, s.gen)
	q, err := s.c.nodes[i].Queue(queue.DefaultConfig(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	s.wg.Go(func() { s.producer(q, name) })
	s.wg.Go(func() { s.consumer(q) })
	s.wg.Go(func() { s.consumer(q) })
	s.wg.Go(func() { s.upkeep(q) })
}

// done reports whether a worker must stop after err.
func (s *soak) done(err error) bool {
	return errors.Is(err, queue.ErrClosed) || s.ctx.Err() != nil
}

func (s *soak) producer(q *Queue, name string) {
	for k := 0; ; k++ {
		select {
		case <-s.produce:
			return
		default:
		}
		id := fmt.Sprintf("%s-%d", name, k)
		s.l.note(func(l *ledger) { l.attempted[id] = true })
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		err := q.Push(ctx, queue.Jobs, env(id), 0)
		cancel()
		if err == nil {
			s.l.note(func(l *ledger) { l.pushed[id] = true })
		} else if s.done(err) {
			return
		}
	}
}

func (s *soak) consumer(q *Queue) {
	for {
		d, err := q.Pop(s.ctx, queue.Jobs, 200*time.Millisecond)
		if errors.Is(err, queue.ErrEmpty) {
			continue
		}
		if err != nil {
			if s.done(err) {
				return
			}
			s.t.Errorf("pop: %v", err)
			return
		}
		id := d.Envelope.ID
		s.l.note(func(l *ledger) { l.fetched[id]++ })
		res, err := q.endLease(s.ctx, "ack", d, &op{Op: opAck})
		switch {
		case err == nil && res.OK:
			s.l.note(func(l *ledger) { l.acked[id]++ })
		case err != nil && s.done(err):
			s.l.note(func(l *ledger) { l.unknown[id]++ })
			return
		}
	}
}

// upkeep heartbeats the queue's node and reaps lapsed nodes.
func (s *soak) upkeep(q *Queue) {
	for {
		if err := q.Heartbeat(s.ctx, queue.NodeInfo{}, 2*time.Second); s.done(err) {
			return
		}
		if _, err := q.Reap(s.ctx); s.done(err) {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitPushed waits until n more pushes than now succeeded.
func (s *soak) waitPushed(n int) {
	s.t.Helper()
	from, _ := s.l.count()
	eventually(s.t, 20*time.Second, fmt.Sprintf("%d more pushes", n), func() bool {
		p, _ := s.l.count()
		return p >= from+n
	})
}

// TestConsistencyAcrossLeaderKills pushes numbered envelopes from every
// node, followers included, while the leader is killed twice (and
// restarted with its data), and checks that every push that returned
// nil was fetched and acknowledged exactly once, and that nothing was
// fetched that no one tried to push.
func TestConsistencyAcrossLeaderKills(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.leader()
	ctx, cancel := context.WithCancel(context.Background())
	s := &soak{t: t, c: c, l: newLedger(), ctx: ctx, produce: make(chan struct{})}
	defer func() { cancel(); s.wg.Wait() }()
	for i := range c.nodes {
		s.start(i)
	}
	s.waitPushed(100)

	for kill := range 2 {
		lead := c.leader()
		t.Logf("kill %d: leader n%d", kill+1, lead)
		c.stop(lead)
		c.leader()
		s.waitPushed(100)
		c.start(lead)
		s.start(lead)
		c.leader()
	}
	s.waitPushed(50)
	close(s.produce)

	deadline := time.Now().Add(30 * time.Second)
	for {
		p, a := s.l.count()
		if p == a && s.settled() {
			break
		}
		if time.Now().After(deadline) {
			s.dump()
			t.Fatalf("not within 30s: every committed push acknowledged (%d of %d)", a, p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	s.wg.Wait()
	s.check()
}

// check compares what was pushed with what was fetched and acknowledged.
func (s *soak) check() {
	l := s.l
	pushed, _ := l.count()
	dupFetch := 0
	for id, n := range l.fetched {
		if !l.attempted[id] {
			s.t.Errorf("fetched %s, which nobody pushed", id)
		}
		if n > 1 {
			dupFetch++
		}
	}
	unknown := 0
	for id := range l.pushed {
		if l.acked[id] == 0 && l.unknown[id] == 0 {
			s.t.Errorf("%s pushed, never acknowledged", id)
		}
		if l.acked[id] == 0 {
			unknown++
		}
	}
	for id, n := range l.acked {
		if !l.attempted[id] || n != 1 {
			s.t.Errorf("%s acknowledged %d times, attempted %v", id, n, l.attempted[id])
		}
	}
	if !s.settled() {
		s.t.Error("the lists still hold envelopes or leases")
	}
	s.t.Logf("%d pushes committed, %d attempted, %d fetched (%d more than once), "+
		"%d acknowledged by a node killed during the Ack", pushed, len(l.attempted),
		len(l.fetched), dupFetch, unknown)
}

// settled reports whether the leader's lists are empty with no lease, so
// that every Ack whose answer was lost with its node was applied.
func (s *soak) settled() bool {
	lead := s.c.agreedLeader()
	if lead < 0 {
		return false
	}
	var n int
	s.c.nodes[lead].fsm.read(func(st *state) { n = len(st.Leases) + st.Lists[queue.Jobs].Len() })
	return n == 0
}

// dump logs what is missing and where the leader has it.
func (s *soak) dump() {
	s.l.mu.Lock()
	var missing []string
	for id := range s.l.pushed {
		if s.l.acked[id] == 0 {
			missing = append(missing, fmt.Sprintf("%s(fetched %d)", id, s.l.fetched[id]))
		}
	}
	s.l.mu.Unlock()
	s.t.Logf("not acknowledged: %v", missing)
	lead := s.c.leader()
	s.c.nodes[lead].fsm.read(func(st *state) {
		s.t.Logf("leader n%d: jobs %d, leases %d, nodes %d", lead,
			st.Lists[queue.Jobs].Len(), len(st.Leases), len(st.Nodes))
		for id, l := range st.Leases {
			s.t.Logf("lease %d node %s since %v alive %v", id, l.Node,
				time.Unix(0, l.Since), st.alive(l.Node, time.Now().UnixNano()))
		}
	})
}
