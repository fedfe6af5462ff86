package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/http/metrics"
	"github.com/herald-chatops/herald/queue"
)

// popWait is how long one Pop blocks. It bounds how long a stopping node
// keeps popping; the pop itself is never cancelled mid-call, so that an
// envelope moved into this node's lease is always seen and handled.
const popWait = time.Second

// Kinds of envelope the node itself writes.
const (
	kindMessage = "message"
	kindAction  = "action"
)

// ErrNoJobHandler is the failure recorded for a job whose kind has no
// handler; after queue.max_attempts it is a dead letter.
var ErrNoJobHandler = errors.New("node: no handler for job kind")

// startWorkers starts the two pools and the reaper. They
// stop taking work when stop ends and are cancelled with work.
func (n *Node) startWorkers(stop, work context.Context, wg *sync.WaitGroup) {
	spawn := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	for range n.opt.ChatConcurrency {
		spawn(func() { n.consume(stop, work, queue.Inbound, n.handleMessage) })
	}
	for range n.opt.JobConcurrency {
		spawn(func() { n.consume(stop, work, queue.Jobs, n.handleJob) })
	}
	spawn(func() { n.reap(stop) })
}

// consume pops from list and handles each envelope until stop ends.
func (n *Node) consume(stop, work context.Context, list string,
	handle func(context.Context, queue.Envelope) error) {
	q := n.parts.Queue
	for stop.Err() == nil {
		d, err := q.Pop(work, list, popWait)
		if errors.Is(err, queue.ErrEmpty) {
			continue
		}
		if err != nil {
			n.log.Warn("pop failed", "queue", list, "err", err)
			n.m.BackendError(n.backend(), "pop")
			sleepCtx(stop, time.Second)
			continue
		}
		start := time.Now()
		outcome := n.finish(work, d, handle(work, d.Envelope))
		n.m.Handled(list, outcome, time.Since(start))
	}
}

// finish acknowledges a handled delivery or hands it back for a retry,
// and returns the outcome for the metrics.
func (n *Node) finish(ctx context.Context, d *queue.Delivery, herr error) string {
	q := n.parts.Queue
	if herr == nil {
		if err := q.Ack(ctx, d); err != nil {
			n.log.Warn("ack failed", "queue", d.List, "msg_id", d.Envelope.ID, "err", err)
			n.m.BackendError(n.backend(), "ack")
		}
		return metrics.OutcomeOK
	}
	dead, err := q.Retry(ctx, d, herr)
	switch {
	case err != nil:
		n.log.Warn("retry failed", "queue", d.List, "msg_id", d.Envelope.ID, "err", err)
		n.m.BackendError(n.backend(), "retry")
	case dead:
		n.log.Warn("dead letter", "queue", d.List, "msg_id", d.Envelope.ID, "err", herr)
		n.m.DeadLetters(1)
		return metrics.OutcomeDead
	default:
		n.log.Info("handler failed, will retry", "queue", d.List, "msg_id", d.Envelope.ID,
			"attempts", d.Envelope.Attempts+1, "err", herr)
	}
	return metrics.OutcomeRetry
}

// handleMessage runs the router on one chat message and queues the
// replies.
func (n *Node) handleMessage(ctx context.Context, e queue.Envelope) error {
	var msg chat.Message
	if err := json.Unmarshal(e.Body, &msg); err != nil {
		return fmt.Errorf("decode message: %w", err)
	}
	if msg.ID == "" {
		msg.ID = e.ID
	}
	if n.log.Enabled(ctx, slog.LevelDebug) {
		n.log.Debug("handling message", "msg_id", msg.ID, "routes", n.parts.Router.Matches(msg))
	}
	actions, err := n.parts.Router.Dispatch(ctx, msg)
	if err != nil {
		return err
	}
	return n.pushActions(ctx, actions)
}

// handleJob runs the job handler for the envelope's kind and queues the
// actions with ids derived from the job's id.
func (n *Node) handleJob(ctx context.Context, e queue.Envelope) error {
	h, ok := n.parts.Jobs[e.Kind]
	if !ok {
		return fmt.Errorf("%w %q", ErrNoJobHandler, e.Kind)
	}
	actions, err := h(ctx, e)
	if err != nil {
		return err
	}
	for i := range actions {
		actions[i].ID = fmt.Sprintf("%s/%d", e.ID, i)
	}
	return n.pushActions(ctx, actions)
}

// pushActions puts actions on the outbound lists for the master: answers
// on outbound, notifications on notices.
func (n *Node) pushActions(ctx context.Context, actions []chat.Action) error {
	for _, a := range actions {
		e, err := envelope(a.ID, kindAction, a)
		if err != nil {
			return err
		}
		list := queue.Outbound
		if a.Notice {
			list = queue.Notices
		}
		if err := n.parts.Queue.Push(ctx, list, e, 0); err != nil {
			return fmt.Errorf("push action: %w", err)
		}
	}
	return nil
}

// envelope wraps v as a new envelope of the current version.
func envelope(id, kind string, v any) (queue.Envelope, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return queue.Envelope{}, fmt.Errorf("encode %s: %w", kind, err)
	}
	return queue.Envelope{V: queue.Version, ID: id, Kind: kind,
		Enqueued: time.Now().UTC(), Body: body}, nil
}

// heartbeat keeps this node's membership alive until ctx ends.
func (n *Node) heartbeat(ctx context.Context) {
	t := time.NewTicker(n.opt.Queue.Heartbeat)
	defer t.Stop()
	for {
		st := n.parts.Elector.State()
		info := queue.NodeInfo{ID: n.opt.ID, Addr: n.opt.Addr, Version: n.opt.Version,
			Started: n.started, Master: st.Leader, Term: st.Term}
		if err := n.parts.Queue.Heartbeat(ctx, info, n.opt.Queue.NodeTTL); err != nil &&
			ctx.Err() == nil {
			n.log.Warn("heartbeat failed", "err", err)
			n.m.BackendError(n.backend(), "heartbeat")
		}
		if depths, err := n.parts.Queue.Depths(ctx); err == nil {
			n.m.SetDepths(depths)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.beatNow:
		}
	}
}

// nudgeHeartbeat makes the next heartbeat happen now, so that other nodes
// see a role change at once.
func (n *Node) nudgeHeartbeat() {
	select {
	case n.beatNow <- struct{}{}:
	default:
	}
}

// reap returns what dead nodes held, every half node TTL with jitter so
// that the nodes do not all reap at once.
func (n *Node) reap(ctx context.Context) {
	for {
		half := n.opt.Queue.NodeTTL / 2
		wait := half/2 + time.Duration(rand.Int64N(int64(half)))
		if !sleepCtx(ctx, wait) {
			return
		}
		moved, err := n.parts.Queue.Reap(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			n.log.Warn("reap failed", "err", err)
			n.m.BackendError(n.backend(), "reap")
		case moved > 0:
			n.log.Info("returned leases of dead nodes", "count", moved)
		}
	}
}

// sleepCtx waits d or until ctx ends, and reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
