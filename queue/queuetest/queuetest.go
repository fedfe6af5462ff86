// Package queuetest is the conformance suite of queue.Queue. Every backend
// runs it from its own tests, so that they all keep the same promises:
// FIFO lists, leases that end only by Ack, Release or Retry, bounded
// retries into the dead-letter list, claims, fencing, heartbeats, and
// Reap returning exactly once what a silent node held.
//
// The suite talks to backends only through queue.Queue and the two hooks
// it is given. It does not test what a backend cannot be made to do
// through the interface (malformed bytes on a list, a server restart);
// backends test those themselves.
package queuetest

import (
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// Opener returns a ready queue of node nodeID. Queues opened with the
// same t share one store, as the nodes of one cluster do; queues opened
// with different t must not see each other's data. Every queue must be
// built with Config(). The opener closes what it opened when t ends, and
// must allow the suite to have closed it already.
type Opener func(t *testing.T, nodeID string) queue.Queue

// TermSetter makes term the current term of the store behind the queues
// opened with t, as a newly elected master's election would.
type TermSetter func(t *testing.T, term uint64)

// Config returns the queue settings that queues under test must use.
func Config() queue.Config {
	c := queue.DefaultConfig()
	c.MaxAttempts = 3
	return c
}

// Run runs every conformance test as a subtest of t.
func Run(t *testing.T, open Opener, setTerm TermSetter) {
	s := suite{open: open, setTerm: setTerm}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"FIFO", s.fifo},
		{"LanesAreSeparate", s.lanes},
		{"Ack", s.ack},
		{"ReleaseReturnsToFront", s.release},
		{"RetryThenDeadLetter", s.retry},
		{"PermanentFailureDeadAtOnce", s.permanent},
		{"Requeue", s.requeue},
		{"Depths", s.depths},
		{"Claim", s.claim},
		{"Unclaim", s.unclaim},
		{"Fenced", s.fenced},
		{"PopEmptyAfterWait", s.popEmpty},
		{"PopHonoursContextDeadline", s.popDeadline},
		{"ConcurrentPopDisjoint", s.concurrent},
		{"HeartbeatAndNodes", s.nodes},
		{"ReapLapsedNodeOnce", s.reap},
		{"CancelledContext", s.cancelled},
		{"UnknownList", s.unknownList},
		{"Closed", s.closed},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

// suite holds the hooks of one Run.
type suite struct {
	open    Opener
	setTerm TermSetter
}

// shortTTL is the heartbeat of a node that the suite lets lapse.
const shortTTL = 500 * time.Millisecond

// longTTL is the heartbeat of a node that must stay alive during a test.
const longTTL = time.Minute
