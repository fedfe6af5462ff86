package redisq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
)

// maxSkips bounds how many malformed entries one Pop moves aside before
// it gives up with ErrEmpty; the next Pop goes on.
const maxSkips = 256

// Pop waits up to wait for the next envelope on list and leases it to
// this node by moving it to the node's processing list. A wait of zero
// or less does not block. Malformed entries met on the way go to the
// dead-letter list.
func (q *Queue) Pop(ctx context.Context, list string,
	wait time.Duration) (*queue.Delivery, error) {
	const op = "pop"
	if err := q.ready(ctx, op, list); err != nil {
		return nil, err
	}
	if err := q.join(ctx); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for range maxSkips {
		raw, err := q.move(ctx, list, wait)
		if err != nil {
			return nil, err
		}
		e, bad := decode([]byte(raw))
		if bad == nil {
			return &queue.Delivery{List: list, Envelope: e, Lease: raw}, nil
		}
		if err := q.bury(ctx, list, raw, bad); err != nil {
			return nil, err
		}
		wait = time.Until(deadline)
	}
	return nil, fmt.Errorf("redisq: %s: %w", op, queue.ErrEmpty)
}

// join adds this node to the node set once, before its first lease, so
// that reapers can find its processing lists even before a heartbeat.
func (q *Queue) join(ctx context.Context) error {
	if q.joined.Load() {
		return nil
	}
	if err := q.cmd.SAdd(ctx, q.nodesKey(), q.node).Err(); err != nil {
		return q.fail(ctx, "pop", err)
	}
	q.joined.Store(true)
	return nil
}

// move leases the entry at the front of list, blocking up to wait.
func (q *Queue) move(ctx context.Context, list string, wait time.Duration) (string, error) {
	src, dst := q.listKey(list), q.procKey(q.node, list)
	tok := q.leases.begin(list)
	raw, err := q.moveCmd(ctx, src, dst, blockTime(ctx, wait))
	q.leases.end(list, tok, raw, err == nil)
	switch {
	case errors.Is(err, redis.Nil) && ctx.Err() == nil:
		return "", fmt.Errorf("redisq: pop: %w", queue.ErrEmpty)
	case errors.Is(err, redis.Nil):
		return "", fmt.Errorf("redisq: pop: %w", ctx.Err())
	}
	return raw, q.fail(ctx, "pop", err)
}

// moveCmd moves the right end of src to the left end of dst, blocking up
// to wait and never longer. go-redis sends BLMOVE's block in whole
// seconds and then reads with the block plus ten seconds; a shorter block
// goes out exactly as a plain command when it fits well within the
// ordinary read timeout, and is cut to that otherwise.
func (q *Queue) moveCmd(ctx context.Context, src, dst string, wait time.Duration) (string, error) {
	secs := wait.Truncate(time.Second)
	switch {
	case wait < time.Millisecond:
		return q.cmd.LMove(ctx, src, dst, "RIGHT", "LEFT").Result()
	case secs > 0:
		return q.block.BLMove(ctx, src, dst, "RIGHT", "LEFT", secs).Result()
	case q.exactBlock == 0:
		// No timeout known to fit a short block in: a whole second.
		return q.block.BLMove(ctx, src, dst, "RIGHT", "LEFT", time.Second).Result()
	}
	wait = min(wait, q.exactBlock)
	block := strconv.FormatFloat(wait.Seconds(), 'f', 3, 64)
	return q.block.Do(ctx, "blmove", src, dst, "RIGHT", "LEFT", block).Text()
}

// blockTime cuts wait to end well before ctx's deadline, so that a block
// ends with a reply rather than a cut connection.
func blockTime(ctx context.Context, wait time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		wait = min(wait, left-left/10)
	}
	return wait
}

