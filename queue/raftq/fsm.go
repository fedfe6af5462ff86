package raftq

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/herald-chatops/herald/queue"
)

// fsm is the raft state machine: the state, a lock for readers, and the
// signals that wake long-polling Pops and the elector.
type fsm struct {
	mu   sync.RWMutex
	st   *state
	grew map[string]*signal
	// onFence, set before raft starts, is called after the fence moved.
	onFence func()
}

var _ raft.FSM = (*fsm)(nil)

// newFSM returns the state machine of an empty cluster.
func newFSM() *fsm {
	f := &fsm{st: newState(), grew: map[string]*signal{}, onFence: func() {}}
	for _, l := range queue.Lists {
		f.grew[l] = newSignal()
	}
	return f
}

// Apply applies one committed entry. Every replica runs it with the same
// entries in the same order and reads no clock, so they all agree.
func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	var c op
	if err := json.Unmarshal(l.Data, &c); err != nil {
		return response{Code: codeBadRequest, Msg: "undecodable entry: " + err.Error()}
	}
	if c.V != cmdVersion {
		return response{Code: codeBadRequest, Msg: fmt.Sprintf("entry version %d", c.V)}
	}
	a := &applied{c: &c, index: l.Index, now: c.Time}
	f.mu.Lock()
	res := f.st.run(a)
	f.mu.Unlock()
	f.notify(a)
	return res
}

// notify wakes the waiters on what a changed.
func (f *fsm) notify(a *applied) {
	for _, l := range a.grew {
		f.grew[l].fire()
	}
	if a.fence {
		f.onFence()
	}
}

// read runs fn with the state locked for reading.
func (f *fsm) read(fn func(s *state)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.st)
}

// length returns the length of list, or -1 for an unknown list.
func (f *fsm) length(list string) int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if l := f.st.list(list); l != nil {
		return l.Len()
	}
	return -1
}

// currentFence returns the fence of the current term.
func (f *fsm) currentFence() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.Fence
}

// Snapshot encodes the state at once, so that Persist can write it while
// later entries are applied.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := json.Marshal(f.st)
	if err != nil {
		return nil, fmt.Errorf("raftq: snapshot: %w", err)
	}
	return snapshot(b), nil
}

// Restore replaces the state with a snapshot and wakes every waiter.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	st := &state{}
	if err := json.NewDecoder(rc).Decode(st); err != nil {
		return fmt.Errorf("raftq: restore: %w", err)
	}
	if st.V != stateVersion {
		return fmt.Errorf("raftq: restore: snapshot version %d, want %d", st.V, stateVersion)
	}
	st.fill()
	f.mu.Lock()
	f.st = st
	f.mu.Unlock()
	for _, s := range f.grew {
		s.fire()
	}
	f.onFence()
	return nil
}

// snapshot is the encoded state.
type snapshot []byte

// Persist writes the snapshot to sink.
func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raftq: persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release does nothing: the bytes are garbage collected.
func (snapshot) Release() {}

// stamp sets the fields of an entry the leader fills in.
func stamp(c *op, now time.Time) {
	c.V = cmdVersion
	c.Time = now.UnixNano()
}

// grewSignal returns a channel closed when list next gets an envelope;
// nil, which never fires, for an unknown list.
func (f *fsm) grewSignal(list string) <-chan struct{} {
	if s := f.grew[list]; s != nil {
		return s.wait()
	}
	return nil
}
