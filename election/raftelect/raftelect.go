// Package raftelect is the election of raft mode: the raft leader of a
// raftq.Node is the master.
//
// What it guarantees, beyond the promises of package election:
//
//   - A node becomes master only after its raft leadership has applied
//     the whole log (a barrier) and committed a term-start entry. That
//     entry's log index is the term's fence (State.Term), larger than any
//     earlier term's; the queue refuses fenced writes of older terms.
//   - State.Until is the start of the last round that a quorum confirmed,
//     plus raft.leader_lease_timeout. A follower campaigns only after
//     raft.heartbeat_timeout without word from the leader, which is at
//     least the lease timeout, so a master cut off from the others stops
//     acting (State.Valid turns false) before another can be elected. The
//     lease is confirmed every quarter of the lease timeout.
//   - Changed never blocks the elector or raft: leadership reaches the
//     elector through a non-blocking raft observer, and Changed holds at
//     most one pending value.
//
// What it does not guarantee: that a master exists while raft has no
// leader (a majority down, or an election running), and that clocks that
// run at very different rates keep the lease argument sound.
package raftelect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/raftq"
)

// Node is what the elector needs of a raft member; *raftq.Node is one.
type Node interface {
	ID() string
	IsLeader() bool
	Leader() (id, addr string)
	Changed() <-chan struct{}
	Fence() queue.Fence
	RaftTerm() uint64
	StartTerm(ctx context.Context) (queue.Fence, error)
	VerifyLeader() error
	TransferLeadership() error
	LeaseTimeout() time.Duration
}

var _ Node = (*raftq.Node)(nil)

// retryEvery paces retries of a failed term start.
const retryEvery = 50 * time.Millisecond

// Elector is an election.Elector on a raft node. It is safe for
// concurrent use; Run must be called once.
type Elector struct {
	n       Node
	log     *slog.Logger
	lease   time.Duration
	hold    time.Duration
	changed chan struct{}
	poke    chan struct{}

	mu        sync.Mutex
	st        election.State
	raftTerm  uint64
	holdUntil time.Time
}

var _ election.Elector = (*Elector)(nil)

// New returns the elector of node n. hold is how long StepDown keeps
// this node from being master again when the leadership could not be
// handed over (a one-node cluster); zero means twice the lease timeout.
// A nil log means slog.Default().
func New(n Node, hold time.Duration, log *slog.Logger) *Elector {
	if log == nil {
		log = slog.Default()
	}
	if hold <= 0 {
		hold = 2 * n.LeaseTimeout()
	}
	return &Elector{n: n, log: log.With("node", n.ID()), lease: n.LeaseTimeout(),
		hold: hold, changed: make(chan struct{}, 1), poke: make(chan struct{}, 1)}
}

// State returns the current state.
func (e *Elector) State() election.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

// Changed receives a value after every change of Leader, Term or Master.
// Until is extended silently: check State.Valid before each act.
func (e *Elector) Changed() <-chan struct{} { return e.changed }

// Run follows raft's leadership until ctx ends. On return, if this node
// leads, it hands the leadership to another voter, so the next master is
// elected at once.
func (e *Elector) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	vctx, stop := context.WithCancel(ctx)
	wg.Go(func() { e.confirmLoop(vctx) })
	defer wg.Wait()
	defer stop()
	for {
		change := e.n.Changed()
		retry := e.sync(ctx)
		select {
		case <-ctx.Done():
			e.resign()
			return nil
		case <-change:
		case <-e.poke:
		case <-retry:
		}
	}
}

// sync brings the state in line with raft's and returns a channel that
// fires when sync must run again without a change (a retry, a hold).
func (e *Elector) sync(ctx context.Context) <-chan time.Time {
	leading, master := e.n.IsLeader(), e.State().Leader
	stale := master && (e.n.RaftTerm() != e.raftTermNow() ||
		uint64(e.n.Fence()) != e.State().Term)
	switch {
	case master && (!leading || stale):
		e.lose("raft leadership lost")
		return e.sync(ctx)
	case leading && !master:
		if wait := e.held(); wait > 0 {
			e.follow()
			return time.After(wait)
		}
		if err := e.begin(ctx); err != nil {
			e.log.Debug("term start failed", "err", err)
			e.follow()
			return time.After(retryEvery)
		}
		return nil
	}
	e.follow()
	return nil
}

