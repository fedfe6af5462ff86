package raftelect

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/raftq/rafttest"
)

// run starts an elector on node i of c, stopped when t ends or by the
// returned function.
func run(t *testing.T, c *rafttest.Cluster, i int) (*Elector, func()) {
	t.Helper()
	e := New(c.Nodes[i], 0, c.Log)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := e.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return e, stop
}

// master waits until exactly one of es is master, and returns its index.
func master(t *testing.T, es []*Elector) int {
	t.Helper()
	found := -1
	rafttest.Eventually(t, 10*time.Second, "exactly one master", func() bool {
		found = -1
		for i, e := range es {
			if e != nil && e.State().Valid(time.Now()) {
				if found >= 0 {
					found = -1
					return false
				}
				found = i
			}
		}
		return found >= 0
	})
	return found
}

func TestSingleNodeIsMaster(t *testing.T) {
	c := rafttest.Start(t, 1, nil)
	e, _ := run(t, c, 0)
	master(t, []*Elector{e})
	st := e.State()
	if st.Term == 0 || st.Master != "n0" || st.Since.IsZero() {
		t.Fatalf("state = %+v, want a term, master n0", st)
	}
	if got := c.Nodes[0].Fence(); uint64(got) != st.Term {
		t.Fatalf("node fence = %d, elector term = %d", got, st.Term)
	}
	rafttest.Eventually(t, time.Second, "lease extended", func() bool {
		return e.State().Until.After(st.Until)
	})
}

func TestStepDownAloneStartsNewTerm(t *testing.T) {
	c := rafttest.Start(t, 1, nil)
	e, _ := run(t, c, 0)
	master(t, []*Elector{e})
	old := e.State().Term
	if err := e.StepDown(rafttest.Ctx(t)); err == nil {
		t.Fatal("step down without another voter: no error")
	}
	if st := e.State(); st.Leader {
		t.Fatalf("still master right after step down: %+v", st)
	}
	master(t, []*Elector{e})
	if st := e.State(); st.Term <= old {
		t.Fatalf("term after step down = %d, want above %d", st.Term, old)
	}
	if err := (&Elector{}).StepDown(rafttest.Ctx(t)); !errors.Is(err, election.ErrNotLeader) {
		t.Fatalf("step down of a non-master: %v", err)
	}
}

func TestThreeNodesAgree(t *testing.T) {
	c := rafttest.Start(t, 3, nil)
	es := make([]*Elector, 3)
	for i := range es {
		es[i], _ = run(t, c, i)
	}
	m := master(t, es)
	want := es[m].State()
	rafttest.Eventually(t, 5*time.Second, "followers know master and term", func() bool {
		for i, e := range es {
			st := e.State()
			if i != m && (st.Leader || st.Master != want.Master || st.Term != want.Term) {
				return false
			}
		}
		return true
	})
}

// TestLeaderKill kills the master's raft abruptly: a new master takes
// over within the raft timeouts, with a larger fence, and a write with
// the old fence is refused.
func TestLeaderKill(t *testing.T) {
	c := rafttest.Start(t, 3, nil)
	es := make([]*Elector, 3)
	stops := make([]func(), 3)
	for i := range es {
		es[i], stops[i] = run(t, c, i)
	}
	old := master(t, es)
	oldTerm := es[old].State().Term

	killed := time.Now()
	c.StopNode(old)
	rafttest.Eventually(t, time.Second, "killed node stops being master", func() bool {
		return !es[old].State().Leader
	})
	stops[old]()
	es[old] = nil
	m := master(t, es)
	gap := time.Since(killed)
	t.Logf("new master %d after %v", m, gap)
	if st := es[m].State(); st.Term <= oldTerm {
		t.Fatalf("new term %d not above old %d", st.Term, oldTerm)
	}
	if limit := 10 * c.Cfgs[0].ElectionTimeout; gap > limit {
		t.Errorf("failover took %v, over %v", gap, limit)
	}

	// The old master's fence is refused; the new one's is accepted.
	other := 3 - m - old
	q, err := c.Nodes[other].Queue(queue.DefaultConfig(), "")
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	defer q.Close()
	e := queue.Envelope{ID: "x", Kind: "test", Body: []byte(`{}`)}
	err = q.Push(rafttest.Ctx(t), queue.Outbound, e, queue.Fence(oldTerm))
	if !errors.Is(err, queue.ErrFenced) {
		t.Fatalf("push with the old fence: %v, want ErrFenced", err)
	}
	newFence := queue.Fence(es[m].State().Term)
	if err := q.Push(rafttest.Ctx(t), queue.Outbound, e, newFence); err != nil {
		t.Fatalf("push with the new fence: %v", err)
	}
}

// TestStepDownHandsOver: a graceful step-down moves the master role to
// another node quickly.
func TestStepDownHandsOver(t *testing.T) {
	c := rafttest.Start(t, 3, nil)
	es := make([]*Elector, 3)
	for i := range es {
		es[i], _ = run(t, c, i)
	}
	old := master(t, es)
	start := time.Now()
	if err := es[old].StepDown(rafttest.Ctx(t)); err != nil {
		t.Fatalf("step down: %v", err)
	}
	rafttest.Eventually(t, 5*time.Second, "another master", func() bool {
		for i, e := range es {
			if i != old && e.State().Valid(time.Now()) {
				return true
			}
		}
		return false
	})
	t.Logf("handover gap %v", time.Since(start))
}

// TestIsolatedMasterStopsInTime stops both followers: the master's lease
// runs out within the lease timeout of its last confirmation, before a
// new leader could be elected elsewhere.
func TestIsolatedMasterStopsInTime(t *testing.T) {
	c := rafttest.Start(t, 3, nil)
	es := make([]*Elector, 3)
	for i := range es {
		es[i], _ = run(t, c, i)
	}
	m := master(t, es)
	for i := range es {
		if i != m {
			c.StopNode(i)
		}
	}
	cut := time.Now()
	lease := c.Cfgs[m].LeaderLeaseTimeout
	hb := c.Cfgs[m].HeartbeatTimeout
	rafttest.Eventually(t, 5*time.Second, "master stops acting", func() bool {
		return !es[m].State().Valid(time.Now())
	})
	if stopped := time.Since(cut); stopped > lease+hb/2 {
		t.Errorf("isolated master acted for %v, lease %v", stopped, lease)
	}
	until := es[m].State().Until
	if !until.IsZero() && until.After(cut.Add(hb)) {
		t.Errorf("lease until %v is past the earliest election %v", until, cut.Add(hb))
	}
}
