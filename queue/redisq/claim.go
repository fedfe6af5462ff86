package redisq

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// Claim returns true the first time key is claimed within ttl. With a
// non-zero fence it fails with queue.ErrFenced unless f is the current
// term.
func (q *Queue) Claim(ctx context.Context, key string, ttl time.Duration,
	f queue.Fence) (bool, error) {
	const op = "claim"
	if err := q.ready(ctx, op, ""); err != nil {
		return false, err
	}
	if ttl < time.Millisecond {
		return false, fmt.Errorf("redisq: %s: ttl %v must be at least 1ms", op, ttl)
	}
	if f == 0 {
		ok, err := q.cmd.SetNX(ctx, q.claimKey(key), q.node, ttl).Result()
		return ok, q.fail(ctx, op, err)
	}
	n, err := q.fenced(ctx, fencedClaim, q.claimKey(key), f, q.node, ttl.Milliseconds())
	return n == 1, q.fail(ctx, op, err)
}

// Unclaim forgets a claim this node made, so that a later delivery of the
// same id can claim it again. A claim made by another node (after this
// one's expired) is left alone.
func (q *Queue) Unclaim(ctx context.Context, key string) error {
	const op = "unclaim"
	if err := q.ready(ctx, op, ""); err != nil {
		return err
	}
	return q.fail(ctx, op, unclaim.Run(ctx, q.cmd, []string{q.claimKey(key)}, q.node).Err())
}

var _ queue.ManyClaimer = (*Queue)(nil)

// ClaimAll claims every key in one round trip, as Claim would one by one;
// with a non-zero fence it fails with queue.ErrFenced, claiming nothing,
// unless f is the current term.
func (q *Queue) ClaimAll(ctx context.Context, keys []string, ttl time.Duration,
	f queue.Fence) ([]bool, error) {
	const op = "claim"
	if err := q.ready(ctx, op, ""); err != nil {
		return nil, err
	}
	if ttl < time.Millisecond || f == 0 {
		return nil, fmt.Errorf("redisq: %s: ClaimAll needs a fence and a ttl of 1ms or more", op)
	}
	redisKeys := make([]string, 0, len(keys)+1)
	redisKeys = append(redisKeys, q.termKey())
	for _, k := range keys {
		redisKeys = append(redisKeys, q.claimKey(k))
	}
	res, err := fencedClaimAll.Run(ctx, q.cmd, redisKeys, strconv.FormatUint(uint64(f), 10),
		q.node, ttl.Milliseconds()).Result()
	if err != nil {
		return nil, q.fail(ctx, op, err)
	}
	if n, ok := res.(int64); ok && n == -1 {
		return nil, queue.ErrFenced
	}
	list, _ := res.([]any)
	out := make([]bool, len(keys))
	for i := range out {
		if i < len(list) {
			v, _ := list[i].(int64)
			out[i] = v == 1
		}
	}
	return out, nil
}
