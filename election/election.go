// Package election decides which node is the master, the one node that
// holds the chat connection.
//
// What it guarantees: at most one node believes it is master at any
// instant, provided clocks drift apart by less than the configured drift
// allowance and a paused process is not resumed into a stale belief. The
// second condition is not something timing can ensure, which is why every
// term has a fencing token: a number that only grows, handed out when the
// term starts. The master's writes are made with that token and refused
// once a newer term exists, so a master that was paused past its lease
// cannot act after another took over (see queue.Fence).
//
// What it does not guarantee: that a master exists at every instant. After
// a master dies without releasing, no node is master until its lease ends.
package election

import (
	"context"
	"errors"
	"time"
)

// ErrNotLeader is returned by StepDown on a node that is not master.
var ErrNotLeader = errors.New("election: not the master")

// State is a node's view of the election.
type State struct {
	// Leader is true while this node holds the master role.
	Leader bool
	// Term is this node's fencing token while Leader, otherwise the
	// newest term this node has seen.
	Term uint64
	// Master is the id of the current master if known, "" while there is
	// none.
	Master string
	// Until is the local time after which this node must not act as
	// master unless the lease was renewed: the lease minus the drift
	// allowance. Zero when not Leader.
	Until time.Time
	// Since is when Leader last changed.
	Since time.Time
}

// Valid reports whether s is a leadership whose lease still holds at now.
// Callers check it right before each act of the master.
func (s State) Valid(now time.Time) bool {
	return s.Leader && now.Before(s.Until)
}

// Elector runs one node's side of the election.
type Elector interface {
	// Run campaigns and, while master, renews the lease until ctx ends.
	// On return the lease has been released if it was held.
	Run(ctx context.Context) error
	// State returns the current state.
	State() State
	// Changed receives a value after every change of State. It holds at
	// most one pending value and never blocks the elector, so a reader
	// always sees the latest state by calling State after receiving.
	Changed() <-chan struct{}
	// StepDown gives up the master role at once, releases the lease so
	// that another node can win it, and keeps this node from winning
	// again for a short while. It returns ErrNotLeader on a non-master.
	StepDown(ctx context.Context) error
}
