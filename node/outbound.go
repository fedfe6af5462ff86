package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/http/metrics"
	"github.com/herald-chatops/herald/queue"
)

// outboundWait is how long the master's outbound pop blocks: short, since
// notices are looked at between blocks.
const outboundWait = 200 * time.Millisecond

// sentKey is the claim key that makes an action happen once.
func sentKey(id string) string { return "sent:" + id }

// pumpOutbound performs the actions on the outbound lists while chat is
// connected, until the role ends. Answers to people go first; notices are
// performed only while no answer waits.
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
		if n.pumpOne(ctx, r, 0) || n.pumpNotices(ctx, r) {
			continue
		}
		n.pumpOne(ctx, r, outboundWait)
	}
}

// pumpOne performs the next answer, waiting up to wait for one, and
// reports whether there was one.
func (n *Node) pumpOne(ctx context.Context, r *masterRole, wait time.Duration) bool {
	d, ok := n.popAction(ctx, queue.Outbound, wait)
	if ok {
		n.performDelivery(ctx, r, d)
	}
	return ok
}

// popAction pops one delivery from list. The pop itself is not cancelled
// with the role: what it leases is always seen and settled.
func (n *Node) popAction(ctx context.Context, list string,
	wait time.Duration) (*queue.Delivery, bool) {
	d, err := n.parts.Queue.Pop(context.WithoutCancel(ctx), list, wait)
	if errors.Is(err, queue.ErrEmpty) {
		return nil, false
	}
	if err != nil {
		n.log.Warn("pop failed", "queue", list, "err", err)
		sleepCtx(ctx, time.Second)
		return nil, false
	}
	return d, true
}

// decodeAction reads the action in d; a malformed one is settled as a
// failure (and so ends among the dead letters) and reported false.
func (n *Node) decodeAction(ctx context.Context, d *queue.Delivery) (chat.Action, bool) {
	var a chat.Action
	err := json.Unmarshal(d.Envelope.Body, &a)
	if err == nil && a.ID == "" {
		err = errors.New("action has no id")
	}
	if err != nil {
		n.finish(context.WithoutCancel(ctx), d, fmt.Errorf("decode action: %w", err))
		return a, false
	}
	return a, true
}

// performDelivery performs one action in chat, once, and settles its
// lease.
func (n *Node) performDelivery(ctx context.Context, r *masterRole, d *queue.Delivery) {
	a, ok := n.decodeAction(ctx, d)
	if !ok {
		return
	}
	if !n.claim(ctx, r, d, a) {
		return
	}
	n.performClaimed(ctx, r, []*queue.Delivery{d}, n.cut(a))
}

// claim claims a's id with the role's term as fence, so that a paused
// master cannot act and a duplicate is dropped. When it returns false, d
// has been settled (a duplicate) or given back (not master any more).
func (n *Node) claim(ctx context.Context, r *masterRole, d *queue.Delivery, a chat.Action) bool {
	settle := context.WithoutCancel(ctx)
	if !n.stillMaster(r.term) {
		n.release(settle, d)
		r.end("lease expired")
		return false
	}
	first, err := n.parts.Queue.Claim(settle, sentKey(a.ID), n.opt.Queue.DedupeWindow,
		queue.Fence(r.term))
	switch {
	case errors.Is(err, queue.ErrFenced):
		n.release(settle, d)
		r.end("fenced: a newer term exists")
		return false
	case err != nil:
		n.log.Warn("claim failed", "msg_id", a.ID, "err", err)
		n.release(settle, d)
		sleepCtx(ctx, time.Second)
		return false
	case !first:
		n.log.Debug("duplicate action dropped", "msg_id", a.ID)
		n.m.ActionPerformed(string(a.Kind), metrics.ActionDuplicate)
		n.finish(settle, d, nil)
		return false
	}
	return true
}

// performClaimed performs a, whose claims are held for every delivery in
// ds, and settles them all. An action that surely did not happen is
// unclaimed and given back unchanged, so a failover never counts as a
// failure.
func (n *Node) performClaimed(ctx context.Context, r *masterRole, ds []*queue.Delivery,
	a chat.Action) {
	settle := context.WithoutCancel(ctx)
	err := r.adapter.Perform(ctx, a)
	outcome := metrics.ActionSent
	switch {
	case err == nil:
		n.log.Debug("action performed", "msg_id", a.ID, "kind", a.Kind, "term", r.term)
	case errors.Is(err, chat.ErrUnsupported):
		n.log.Warn("action not supported by adapter", "msg_id", a.ID, "kind", a.Kind,
			"adapter", r.adapter.Name())
		outcome, err = metrics.ActionUnsupported, nil
	case errors.Is(err, chat.ErrNotConnected), ctx.Err() != nil:
		for _, d := range ds {
			n.unclaim(settle, d.Envelope.ID)
			n.release(settle, d)
		}
		n.m.ActionPerformed(string(a.Kind), metrics.ActionReleased)
		return
	default:
		outcome, err = metrics.ActionFailed, fmt.Errorf("perform %s: %w", a.Kind, err)
	}
	n.m.ActionPerformed(string(a.Kind), outcome)
	for _, d := range ds {
		n.finish(settle, d, err)
	}
}

func (n *Node) unclaim(ctx context.Context, id string) {
	if err := n.parts.Queue.Unclaim(ctx, sentKey(id)); err != nil {
		n.log.Warn("unclaim failed", "msg_id", id, "err", err)
	}
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
