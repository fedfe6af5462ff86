package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/queue"
)

// outboundWait is how long the master's outbound pop blocks: short, since
// a graceful handover waits for the pop in flight before chat is closed.
const outboundWait = 200 * time.Millisecond

// sentKey is the claim key that makes an action happen once.
func sentKey(id string) string { return "sent:" + id }

// pumpOutbound performs the actions on the outbound list while chat is
// connected, until the role ends.
func (n *Node) pumpOutbound(ctx context.Context, r *masterRole) {
	for ctx.Err() == nil {
		if !r.connected.Load() {
			select {
			case <-ctx.Done():
				return
			case <-r.up:
			case <-time.After(time.Second):
			}
			continue
		}
		d, err := n.parts.Queue.Pop(context.WithoutCancel(ctx), queue.Outbound, outboundWait)
		if errors.Is(err, queue.ErrEmpty) {
			continue
		}
		if err != nil {
			n.log.Warn("pop failed", "queue", queue.Outbound, "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		n.performDelivery(ctx, r, d)
	}
}

// performDelivery performs one action in chat, once, and settles its
// lease. Every step that can find this node no longer master gives the
// action back untouched for the next master.
func (n *Node) performDelivery(ctx context.Context, r *masterRole, d *queue.Delivery) {
	q := n.parts.Queue
	settle := context.WithoutCancel(ctx)
	var a chat.Action
	if err := json.Unmarshal(d.Envelope.Body, &a); err != nil || a.ID == "" {
		n.finish(settle, d, fmt.Errorf("decode action: %w", errors.Join(err, errNoID(a))))
		return
	}

	// The lease must still hold and the term be current when the action
	// is claimed; the fenced claim is what a paused master cannot pass.
	if !n.stillMaster(r.term) {
		n.release(settle, d)
		r.end("lease expired")
		return
	}
	first, err := q.Claim(settle, sentKey(a.ID), n.opt.Queue.DedupeWindow, queue.Fence(r.term))
	switch {
	case errors.Is(err, queue.ErrFenced):
		n.release(settle, d)
		r.end("fenced: a newer term exists")
		return
	case err != nil:
		n.log.Warn("claim failed", "msg_id", a.ID, "err", err)
		n.release(settle, d)
		sleepCtx(ctx, time.Second)
		return
	case !first:
		n.log.Debug("duplicate action dropped", "msg_id", a.ID)
		n.finish(settle, d, nil)
		return
	}

	// Perform; an action that surely did not happen is unclaimed and
	// given back unchanged, so a failover never counts as a failure.
	err = r.adapter.Perform(ctx, a)
	switch {
	case err == nil:
		n.log.Debug("action performed", "msg_id", a.ID, "kind", a.Kind, "term", r.term)
		n.finish(settle, d, nil)
	case errors.Is(err, chat.ErrUnsupported):
		n.log.Warn("action not supported by adapter", "msg_id", a.ID, "kind", a.Kind,
			"adapter", r.adapter.Name())
		n.finish(settle, d, nil)
	case errors.Is(err, chat.ErrNotConnected), ctx.Err() != nil:
		if uerr := q.Unclaim(settle, sentKey(a.ID)); uerr != nil {
			n.log.Warn("unclaim failed", "msg_id", a.ID, "err", uerr)
		}
		n.release(settle, d)
	default:
		n.finish(settle, d, fmt.Errorf("perform %s: %w", a.Kind, err))
	}
}

func errNoID(a chat.Action) error {
	if a.ID == "" {
		return errors.New("action has no id")
	}
	return nil
}

// release gives a delivery back to the front of its list.
func (n *Node) release(ctx context.Context, d *queue.Delivery) {
	if err := n.parts.Queue.Release(ctx, d); err != nil {
		n.log.Warn("release failed", "queue", d.List, "msg_id", d.Envelope.ID, "err", err)
	}
}

// stillMaster reports whether this node's lease for term holds now.
func (n *Node) stillMaster(term uint64) bool {
	st := n.parts.Elector.State()
	return st.Term == term && st.Valid(time.Now())
}
