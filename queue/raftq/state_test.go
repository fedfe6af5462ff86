package raftq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/herald-chatops/herald/queue"
)

// replica applies ops to an fsm as raft would, at a fake leader clock.
type replica struct {
	t     *testing.T
	f     *fsm
	index uint64
	now   time.Time
}

func newReplica(t *testing.T) *replica {
	return &replica{t: t, f: newFSM(), now: time.Unix(1_000_000, 0)}
}

// apply encodes c as the leader would and applies it.
func (r *replica) apply(c op) response {
	r.t.Helper()
	stamp(&c, r.now)
	b, err := json.Marshal(c)
	if err != nil {
		r.t.Fatal(err)
	}
	r.index++
	res, _ := r.f.Apply(&raft.Log{Index: r.index, Type: raft.LogCommand, Data: b}).(response)
	return res
}

// push pushes envelope id to list.
func (r *replica) push(list, id string) {
	r.t.Helper()
	data, _ := encode(env(id))
	if res := r.apply(op{Op: opPush, List: list, Data: data}); res.Code != "" {
		r.t.Fatalf("push %s: %+v", id, res)
	}
}

// depth returns the length of list.
func (r *replica) depth(list string) int { return r.f.length(list) }

func TestRetriedRequestAppliesOnce(t *testing.T) {
	r := newReplica(t)
	data, _ := encode(env("x"))
	push := op{Op: opPush, List: queue.Jobs, Data: data, Client: "c", Seq: 1, Floor: 1}
	r.apply(push)
	r.apply(push)
	if d := r.depth(queue.Jobs); d != 1 {
		t.Fatalf("retried push: depth %d, want 1", d)
	}
	r.push(queue.Jobs, "y")
	pop := op{Op: opPop, List: queue.Jobs, Node: "a", Client: "c", Seq: 2, Floor: 1}
	first, again := r.apply(pop), r.apply(pop)
	if first.Lease == 0 || again.Lease != first.Lease || !bytes.Equal(again.Data, first.Data) {
		t.Fatalf("retried pop: %+v then %+v, want the same lease", first, again)
	}
	if d := r.depth(queue.Jobs); d != 1 {
		t.Fatalf("after a retried pop: depth %d, want 1", d)
	}
	claim := op{Op: opClaim, Key: "k", TTL: time.Minute, Client: "c", Seq: 3, Floor: 1}
	if a, b := r.apply(claim), r.apply(claim); !a.OK || !b.OK {
		t.Fatalf("retried claim: %v then %v, want true both times", a.OK, b.OK)
	}
	if res := r.apply(op{Op: opClaim, Key: "k", TTL: time.Minute, Client: "c", Seq: 4}); res.OK {
		t.Fatal("a new claim of a held key succeeded")
	}
}

func TestFloorForgetsResults(t *testing.T) {
	r := newReplica(t)
	data, _ := encode(env("x"))
	r.apply(op{Op: opPush, List: queue.Jobs, Data: data, Client: "c", Seq: 1, Floor: 1})
	r.apply(op{Op: opPing, Client: "c", Seq: 0, Floor: 2})
	r.apply(op{Op: opReap, Client: "c", Seq: 2, Floor: 2})
	if n := len(r.f.st.Sessions["c"].Results); n != 0 {
		t.Fatalf("results kept below the floor: %d", n)
	}
	res := r.apply(op{Op: opPush, List: queue.Jobs, Data: data, Client: "c", Seq: 1, Floor: 2})
	if res.Code != codeBadRequest {
		t.Fatalf("request below the floor: %+v, want refused", res)
	}
}

// TestAbandonBothOrders: an abandoned pop leaves its envelope on the
// list whether the abandon comes after the pop or before it.
func TestAbandonBothOrders(t *testing.T) {
	for _, abandonFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("abandon first %v", abandonFirst), func(t *testing.T) {
			r := newReplica(t)
			r.push(queue.Jobs, "x")
			pop := op{Op: opPop, List: queue.Jobs, Node: "a", Client: "c", Seq: 5, Floor: 5}
			abandon := op{Op: opAbandon, Client: "c", Floor: 5, Seqs: []uint64{5}}
			if abandonFirst {
				r.apply(abandon)
				if res := r.apply(pop); res.Lease != 0 {
					t.Fatalf("pop after its abandon leased %d", res.Lease)
				}
			} else {
				if res := r.apply(pop); res.Lease == 0 {
					t.Fatalf("pop: %+v", res)
				}
				r.apply(abandon)
			}
			if d, l := r.depth(queue.Jobs), len(r.f.st.Leases); d != 1 || l != 0 {
				t.Fatalf("depth %d, leases %d; want the envelope back on the list", d, l)
			}
		})
	}
}

