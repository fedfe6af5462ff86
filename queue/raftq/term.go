package raftq

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// StartTerm makes this leader's term the current one and returns its
// fence. It first waits until every earlier entry is applied here
// (a barrier), so the new master acts on the whole history, then appends
// the term's first entry: its log index is the fence, larger than any
// earlier term's, and fenced writes of earlier terms ordered after it
// are refused. It returns ErrNotLeader on a follower or when leadership
// is lost meanwhile.
func (n *Node) StartTerm(ctx context.Context) (queue.Fence, error) {
	if !n.IsLeader() {
		return 0, fmt.Errorf("raftq: start term: %w", ErrNotLeader)
	}
	if err := n.wait(n.raft.Barrier(enqueueTimeout)); err != nil {
		return 0, fmt.Errorf("raftq: start term: barrier: %w", localErr(err))
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("raftq: start term: %w", err)
	}
	res := n.apply(&op{Op: opTerm})
	if err := res.err(); err != nil {
		return 0, fmt.Errorf("raftq: start term: %w", err)
	}
	return queue.Fence(res.Fence), nil
}

// VerifyLeader confirms with a quorum that this node still leads. It
// returns an error wrapping ErrNotLeader when it does not.
func (n *Node) VerifyLeader() error {
	if n.closed.Load() {
		return fmt.Errorf("raftq: verify leader: %w", ErrClosed)
	}
	if err := n.wait(n.raft.VerifyLeader()); err != nil {
		return fmt.Errorf("raftq: verify leader: %w", localErr(err))
	}
	return nil
}

// TransferLeadership hands the leadership to the most up-to-date other
// voter and returns once it did or failed. It fails on a follower and in
// a cluster without another voter.
func (n *Node) TransferLeadership() error {
	if n.closed.Load() {
		return fmt.Errorf("raftq: transfer leadership: %w", ErrClosed)
	}
	if err := n.wait(n.raft.LeadershipTransfer()); err != nil {
		return fmt.Errorf("raftq: transfer leadership: %w", err)
	}
	return nil
}

// RaftTerm returns raft's current term number (not the fence).
func (n *Node) RaftTerm() uint64 { return n.raft.CurrentTerm() }

// LeaseTimeout returns raft.leader_lease_timeout: after the last
// confirmation from a quorum, the time before which no other node can
// have been elected.
func (n *Node) LeaseTimeout() time.Duration { return n.cfg.LeaderLeaseTimeout }
