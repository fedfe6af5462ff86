package redisq

import (
	"context"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
)

// Depths returns the length of each list in queue.Lists and of
// queue.Dead, read in one round trip.
func (q *Queue) Depths(ctx context.Context) (map[string]int64, error) {
	const op = "depths"
	if err := q.ready(ctx, op, ""); err != nil {
		return nil, err
	}
	lens := map[string]*redis.IntCmd{}
	_, err := q.cmd.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, list := range queue.Lists {
			lens[list] = p.LLen(ctx, q.listKey(list))
		}
		lens[queue.Dead] = p.LLen(ctx, q.deadKey())
		return nil
	})
	if err != nil {
		return nil, q.fail(ctx, op, err)
	}
	out := make(map[string]int64, len(lens))
	for list, c := range lens {
		out[list] = c.Val()
	}
	return out, nil
}

// DeadLetters returns up to limit dead letters, oldest first; a limit of
// zero or less returns all. An unreadable entry is shown as a letter of
// kind KindMalformed with no list.
func (q *Queue) DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error) {
	const op = "dead letters"
	if err := q.ready(ctx, op, ""); err != nil {
		return nil, err
	}
	raws, err := q.cmd.LRange(ctx, q.deadKey(), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, q.fail(ctx, op, err)
	}
	out := make([]queue.DeadLetter, 0, len(raws))
	for _, raw := range raws {
		d, _ := decodeDead([]byte(raw))
		out = append(out, d)
	}
	return out, nil
}

// Requeue moves the dead letters with envelope id, or all of them when id
// is empty, to the back of their lists with Attempts and Error cleared.
// Requeueing all skips letters of kind KindMalformed, which would only
// fail again; name one by its id to requeue it. Unreadable letters and
// letters of unknown lists stay.
func (q *Queue) Requeue(ctx context.Context, id string) (int, error) {
	const op = "requeue"
	if err := q.ready(ctx, op, ""); err != nil {
		return 0, err
	}
	raws, err := q.cmd.LRange(ctx, q.deadKey(), 0, -1).Result()
	if err != nil {
		return 0, q.fail(ctx, op, err)
	}
	moved := 0
	for _, raw := range raws {
		d, ok := decodeDead([]byte(raw))
		if !ok || !requeueable(d, id) {
			continue
		}
		n, err := q.requeueOne(ctx, raw, d)
		moved += n
		if err != nil {
			return moved, q.fail(ctx, op, err)
		}
	}
	return moved, nil
}

// requeueable reports whether Requeue(id) takes d.
func requeueable(d queue.DeadLetter, id string) bool {
	if !slices.Contains(queue.Lists, d.List) {
		return false
	}
	if id == "" {
		return d.Envelope.Kind != KindMalformed
	}
	return d.Envelope.ID == id
}

// requeueOne moves dead letter raw back to its list in one script; it
// moves nothing when a concurrent Requeue took it first.
func (q *Queue) requeueOne(ctx context.Context, raw string, d queue.DeadLetter) (int, error) {
	e := d.Envelope
	e.Attempts, e.Error = 0, ""
	payload, err := encode(e)
	if err != nil {
		return 0, err
	}
	keys := []string{q.deadKey(), q.listKey(d.List)}
	return moveLease.Run(ctx, q.cmd, keys, raw, payload, "left").Int()
}