func TestExpiriesUseEntryTime(t *testing.T) {
	r := newReplica(t)
	claim := op{Op: opClaim, Key: "k", TTL: time.Second}
	if !r.apply(claim).OK {
		t.Fatal("first claim failed")
	}
	r.now = r.now.Add(999 * time.Millisecond)
	if r.apply(claim).OK {
		t.Fatal("claim before expiry succeeded")
	}
	r.now = r.now.Add(time.Millisecond)
	if !r.apply(claim).OK {
		t.Fatal("claim at expiry failed")
	}

	// A node's leases are reaped once its heartbeat lapsed, oldest in front.
	r.push(queue.Jobs, "e1")
	r.push(queue.Jobs, "e2")
	r.push(queue.Jobs, "e3")
	r.apply(op{Op: opHeartbeat, Info: &queue.NodeInfo{ID: "a"}, TTL: time.Second})
	r.apply(op{Op: opPop, List: queue.Jobs, Node: "a"})
	r.apply(op{Op: opPop, List: queue.Jobs, Node: "a"})
	if n := r.apply(op{Op: opReap}).N; n != 0 {
		t.Fatalf("reap of a live node moved %d", n)
	}
	r.now = r.now.Add(time.Second)
	if n := r.apply(op{Op: opReap}).N; n != 2 {
		t.Fatalf("reap moved %d, want 2", n)
	}
	var ids []string
	for range 3 {
		res := r.apply(op{Op: opPop, List: queue.Jobs, Node: "b"})
		var e queue.Envelope
		_ = json.Unmarshal(res.Data, &e)
		ids = append(ids, e.ID)
	}
	if fmt.Sprint(ids) != "[e1 e2 e3]" {
		t.Fatalf("order after reap = %v", ids)
	}
}

// TestSnapshotRoundTrip fills every part of the state, snapshots it,
// restores it elsewhere, and checks that both are the same; and that
// two replicas fed the same entries end in the same state.
func TestSnapshotRoundTrip(t *testing.T) {
	a, b := newReplica(t), newReplica(t)
	for _, r := range []*replica{a, b} {
		fill(r)
	}
	sa, sb := snapshotBytes(t, a.f), snapshotBytes(t, b.f)
	if !bytes.Equal(sa, sb) {
		t.Fatalf("replicas differ:\n%s\n%s", sa, sb)
	}
	restored := newFSM()
	if err := restored.Restore(io.NopCloser(bytes.NewReader(sa))); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if sr := snapshotBytes(t, restored); !bytes.Equal(sa, sr) {
		t.Fatalf("restored state differs:\n%s\n%s", sa, sr)
	}
	if err := restored.Restore(io.NopCloser(bytes.NewReader([]byte(`{"v":99}`)))); err == nil {
		t.Fatal("snapshot of an unknown version restored")
	}
}

// fill puts something in every part of the state.
func fill(r *replica) {
	for i := range 5 {
		r.push(queue.Jobs, fmt.Sprintf("j%d", i))
		r.push(queue.Inbound, fmt.Sprintf("i%d", i))
	}
	r.push(queue.Outbound, "o1")
	r.apply(op{Op: opHeartbeat, Info: &queue.NodeInfo{ID: "a", Addr: "x:1"}, TTL: time.Minute})
	res := r.apply(op{Op: opPop, List: queue.Jobs, Node: "a", Client: "c", Seq: 1, Floor: 1})
	r.apply(op{Op: opRetry, Lease: res.Lease, Cause: "boom", Max: 1})
	r.apply(op{Op: opPop, List: queue.Jobs, Node: "a", Client: "c", Seq: 2, Floor: 1})
	r.apply(op{Op: opClaim, Key: "k", TTL: time.Minute, Node: "a"})
	r.apply(op{Op: opTerm})
	r.apply(op{Op: opRelease, Lease: 99})
	fillKV(r)
}

// snapshotBytes snapshots f and returns what Persist writes.
func snapshotBytes(t *testing.T, f *fsm) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatalf("persist: %v", err)
	}
	snap.Release()
	return sink.Bytes()
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct{ bytes.Buffer }

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { return nil }
func (s *memSink) Close() error  { return nil }

func TestDeque(t *testing.T) {
	var d deque
	for i := range 3000 {
		d.PushBack(json.RawMessage(fmt.Sprint(i)))
	}
	d.PushFront(json.RawMessage("-1"))
	for want := -1; want < 2000; want++ {
		got, ok := d.PopFront()
		if !ok || string(got) != fmt.Sprint(want) {
			t.Fatalf("pop = %s, %v; want %d", got, ok, want)
		}
	}
	d.PushFront(json.RawMessage(`"x"`))
	b, _ := json.Marshal(&d)
	var back deque
	if err := json.Unmarshal(b, &back); err != nil || back.Len() != 1001 {
		t.Fatalf("round trip: len %d, %v", back.Len(), err)
	}
	if first, _ := back.PopFront(); string(first) != `"x"` {
		t.Fatalf("first after round trip = %s", first)
	}
}
