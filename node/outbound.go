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

// outboundWait is how long the master's pops block: short, since a
// graceful handover waits for the pops in flight.
const outboundWait = 200 * time.Millisecond

// sentKey is the claim key that makes an action happen once.
func sentKey(id string) string { return "sent:" + id }

// pumpAnswers performs the answers to people on the outbound list while
// chat is connected, until the role ends. It runs beside pumpNotices, so
// that no batch of notifications is ever between a person and an answer;
// while it holds an answer, notices wait.
func (n *Node) pumpAnswers(ctx context.Context, r *masterRole) {
	for ctx.Err() == nil {
		if !r.waitConnected(ctx) {
			continue
		}
		d, ok := n.popAction(ctx, queue.Outbound, outboundWait)
		if !ok {
			continue
		}
		r.answering.Add(1)
		n.performDelivery(ctx, r, d)
		r.answering.Add(-1)
	}
}

// connectPoll is how often a pump looks whether chat is connected yet.
const connectPoll = 20 * time.Millisecond

// waitConnected reports whether chat is connected, after a short wait
// when it is not.
func (r *masterRole) waitConnected(ctx context.Context) bool {
	if r.connected.Load() {
		return true
	}
	sleepCtx(ctx, connectPoll)
	return false
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
	if a, ok := n.decodeAction(ctx, d); ok {
		n.send(ctx, r, []*queue.Delivery{d}, n.cut(a))
	}
}

// Why a gate stopped an action.
var (
	errNotMaster = errors.New("node: not master any more")
	errDuplicate = errors.New("node: action already performed")
	errClaim     = errors.New("node: claim failed")
)

// sending is one action on its way to chat and the deliveries it stands
// for: one, or the notices a summary counts.
type sending struct {
	r       *masterRole
	a       chat.Action
	ds      []*queue.Delivery
	claimed map[*queue.Delivery]bool // claims this node took
	dups    map[*queue.Delivery]bool // performed before, by anyone
	stop    string                   // why the role must end, if it must
}

// send performs a for the deliveries ds and settles them. The checks
// that make it happen once, and only from the current master, are made by
// the adapter's gate right before the first line is written: after any
// wait for pacing, so that a master that paused or died while waiting
// neither sends late nor leaves a claim for an action it never sent.
func (n *Node) send(ctx context.Context, r *masterRole, ds []*queue.Delivery, a chat.Action) {
	s := &sending{r: r, a: a, ds: ds, claimed: map[*queue.Delivery]bool{},
		dups: map[*queue.Delivery]bool{}}
	err := r.adapter.Perform(ctx, a, n.gate(context.WithoutCancel(ctx), s))
	n.settleSend(ctx, s, err)
}

// gate checks the lease before every line, and claims each delivery's id
// with the term as fence before the first.
func (n *Node) gate(ctx context.Context, s *sending) chat.Gate {
	return func(first bool) error {
		if !n.stillMaster(s.r.term) {
			s.stop = "lease expired"
			return errNotMaster
		}
		if !first {
			return nil
		}
		if err := n.claimAll(ctx, s); err != nil {
			return err
		}
		// The claims took a round trip: look at the lease once more.
		if !n.stillMaster(s.r.term) {
			s.stop = "lease expired"
			return errNotMaster
		}
		return nil
	}
}

// claimAll claims every delivery of s, sorting out the duplicates. Many
// are claimed in one round trip where the backend can: the adapter holds
// its turn meanwhile, and answers may be waiting for it.
func (n *Node) claimAll(ctx context.Context, s *sending) error {
	if mc, ok := n.parts.Queue.(queue.ManyClaimer); ok && len(s.ds) > 1 {
		return n.claimMany(ctx, mc, s)
	}
	for _, d := range s.ds {
		ok, err := n.parts.Queue.Claim(ctx, sentKey(d.Envelope.ID), n.opt.Queue.DedupeWindow,
			queue.Fence(s.r.term))
		switch {
		case errors.Is(err, queue.ErrFenced):
			s.stop = "fenced: a newer term exists"
			return errNotMaster
		case err != nil:
			return fmt.Errorf("%w: %w", errClaim, err)
		case ok:
			s.claimed[d] = true
		default:
			s.dups[d] = true
		}
	}
	if len(s.claimed) == 0 {
		return errDuplicate
	}
	return nil
}

