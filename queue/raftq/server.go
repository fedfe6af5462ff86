package raftq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// Retry pacing of calls while the cluster has no reachable leader.
const (
	retryMin = 10 * time.Millisecond
	retryMax = 250 * time.Millisecond
)

// serveConn answers forwarded requests on conn until it closes.
func (n *Node) serveConn(ctx context.Context, conn net.Conn) {
	for {
		var c op
		if err := readFrame(conn, &c); err != nil {
			return
		}
		if err := writeFrame(conn, n.handle(ctx, &c)); err != nil {
			return
		}
	}
}

// call carries out c on the leader, here when this node leads and
// forwarded otherwise, and retries across leader changes until ctx ends.
// Requests that change state carry a client and sequence number, so a
// retry of one that was applied gets the first result again.
func (n *Node) call(ctx context.Context, c *op) (response, error) {
	backoff := retryMin
	var last error
	for {
		if n.closed.Load() {
			return response{}, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return response{}, withLast(err, last)
		}
		change := n.change.wait()
		res, err := n.route(ctx, c)
		switch {
		case err == nil && res.Code != codeNotLeader:
			return res, nil
		case err == nil:
			last = ErrNotLeader
		case !retryable(err):
			return response{}, err
		default:
			last = err
		}
		c.Retry = true
		select {
		case <-ctx.Done():
		case <-change:
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, retryMax)
	}
}

// withLast adds the last failure to a context error.
func withLast(err, last error) error {
	if last == nil {
		return err
	}
	return fmt.Errorf("%w (last failure: %v)", err, last)
}

// route handles c here on the leader or sends it to the leader once.
func (n *Node) route(ctx context.Context, c *op) (response, error) {
	if !c.deadline.IsZero() {
		c.Wait = max(time.Until(c.deadline), 0)
	}
	if n.IsLeader() {
		return n.handle(ctx, c), nil
	}
	_, addr := n.Leader()
	if addr == "" || addr == n.self.Addr {
		return response{Code: codeNotLeader}, nil
	}
	res, err := n.fwd.call(ctx, addr, c)
	if err != nil && ctx.Err() == nil {
		n.fwd.drop(addr)
	}
	return res, err
}

// handle answers one request on this node.
func (n *Node) handle(ctx context.Context, c *op) response {
	switch c.Op {
	case opMembers:
		return n.membersResponse()
	case opTerm:
		return response{Code: codeBadRequest, Msg: "a term starts on the leader only"}
	case opPop:
		return n.longPoll(ctx, c)
	}
	if !n.IsLeader() {
		return n.notLeader()
	}
	if _, ok := handlers[c.Op]; ok {
		return n.apply(c)
	}
	return n.answer(c)
}

// answer handles the requests that are not log entries, on the leader.
func (n *Node) answer(c *op) response {
	if err := n.readBarrier(); err != nil {
		return n.raftFailure(err)
	}
	var res response
	switch c.Op {
	case opPing:
	case opDepths:
		n.fsm.read(func(s *state) { res.Depths = s.depths() })
	case opDead:
		n.fsm.read(func(s *state) { res.Dead = s.deadLetters(c.Limit) })
	case opNodes:
		now := time.Now().UnixNano()
		n.fsm.read(func(s *state) { res.Nodes = s.liveNodes(now) })
	case opKVGet, opKVKeys:
		return n.kvRead(c)
	case opAddVoter:
		return n.changeMembers(n.raft.AddVoter(raft.ServerID(c.ID),
			raft.ServerAddress(c.Addr), 0, enqueueTimeout))
	case opRemove:
		return n.changeMembers(n.raft.RemoveServer(raft.ServerID(c.ID), 0, enqueueTimeout))
	default:
		return response{Code: codeBadRequest, Msg: "unknown op " + c.Op}
	}
	return res
}

// readBarrier makes sure, once per raft term, that this leader's state
// machine has applied every entry committed before the term began. A new
// leader applies its predecessors' entries only after it committed one of
// its own, and a read answered before that could miss writes that were
// already acknowledged.
func (n *Node) readBarrier() error {
	term := n.raft.CurrentTerm()
	if n.readTerm.Load() == term {
		return nil
	}
	if err := n.wait(n.raft.Barrier(enqueueTimeout)); err != nil {
		return err
	}
	n.readTerm.Store(term)
	return nil
}

// apply appends c to the raft log with this leader's clock and returns
// the state machine's result once it is applied here.
func (n *Node) apply(c *op) response {
	stamp(c, time.Now())
	b, err := json.Marshal(c)
	if err != nil {
		return response{Code: codeBadRequest, Msg: err.Error()}
	}
	f := n.raft.Apply(b, enqueueTimeout)
	if err := n.wait(f); err != nil {
		return n.raftFailure(err)
	}
	res, _ := f.Response().(response)
	return res
}

// raftFailure answers a failed raft call: not_leader for failures that
// another try on the next leader can fix.
func (n *Node) raftFailure(err error) response {
	if leadershipLoss(err) {
		return n.notLeader()
	}
	return response{Code: codeError, Msg: err.Error()}
}

// leadershipLoss reports whether a raft call failed for want of
// leadership, so that it may succeed on the next leader.
func leadershipLoss(err error) bool {
	for _, e := range []error{raft.ErrNotLeader, raft.ErrLeadershipLost,
		raft.ErrLeadershipTransferInProgress, raft.ErrRaftShutdown,
		raft.ErrEnqueueTimeout, raft.ErrAbortedByRestore} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// localErr turns a failed raft call on this node into an error that
// wraps ErrNotLeader when leadership was the reason.
func localErr(err error) error {
	if leadershipLoss(err) {
		return fmt.Errorf("%w: %v", ErrNotLeader, err)
	}
	return err
}

// notLeader answers a request this node cannot serve, with the address
// of the leader if it knows one.
func (n *Node) notLeader() response {
	_, addr := n.Leader()
	return response{Code: codeNotLeader, Leader: addr}
}

// longPoll pops from c.List, waiting up to c.Wait on the leader for an
// envelope to arrive. It only appends a pop to the log when the list has
// something, so an idle wait costs no raft traffic; except for a retry,
// whose first attempt may have leased an envelope that only the log can
// tell about (this leader may not have applied it yet).
func (n *Node) longPoll(ctx context.Context, c *op) response {
	timer := time.NewTimer(max(c.Wait, 0))
	defer timer.Stop()
	for {
		// Take the signals before looking, so no change is missed.
		grew, change := n.fsm.grewSignal(c.List), n.change.wait()
		if !n.IsLeader() {
			return n.notLeader()
		}
		if c.Retry || n.fsm.length(c.List) != 0 {
			res := n.apply(c)
			if res.Code != codeEmpty {
				return res
			}
			c.Retry = false
		}
		select {
		case <-grew:
		case <-change:
		case <-timer.C:
			return response{Code: codeEmpty}
		case <-ctx.Done():
			// The caller gave up, or this node is closing: let a forwarded
			// pop go on at the next leader within its wait.
			return n.notLeader()
		case <-n.done:
			return n.notLeader()
		}
	}
}