// bury moves a malformed leased entry to the dead-letter list.
func (q *Queue) bury(ctx context.Context, list, raw string, cause error) error {
	dl := malformed(list, []byte(raw), cause, time.Now().UTC())
	payload, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("redisq: pop: %w", err)
	}
	keys := []string{q.procKey(q.node, list), q.deadKey()}
	err = moveLease.Run(ctx, q.cmd, keys, raw, payload, "right").Err()
	q.leases.drop(list, raw)
	if err != nil {
		return q.fail(ctx, "pop", err)
	}
	if ok, n := q.warn.allow("malformed:"+list, time.Now()); ok {
		q.log.Warn("moved malformed entry to dead letters", "queue", list,
			"msg_id", dl.Envelope.ID, "err", cause, "suppressed", n)
	}
	return nil
}

// Ack ends the lease: the work is done. Acknowledging a lease that is
// gone (reaped after this node's heartbeat lapsed) logs a warning and
// returns nil: someone else has the envelope now.
func (q *Queue) Ack(ctx context.Context, d *queue.Delivery) error {
	const op = "ack"
	if err := q.readyLease(ctx, op, d); err != nil {
		return err
	}
	n, err := q.cmd.LRem(ctx, q.procKey(q.node, d.List), 1, d.Lease).Result()
	q.leases.drop(d.List, d.Lease)
	if err != nil {
		return q.fail(ctx, op, err)
	}
	if n == 0 {
		q.lost(op, d)
	}
	return nil
}

// Release ends the lease and puts the envelope back unchanged at the
// front of its list.
func (q *Queue) Release(ctx context.Context, d *queue.Delivery) error {
	const op = "release"
	if err := q.readyLease(ctx, op, d); err != nil {
		return err
	}
	_, err := q.endLease(ctx, op, d, q.listKey(d.List), d.Lease, "right")
	return err
}

// Retry ends the lease and puts the envelope at the back of its list with
// Attempts raised and cause recorded, or on the dead-letter list once
// Attempts reaches queue.max_attempts.
func (q *Queue) Retry(ctx context.Context, d *queue.Delivery, cause error) (bool, error) {
	const op = "retry"
	if err := q.readyLease(ctx, op, d); err != nil {
		return false, err
	}
	e := d.Envelope
	e.Attempts++
	e.Error = ""
	if cause != nil {
		e.Error = cause.Error()
	}
	if e.Attempts < queue.MaxFor(q.cfg.MaxAttempts, cause) {
		raw, err := encode(e)
		if err != nil {
			return false, fmt.Errorf("redisq: %s: %w", op, err)
		}
		_, err = q.endLease(ctx, op, d, q.listKey(d.List), string(raw), "left")
		return false, err
	}
	dl := queue.DeadLetter{List: d.List, Envelope: e, Died: time.Now().UTC()}
	raw, err := json.Marshal(dl)
	if err != nil {
		return false, fmt.Errorf("redisq: %s: %w", op, err)
	}
	moved, err := q.endLease(ctx, op, d, q.deadKey(), string(raw), "right")
	return moved, err
}

// endLease moves d's lease to the given end of dest as payload, in one
// script. It reports whether the lease was still there to move.
func (q *Queue) endLease(ctx context.Context, op string, d *queue.Delivery,
	dest, payload, end string) (bool, error) {
	keys := []string{q.procKey(q.node, d.List), dest}
	n, err := moveLease.Run(ctx, q.cmd, keys, d.Lease, payload, end).Int()
	q.leases.drop(d.List, d.Lease)
	if err != nil {
		return false, q.fail(ctx, op, err)
	}
	if n == 0 {
		q.lost(op, d)
	}
	return n == 1, nil
}

// readyLease is ready for calls that take a Delivery.
func (q *Queue) readyLease(ctx context.Context, op string, d *queue.Delivery) error {
	if d == nil {
		return fmt.Errorf("redisq: %s: nil delivery", op)
	}
	return q.ready(ctx, op, d.List)
}

// lost reports a lease that was gone when its end came.
func (q *Queue) lost(op string, d *queue.Delivery) {
	if ok, n := q.warn.allow("lost:"+op, time.Now()); ok {
		q.log.Warn("lease was gone, another node has the envelope", "op", op,
			"queue", d.List, "msg_id", d.Envelope.ID, "suppressed", n)
	}
}