// claimMany is claimAll in one round trip.
func (n *Node) claimMany(ctx context.Context, mc queue.ManyClaimer, s *sending) error {
	keys := make([]string, len(s.ds))
	for i, d := range s.ds {
		keys[i] = sentKey(d.Envelope.ID)
	}
	got, err := mc.ClaimAll(ctx, keys, n.opt.Queue.DedupeWindow, queue.Fence(s.r.term))
	switch {
	case errors.Is(err, queue.ErrFenced):
		s.stop = "fenced: a newer term exists"
		return errNotMaster
	case err != nil:
		return fmt.Errorf("%w: %w", errClaim, err)
	}
	for i, d := range s.ds {
		if got[i] {
			s.claimed[d] = true
		} else {
			s.dups[d] = true
		}
	}
	if len(s.claimed) == 0 {
		return errDuplicate
	}
	return nil
}

// settleSend settles every delivery of s after Perform returned err. An
// action that surely did not reach chat is unclaimed and given back
// unchanged, so a failover never counts as a failure.
func (n *Node) settleSend(ctx context.Context, s *sending, err error) {
	settle := context.WithoutCancel(ctx)
	kind := string(s.a.Kind)
	var pending []*queue.Delivery
	for _, d := range s.ds {
		if s.dups[d] {
			n.log.Debug("duplicate action dropped", "msg_id", d.Envelope.ID)
			n.m.ActionPerformed(kind, metrics.ActionDuplicate)
			n.finish(settle, d, nil)
			continue
		}
		pending = append(pending, d)
	}
	outcome := metrics.ActionSent
	switch {
	case err == nil:
		n.log.Debug("action performed", "msg_id", s.a.ID, "kind", kind, "term", s.r.term)
	case errors.Is(err, errDuplicate):
		return
	case errors.Is(err, chat.ErrUnsupported):
		n.log.Warn("action not supported by adapter", "msg_id", s.a.ID, "kind", kind,
			"adapter", s.r.adapter.Name())
		outcome, err = metrics.ActionUnsupported, nil
	case errors.Is(err, chat.ErrPartial):
		n.log.Warn("action cut short by a lost connection; not repeated", "msg_id", s.a.ID,
			"err", err)
		outcome, err = metrics.ActionFailed, nil
	case errors.Is(err, errNotMaster), errors.Is(err, errClaim),
		errors.Is(err, chat.ErrNotConnected), ctx.Err() != nil:
		n.giveBack(ctx, s, pending, err)
		return
	default:
		outcome, err = metrics.ActionFailed, fmt.Errorf("perform %s: %w", kind, err)
	}
	n.m.ActionPerformed(kind, outcome)
	for _, d := range pending {
		n.finish(settle, d, err)
	}
}

// giveBack returns deliveries whose action did not reach chat to the
// front of their list, their claims forgotten, and ends the role when the
// gate found this node no longer master.
func (n *Node) giveBack(ctx context.Context, s *sending, pending []*queue.Delivery, err error) {
	settle := context.WithoutCancel(ctx)
	for _, d := range pending {
		if s.claimed[d] {
			n.unclaim(settle, d.Envelope.ID)
		}
		n.release(settle, d)
	}
	n.m.ActionPerformed(string(s.a.Kind), metrics.ActionReleased)
	if s.stop != "" {
		s.r.end(s.stop)
	}
	if errors.Is(err, errClaim) {
		n.log.Warn("claim failed", "msg_id", s.a.ID, "err", err)
		sleepCtx(ctx, time.Second)
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
