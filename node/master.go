package node

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/queue"
)

// inboxSize bounds the chat messages a master holds before they are on
// the inbound list; past it the adapter's reading waits.
const inboxSize = 1024

// masterRole is one term of this node as master: the chat connection and
// the two pumps between chat and the lists.
type masterRole struct {
	term      uint64
	adapter   chat.Adapter
	cancel    context.CancelFunc
	chatWG    sync.WaitGroup // the adapter
	pumpWG    sync.WaitGroup // the pumps and the timers
	inbox     chan chat.Message
	connected atomic.Bool
	answering atomic.Int32 // answers being performed: notices wait

	endOnce sync.Once
	ended   chan struct{} // closed when the role ends on its own
	reason  string
}

// supervise starts and stops the master role as the election decides,
// until ctx ends. It returns the last role, whose pumps may still be
// finishing: chat is closed by then, so the lease can be released first.
func (n *Node) supervise(ctx context.Context) *masterRole {
	var role, last *masterRole
	var spent uint64 // a term whose role ended on its own is not started again
	for {
		st := n.parts.Elector.State()
		n.observe(st)
		if role != nil && (!st.Leader || st.Term != role.term) {
			n.stopMaster(role, "lease lost")
			role, last = nil, role
		}
		if role == nil && st.Leader && st.Term != spent && ctx.Err() == nil {
			last.waitPumps()
			role = n.startMaster(st.Term)
		}
		var ended <-chan struct{}
		if role != nil {
			ended = role.ended
		}
		select {
		case <-ctx.Done():
			if role != nil {
				n.stopMaster(role, "node stopping")
				last = role
			}
			return last
		case <-n.parts.Elector.Changed():
		case <-ended:
			n.stopMaster(role, role.reason)
			role, last, spent = nil, role, role.term
			n.stepDown(ctx)
		}
	}
}

// waitPumps waits until the role's pumps have returned; nil waits for
// nothing.
func (r *masterRole) waitPumps() {
	if r != nil {
		r.pumpWG.Wait()
	}
}

// stepDown gives up a lease whose role ended on its own, so that another
// node can take over instead of this one holding a lease it cannot use.
func (n *Node) stepDown(ctx context.Context) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := n.parts.Elector.StepDown(sctx); err != nil {
		n.log.Debug("step down after role end", "err", err)
	}
}

// startMaster connects chat and starts the pumps for term.
func (n *Node) startMaster(term uint64) *masterRole {
	ctx, cancel := context.WithCancel(context.Background())
	r := &masterRole{term: term, cancel: cancel, inbox: make(chan chat.Message, inboxSize),
		ended: make(chan struct{})}
	n.log.Info("master role started", "term", term)
	n.m.TermStarted()
	n.nudgeHeartbeat()
	if n.parts.NewAdapter == nil {
		return r
	}
	a, err := n.parts.NewAdapter()
	if err != nil {
		n.log.Error("chat adapter", "term", term, "err", err)
		r.end("adapter: " + err.Error())
		return r
	}
	r.adapter = a
	n.mu.Lock()
	n.adapter = a.Name()
	n.mu.Unlock()
	n.emit(events.MasterStarted, term, "")

	// Chat first, then the pumps: nothing is popped for chat before
	// there is a connection to perform it on.
	r.chatWG.Add(1)
	go func() { defer r.chatWG.Done(); n.runAdapter(ctx, r) }()
	r.pumpWG.Add(4)
	go func() { defer r.pumpWG.Done(); n.pushInbound(ctx, r) }()
	go func() { defer r.pumpWG.Done(); n.pumpAnswers(ctx, r) }()
	go func() { defer r.pumpWG.Done(); n.pumpNotices(ctx, r) }()
	go func() { defer r.pumpWG.Done(); n.runTimers(ctx, r) }()
	return r
}

// stopMaster ends the role and waits until chat is closed. The pumps may
// still be finishing a pop: whatever they hold can no longer reach chat,
// and goes back to its list.
func (n *Node) stopMaster(r *masterRole, reason string) {
	r.cancel()
	r.chatWG.Wait()
	n.setChatUp(false)
	n.log.Info("master role ended", "term", r.term, "reason", reason)
	n.roleEnded(r.term, reason)
	n.emit(events.MasterStopped, r.term, reason)
	n.nudgeHeartbeat()
}

// end marks the role as ended on its own; supervise then stops it.
func (r *masterRole) end(reason string) {
	r.endOnce.Do(func() {
		r.reason = reason
		close(r.ended)
	})
}

// runAdapter runs the chat connection for the role's lifetime.
func (n *Node) runAdapter(ctx context.Context, r *masterRole) {
	ev := chat.Events{
		Receive: func(m chat.Message) {
			select {
			case r.inbox <- m:
			case <-ctx.Done():
			}
		},
		Connected: func() {
			r.connected.Store(true)
			n.setChatUp(true)
			n.log.Info("chat connected", "adapter", r.adapter.Name(), "term", r.term)
			n.emit(events.ChatConnected, r.term, "")
		},
		Disconnected: func(err error) {
			r.connected.Store(false)
			n.setChatUp(false)
			n.log.Info("chat disconnected", "adapter", r.adapter.Name(), "term", r.term,
				"err", err)
			reason := ""
			if err != nil {
				reason = err.Error()
			}
			n.emit(events.ChatDisconnected, r.term, reason)
		},
	}
	err := r.adapter.Run(ctx, ev)
	if ctx.Err() == nil {
		reason := "chat adapter stopped"
		if err != nil {
			reason = "chat adapter: " + err.Error()
		}
		r.end(reason)
	}
}

// pushInbound puts what chat said onto the inbound list with the term as
// fence, retrying a failed push until the role ends.
func (n *Node) pushInbound(ctx context.Context, r *masterRole) {
	for {
		var m chat.Message
		select {
		case <-ctx.Done():
			return
		case m = <-r.inbox:
		}
		if !n.keep(ctx, m) {
			continue
		}
		e, err := envelope(m.ID, kindMessage, m)
		if err != nil {
			n.log.Error("encode message", "msg_id", m.ID, "err", err)
			continue
		}
		n.pushFenced(ctx, r, e)
	}
}

// pushFenced pushes one inbound envelope, retrying until it is kept, the
// term is fenced off, or the role ends.
func (n *Node) pushFenced(ctx context.Context, r *masterRole, e queue.Envelope) {
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		err := n.parts.Queue.Push(ctx, queue.Inbound, e, queue.Fence(r.term))
		switch {
		case err == nil:
			return
		case errors.Is(err, queue.ErrFenced):
			r.end("fenced: a newer term exists")
			return
		case ctx.Err() != nil:
			n.log.Warn("inbound message dropped: master role ended before push",
				"msg_id", e.ID, "term", r.term)
			return
		}
		n.log.Warn("inbound push failed", "msg_id", e.ID, "err", err)
		n.m.BackendError(n.backend(), "push")
		sleepCtx(ctx, backoff)
	}
}
