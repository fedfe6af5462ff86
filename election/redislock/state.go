package redislock

import (
	"sync"
	"time"

	"github.com/herald-chatops/herald/election"
)

// warnEvery is how often one kind of failure is logged at Warn while it
// repeats; the repeats in between go to Debug.
const warnEvery = 30 * time.Second

// State returns this node's current view of the election.
func (e *Elector) State() election.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// Changed receives a value after every change of State, including each
// renewal of the lease. It holds at most one pending value; call State
// after a receive to see the latest.
func (e *Elector) Changed() <-chan struct{} { return e.changed }

// notify signals Changed without ever blocking.
func (e *Elector) notify() {
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// won publishes the start of the term of l.
func (e *Elector) won(l lease) {
	e.mu.Lock()
	e.seen = max(e.seen, l.term)
	e.held = l.value
	e.state = election.State{
		Leader: true, Term: l.term, Master: e.node, Until: l.until, Since: time.Now(),
	}
	e.mu.Unlock()
	e.notify()
	e.log.Info("master term started", "node", e.node, "term", l.term, "reason", "won")
}

// extended publishes a new deadline, unless the term already ended.
func (e *Elector) extended(term uint64, until time.Time) {
	e.mu.Lock()
	current := e.state.Leader && e.state.Term == term
	if current {
		e.state.Until = until
	}
	e.mu.Unlock()
	if current {
		e.notify()
	}
}

// end publishes the end of term for reason, once: a term already ended
// is left alone.
func (e *Elector) end(term uint64, reason string) {
	e.mu.Lock()
	current := e.state.Leader && e.state.Term == term
	if current {
		e.state = election.State{Term: e.seen, Since: time.Now()}
		e.held = ""
	}
	e.mu.Unlock()
	if current {
		e.notify()
		e.log.Info("master term ended", "node", e.node, "term", term, "reason", reason)
	}
}

// observed publishes what a node that is not master read: the lock
// holder (when masterOK) and the counter, which raises the highest term
// seen but never lowers it.
func (e *Elector) observed(master string, masterOK bool, term uint64) {
	e.mu.Lock()
	e.seen = max(e.seen, term)
	changed := false
	if !e.state.Leader {
		old := e.state
		e.state.Term = e.seen
		if masterOK {
			e.state.Master = master
		}
		changed = old != e.state
	}
	e.mu.Unlock()
	if changed {
		e.notify()
	}
}

// highestSeen returns the highest term this node has seen.
func (e *Elector) highestSeen() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seen
}

// holdingBack reports whether a step-down still keeps this node from
// campaigning at now.
func (e *Elector) holdingBack(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return now.Before(e.holdUntil)
}

// warn logs a failed operation at Warn at most once per warnEvery for
// each op, and at Debug in between.
func (e *Elector) warn(op string, err error) {
	if e.warns.allow(op, time.Now()) {
		e.log.Warn("election "+op+" failed", "node", e.node, "err", err)
		return
	}
	e.log.Debug("election "+op+" failed", "node", e.node, "err", err)
}

// throttle remembers when each kind of failure was last logged at Warn.
type throttle struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (t *throttle) allow(op string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.last[op]) < warnEvery {
		return false
	}
	if t.last == nil {
		t.last = make(map[string]time.Time)
	}
	t.last[op] = now
	return true
}