// begin starts a term on this leader and becomes master.
func (e *Elector) begin(ctx context.Context) error {
	// The term entry's commit shows a quorum heard from us after start.
	start := time.Now()
	raftTerm := e.n.RaftTerm()
	fence, err := e.n.StartTerm(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.raftTerm = raftTerm
	e.st = election.State{Leader: true, Term: uint64(fence), Master: e.n.ID(),
		Until: start.Add(e.lease), Since: time.Now()}
	e.mu.Unlock()
	e.notify()
	e.log.Info("master term started", "term", uint64(fence), "reason", "won")
	return nil
}

// lose ends this node's term as master.
func (e *Elector) lose(why string) {
	e.mu.Lock()
	term := e.st.Term
	e.st = election.State{Term: uint64(e.n.Fence()), Since: time.Now()}
	e.mu.Unlock()
	e.notify()
	e.log.Info("master term ended", "term", term, "reason", why)
}

// follow refreshes the state of a node that is not master: the leader's
// id and the newest fence. It leaves a master's state alone.
func (e *Elector) follow() {
	master, _ := e.n.Leader()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.Leader {
		return
	}
	if master == e.n.ID() {
		// This node leads but holds back or is still starting its term.
		master = ""
	}
	changed := e.st.Master != master || e.st.Term != uint64(e.n.Fence())
	e.st.Master, e.st.Term = master, uint64(e.n.Fence())
	if changed {
		e.notify()
	}
}

// confirmLoop extends Until while master, each time a quorum confirms
// the leadership, every quarter of the lease timeout.
func (e *Elector) confirmLoop(ctx context.Context) {
	tick := time.NewTicker(max(e.lease/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st := e.State()
		if !st.Leader {
			continue
		}
		start := time.Now()
		if err := e.n.VerifyLeader(); err != nil {
			e.wake()
			continue
		}
		e.mu.Lock()
		if e.st.Leader && e.st.Term == st.Term && start.Add(e.lease).After(e.st.Until) {
			e.st.Until = start.Add(e.lease)
		}
		e.mu.Unlock()
	}
}

// StepDown gives up the master role at once and hands raft's leadership
// to another voter. Without another voter (a one-node cluster) it
// returns the transfer's error, and this node becomes master again with
// a new term after the hold. It returns election.ErrNotLeader on a node
// that is not master. It returns when raft's transfer ends, which raft
// bounds by its election timeout; ctx is not consulted.
func (e *Elector) StepDown(_ context.Context) error {
	e.mu.Lock()
	if !e.st.Leader {
		e.mu.Unlock()
		return election.ErrNotLeader
	}
	e.holdUntil = time.Now().Add(e.hold)
	e.mu.Unlock()
	e.lose("stepped down")
	err := e.n.TransferLeadership()
	e.wake()
	if err != nil {
		return fmt.Errorf("raftelect: step down: %w", err)
	}
	return nil
}

// resign ends the role when Run returns and hands over the leadership.
func (e *Elector) resign() {
	if e.State().Leader {
		e.lose("elector stopped")
	}
	if !e.n.IsLeader() {
		return
	}
	if err := e.n.TransferLeadership(); err != nil && !errors.Is(err, context.Canceled) {
		// A lone server has nobody to hand over to; that is no warning.
		e.log.Debug("leadership not handed over on stop", "err", err)
	}
}

// held returns how long a step-down still holds this node back.
func (e *Elector) held() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Until(e.holdUntil)
}

// raftTermNow returns the raft term the current master term began in.
func (e *Elector) raftTermNow() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.raftTerm
}

// notify leaves one pending value on Changed.
func (e *Elector) notify() {
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// wake makes Run look at the state again.
func (e *Elector) wake() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}
