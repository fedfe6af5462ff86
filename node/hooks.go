package node

import (
	"context"
	"errors"
	"sync"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/queue"
)

// emit tells the handlers' event hooks what happened on this node. It
// never blocks: the bus drops an event when its backlog is full.
func (n *Node) emit(kind events.Kind, term uint64, reason string) {
	k := n.parts.Kit
	if k == nil {
		return
	}
	ev := events.Event{Kind: kind, Node: n.opt.ID, Term: term, Reason: reason}
	if kind == events.ChatConnected || kind == events.ChatDisconnected {
		ev.Adapter = n.adapterName()
	}
	k.Events.Emit(ev)
}

// startEvents runs the event bus until the returned stop is called.
func (n *Node) startEvents() (stop func()) {
	k := n.parts.Kit
	if k == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); k.Events.Run(ctx) }()
	return func() { cancel(); wg.Wait() }
}

// keep runs the master_receive hooks on an incoming message: one veto
// keeps it off the inbound list.
func (n *Node) keep(ctx context.Context, m chat.Message) bool {
	if n.parts.Kit == nil {
		return true
	}
	return n.parts.Kit.Receive.Keep(ctx, m)
}

// runTimers fires the cluster's timers while this node is master of r's
// term; a fenced claim ends the role.
func (n *Node) runTimers(ctx context.Context, r *masterRole) {
	if n.parts.Kit == nil {
		return
	}
	err := n.parts.Kit.Timers.Run(ctx, r.term)
	if errors.Is(err, queue.ErrFenced) {
		r.end("fenced: a newer term exists")
	} else if err != nil && ctx.Err() == nil {
		n.log.Warn("timers stopped", "term", r.term, "err", err)
	}
}

// adapterName is the configured adapter's name for events.
func (n *Node) adapterName() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.adapter
}

// Handler is how a Go program adds its own handlers: routes, storage,
// timers, event hooks and HTTP routes, through the kit of the node.
type Handler func(k *handler.Kit) error
