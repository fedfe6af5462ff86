package redisq

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redistest"
)

// A process that restarts with the node id of one that crashed gets the
// crashed one's leases back from its own Reap, although its heartbeat
// never lapsed.
func TestReapReturnsLeasesOfEarlierProcess(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig(srv.Addr)
	old := openQueue(t, cfg, "herald", "a")
	for _, id := range []string{"m1", "m2", "m3"} {
		if err := old.Push(ctxFor(t), queue.Inbound, env(id), 0); err != nil {
			t.Fatal(err)
		}
	}
	mustPop(t, old, queue.Inbound, "m1")
	mustPop(t, old, queue.Inbound, "m2")
	_ = old.Close()

	q := openQueue(t, cfg, "herald", "a")
	if err := q.Heartbeat(ctxFor(t), queue.NodeInfo{}, time.Minute); err != nil {
		t.Fatal(err)
	}
	mine := mustPop(t, q, queue.Inbound, "m3")
	if n := mustReap(t, q); n != 0 {
		t.Fatalf("first reap moved %d, want 0: entries are suspects only", n)
	}
	if n := mustReap(t, q); n != 2 {
		t.Fatalf("second reap moved %d, want the 2 entries of the old process", n)
	}
	if err := q.Ack(ctxFor(t), mine); err != nil {
		t.Fatal(err)
	}
	got := popAll(t, q, queue.Inbound)
	if !sameIDs(got, []string{"m1", "m2"}) {
		t.Fatalf("after reap the list gave %v, want m1 and m2", got)
	}
}

// Reaping this node's own lists while its workers pop and hold leases
// never takes a held lease, and does return an entry whose Pop reply was
// lost (simulated by moving an entry behind the Queue's back).
func TestOwnReapUnderLoad(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	const n = 1000
	for i := range n {
		if err := q.Push(ctxFor(t), queue.Jobs, env(fmt.Sprintf("j%04d", i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	var seen sync.Map
	var got, dups, reaped atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { work(t, q, w, &seen, &got, &dups) })
	}
	stop := make(chan struct{})
	var rg sync.WaitGroup
	rg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			reaped.Add(int64(mustReap(t, q)))
		}
	})
	wg.Wait()
	close(stop)
	rg.Wait()
	if got.Load() != n || dups.Load() != 0 || reaped.Load() != 0 {
		t.Fatalf("got %d, %d duplicates, %d reaped; want %d, 0, 0",
			got.Load(), dups.Load(), reaped.Load(), n)
	}
	loseReply(t, q, srv.Addr)
}

// loseReply moves an entry into a's processing list as a BLMOVE whose
// reply was lost would, and checks that Reap returns it.
func loseReply(t *testing.T, q *Queue, addr string) {
	t.Helper()
	if err := q.Push(ctxFor(t), queue.Jobs, env("lost"), 0); err != nil {
		t.Fatal(err)
	}
	raw := rawClient(t, addr)
	err := raw.LMove(ctxFor(t), "herald:list:jobs", "herald:proc:a:jobs", "RIGHT", "LEFT").Err()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for range 3 {
		total += mustReap(t, q)
	}
	if total != 1 {
		t.Fatalf("reaps returned %d, want the 1 entry with a lost reply", total)
	}
	if got := popAll(t, q, queue.Jobs); !slices.Equal(got, []string{"lost"}) {
		t.Fatalf("list gave %v, want [lost]", got)
	}
}

// work pops and acknowledges jobs until the list stays empty, holding
// each lease across a scheduler yield so that reaps see held leases.
func work(t *testing.T, q *Queue, w int, seen *sync.Map, got, dups *atomic.Int64) {
	for range 10000 {
		d, err := q.Pop(ctxFor(t), queue.Jobs, 0)
		if err != nil {
			return
		}
		if _, dup := seen.LoadOrStore(d.Envelope.ID, w); dup {
			dups.Add(1)
		}
		if _, err := q.Depths(ctxFor(t)); err != nil {
			t.Errorf("worker %d: depths: %v", w, err)
		}
		if err := q.Ack(ctxFor(t), d); err != nil {
			t.Errorf("worker %d: ack: %v", w, err)
		}
		got.Add(1)
	}
}

// Many reapers at once return each entry of a dead node exactly once,
// oldest at the front, and forget the node.
func TestConcurrentReapersMoveEachEntryOnce(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig(srv.Addr)
	dead := openQueue(t, cfg, "herald", "dead")
	const n = 2000
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("d%04d", i)
		if err := dead.Push(ctxFor(t), queue.Jobs, env(want[i]), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		mustPop(t, dead, queue.Jobs, want[i])
	}
	// dead never heartbeats, so it counts as lapsed at once.
	reapers := make([]*Queue, 4)
	for i := range reapers {
		reapers[i] = openQueue(t, cfg, "herald", fmt.Sprintf("r%d", i))
	}
	var total atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reapers {
		wg.Go(func() {
			<-start
			m := mustReap(t, r)
			t.Logf("reaper %d moved %d", i, m)
			total.Add(int64(m))
		})
	}
	close(start)
	wg.Wait()
	if total.Load() != n {
		t.Fatalf("reapers moved %d in total, want %d", total.Load(), n)
	}
	if got := popAll(t, reapers[0], queue.Jobs); !slices.Equal(got, want) {
		t.Fatalf("list after reap has %d entries, want %d in order", len(got), n)
	}
	member, err := rawClient(t, srv.Addr).SIsMember(ctxFor(t), "herald:nodes", "dead").Result()
	if err != nil || member {
		t.Fatalf("dead node still in the node set: %v, %v", member, err)
	}
}

// mustReap calls Reap and fails the test on error.
func mustReap(t *testing.T, q *Queue) int {
	t.Helper()
	n, err := q.Reap(ctxFor(t))
	if err != nil {
		t.Errorf("reap: %v", err)
	}
	return n
}

// sameIDs reports whether a and b hold the same ids in any order.
func sameIDs(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
