// Package redisq is the Redis backend of queue.Queue, the default one.
//
// Every list is a Redis list under the cluster namespace ns:
//
//	ns:list:<name>         inbound, outbound, jobs: pushed on the left,
//	                       popped on the right (FIFO)
//	ns:proc:<node>:<name>  what node holds from list name (its leases)
//	ns:node:<id>           a node's heartbeat, NodeInfo JSON, expires
//	ns:nodes               ids of nodes that may hold leases
//	ns:dead                dead letters, DeadLetter JSON, oldest first
//	ns:claim:<key>         claim keys
//	ns:term                the current term, written by the election
//
// What it guarantees, beyond the promises of package queue:
//
//   - An envelope is in exactly one list at every instant: Pop is BLMOVE,
//     and Release, Retry, dead-lettering, Requeue and reaping are single
//     LMOVEs or Lua scripts.
//   - Reap returns the leases of a node whose heartbeat lapsed, one LMOVE
//     per entry, so reapers running at once neither lose nor duplicate an
//     entry. It also returns entries of this node's own processing lists
//     that this Queue never handed out (a Pop reply lost with its
//     connection, or the leases of an earlier process with the same node
//     id) once they stayed unclaimed for two Reap rounds.
//   - Bytes on a list that are not an envelope of this version go to the
//     dead-letter list (kind KindMalformed) instead of blocking the list.
//   - Fenced writes compare the fence with ns:term inside Redis, in the
//     same script that writes; without a term key they are refused.
//
// What it does not guarantee: durability beyond what the Redis server
// keeps (run it with AOF for that), and anything while Redis is down:
// calls then fail with errors and succeed again once it is back, with no
// new Queue needed. Behind Sentinel (redis.sentinel) the same holds
// across a failover: calls fail until a replica is promoted, then work
// on it. But Redis replicates asynchronously, so writes the dead master
// acknowledged and had not yet sent to that replica are gone: a lost
// Push loses its envelope, a lost Pop or Ack has it handled again, a
// lost Claim lets a duplicate through. Node ids must be unique among
// running nodes: two live Queues with one id take each other's leases
// for orphans.
//
// Pop never blocks longer than its wait, but may return ErrEmpty sooner:
// go-redis sends BLMOVE blocks in whole seconds, so a longer wait is cut
// to whole seconds, and a wait under a second is cut to half of
// redis.timeout. A cancelled context is noticed when the block ends.
package redisq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
)

// Queue is a queue.Queue on Redis. It is safe for concurrent use.
type Queue struct {
	cmd   redis.UniversalClient
	block redis.UniversalClient
	// exactBlock is the longest block sent exactly, as a plain command
	// that must answer within the client's read timeout.
	exactBlock time.Duration
	ns         string
	node       string
	cfg        queue.Config
	log        *slog.Logger
	leases     *leases
	warn       *limiter
	joined     atomic.Bool
	closed     atomic.Bool
	once       sync.Once
}

var _ queue.Queue = (*Queue)(nil)

// New returns the queue of node nodeID under namespace, using cmd for
// ordinary commands and block only for blocking ones (see NewClients).
// The Queue owns block, which nobody else may use, and closes it in
// Close. cmd may be shared (the election's lock uses it) and stays with
// the caller, who closes it after Close. New does not contact Redis. A
// nil log means slog.Default().
func New(cmd, block redis.UniversalClient, namespace, nodeID string,
	cfg queue.Config, log *slog.Logger) (*Queue, error) {
	switch {
	case cmd == nil || block == nil:
		return nil, errors.New("redisq: new: both clients are required")
	case namespace == "":
		return nil, errors.New("redisq: new: cluster.namespace must not be empty")
	case nodeID == "":
		return nil, errors.New("redisq: new: node id must not be empty")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("redisq: new: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Queue{
		cmd: cmd, block: block, ns: namespace, node: nodeID, cfg: cfg,
		exactBlock: exactBlock(block),
		log:        log.With("node", nodeID),
		leases:     newLeases(),
		warn:       newLimiter(time.Minute),
	}, nil
}

// exactBlock returns half of block's read timeout, or zero when block
// does not say it.
func exactBlock(block redis.UniversalClient) time.Duration {
	c, ok := block.(interface{ Options() *redis.Options })
	if !ok || c.Options().ReadTimeout <= 0 {
		return 0
	}
	return c.Options().ReadTimeout / 2
}

// Push appends e to the back of list. A zero e.Enqueued is set to now
// and e.V to queue.Version; e.ID must not be empty.
func (q *Queue) Push(ctx context.Context, list string, e queue.Envelope, f queue.Fence) error {
	const op = "push"
	if err := q.ready(ctx, op, list); err != nil {
		return err
	}
	raw, err := encode(e)
	if err != nil {
		return fmt.Errorf("redisq: %s: %w", op, err)
	}
	if f == 0 {
		return q.fail(ctx, op, q.cmd.LPush(ctx, q.listKey(list), raw).Err())
	}
	_, err = q.fenced(ctx, fencedPush, q.listKey(list), f, raw)
	return q.fail(ctx, op, err)
}

// fenced runs a fenced script with KEYS term, key and ARGV fence, args...
// and maps its -1 to queue.ErrFenced.
func (q *Queue) fenced(ctx context.Context, s *redis.Script, key string, f queue.Fence,
	args ...any) (int64, error) {
	argv := append([]any{strconv.FormatUint(uint64(f), 10)}, args...)
	n, err := s.Run(ctx, q.cmd, []string{q.termKey(), key}, argv...).Int64()
	if err == nil && n == -1 {
		return 0, queue.ErrFenced
	}
	return n, err
}

// Close stops the queue and closes the blocking client, so that blocked
// Pops return ErrClosed at once; later calls return ErrClosed. Leases
// stay for Reap. The cmd client is left open for its owner. Calling Close
// again returns nil.
func (q *Queue) Close() error {
	var err error
	q.once.Do(func() {
		q.closed.Store(true)
		if err = q.block.Close(); err != nil {
			err = fmt.Errorf("redisq: close: %w", err)
		}
	})
	return err
}

// Ping checks that Redis answers.
func (q *Queue) Ping(ctx context.Context) error {
	const op = "ping"
	if err := q.ready(ctx, op, ""); err != nil {
		return err
	}
	return q.fail(ctx, op, q.cmd.Ping(ctx).Err())
}

// ready refuses a call on a closed queue, with a done context, or for an
// unknown list (list "" is for calls without one).
func (q *Queue) ready(ctx context.Context, op, list string) error {
	return queue.CheckCall(ctx, "redisq", op, list, q.closed.Load())
}

// fail wraps err with op, telling a done context and a closed queue apart
// from a Redis failure. It returns nil for a nil err.
func (q *Queue) fail(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("redisq: %s: %w", op, ctx.Err())
	case q.closed.Load() || errors.Is(err, redis.ErrClosed):
		return fmt.Errorf("redisq: %s: %w", op, queue.ErrClosed)
	}
	return fmt.Errorf("redisq: %s: %w", op, err)
}

func (q *Queue) listKey(list string) string { return q.ns + ":list:" + list }
func (q *Queue) procKey(node, list string) string {
	return q.ns + ":proc:" + node + ":" + list
}
func (q *Queue) nodeKey(node string) string { return q.ns + ":node:" + node }
func (q *Queue) nodesKey() string           { return q.ns + ":nodes" }
func (q *Queue) deadKey() string            { return q.ns + ":dead" }
func (q *Queue) claimKey(key string) string { return q.ns + ":claim:" + key }
func (q *Queue) termKey() string            { return q.ns + ":term" }
