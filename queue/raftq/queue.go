package raftq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// errNoID is returned by Push for an envelope without an id.
var errNoID = errors.New("envelope has no id")

// Queue is a queue.Queue whose lists live in the raft state machine of a
// Node. Every call goes to the leader: handled here when this node leads,
// forwarded otherwise, and retried across leader changes until its
// context ends. Reads (Depths, DeadLetters, Nodes) are answered by the
// leader too, so a caller reads its own writes. It is safe for concurrent
// use.
type Queue struct {
	n      *Node
	cfg    queue.Config
	node   string
	client string
	log    *slog.Logger
	warn   *limiter

	mu        sync.Mutex
	seq       uint64
	inflight  map[uint64]struct{}
	abandoned []uint64
	wake      chan struct{}
	calls     map[uint64]context.CancelFunc
	nextCall  uint64

	closed atomic.Bool
	once   sync.Once
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

var _ queue.Queue = (*Queue)(nil)

// Queue returns a queue whose leases belong to node nodeID (this raft
// node's id when empty). Heartbeats of the queue must carry the same id.
// Closing the queue leaves the Node running.
func (n *Node) Queue(cfg queue.Config, nodeID string) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("raftq: queue: %w", err)
	}
	if err := n.cfg.ValidateQueue(cfg); err != nil {
		return nil, fmt.Errorf("raftq: queue: %w", err)
	}
	if nodeID == "" {
		nodeID = n.self.ID
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{n: n, cfg: cfg, node: nodeID, client: hex.EncodeToString(id),
		log: n.log.With("queue_node", nodeID), warn: newLimiter(time.Minute),
		inflight: map[uint64]struct{}{}, wake: make(chan struct{}, 1), stop: cancel,
		calls: map[uint64]context.CancelFunc{}}
	q.wg.Add(1)
	go q.abandonLoop(ctx)
	return q, nil
}

// encode stamps e with this build's version and returns its bytes.
func encode(e queue.Envelope) (json.RawMessage, error) {
	if e.ID == "" {
		return nil, errNoID
	}
	e.V = queue.Version
	if e.Enqueued.IsZero() {
		e.Enqueued = time.Now().UTC()
	}
	return json.Marshal(e)
}

// Push appends e to the back of list. A zero e.Enqueued is set to now
// and e.V to queue.Version; e.ID must not be empty.
func (q *Queue) Push(ctx context.Context, list string, e queue.Envelope, f queue.Fence) error {
	const name = "push"
	if err := q.ready(ctx, name, list); err != nil {
		return err
	}
	data, err := encode(e)
	if err != nil {
		return fmt.Errorf("raftq: %s: %w", name, err)
	}
	_, err = q.do(ctx, name, &op{Op: opPush, List: list, Data: data, Fence: uint64(f)})
	return err
}

// Pop waits up to wait for the next envelope on list and leases it to
// this queue's node. A wait of zero or less does not wait. When ctx ends
// while a pop may have been applied, the queue tells the leader in the
// background, which puts a leased envelope back in front.
func (q *Queue) Pop(ctx context.Context, list string,
	wait time.Duration) (*queue.Delivery, error) {
	const name = "pop"
	if err := q.ready(ctx, name, list); err != nil {
		return nil, err
	}
	seq, floor := q.begin()
	c := &op{V: cmdVersion, Op: opPop, List: list, Node: q.node, Client: q.client,
		Seq: seq, Floor: floor, Wait: wait, deadline: time.Now().Add(wait)}
	cctx, done := q.track(ctx)
	res, err := q.n.call(cctx, c)
	done()
	if err != nil && cctx.Err() != nil && !q.closed.Load() {
		q.abandon(seq)
		return nil, q.fail(ctx, name, err)
	}
	q.end(seq)
	if err == nil {
		err = res.err()
	}
	if err != nil {
		return nil, q.fail(ctx, name, err)
	}
	return q.delivery(ctx, res)
}

// delivery turns a pop's result into a Delivery. An envelope that does
// not decode, which Push never stores, goes to the dead letters.
func (q *Queue) delivery(ctx context.Context, res response) (*queue.Delivery, error) {
	var e queue.Envelope
	if err := json.Unmarshal(res.Data, &e); err != nil {
		_, derr := q.do(ctx, "pop", &op{Op: opRetry, Lease: res.Lease,
			Cause: "undecodable envelope: " + err.Error()})
		return nil, errors.Join(fmt.Errorf("raftq: pop: undecodable envelope: %w", err), derr)
	}
	return &queue.Delivery{List: res.List, Envelope: e,
		Lease: strconv.FormatUint(res.Lease, 10)}, nil
}

// Ack ends the lease: the work is done. Acknowledging a lease that is
// gone (reaped after this node's heartbeat lapsed) logs a warning and
// returns nil: another node has the envelope now.
func (q *Queue) Ack(ctx context.Context, d *queue.Delivery) error {
	_, err := q.endLease(ctx, "ack", d, &op{Op: opAck})
	return err
}

// Release ends the lease and puts the envelope back unchanged at the
// front of its list.
func (q *Queue) Release(ctx context.Context, d *queue.Delivery) error {
	_, err := q.endLease(ctx, "release", d, &op{Op: opRelease})
	return err
}

// Retry ends the lease and puts the envelope at the back of its list with
// Attempts raised and cause recorded, or on the dead-letter list once
// Attempts reaches queue.max_attempts.
func (q *Queue) Retry(ctx context.Context, d *queue.Delivery, cause error) (bool, error) {
	c := &op{Op: opRetry, Max: queue.MaxFor(q.cfg.MaxAttempts, cause)}
	if cause != nil {
		c.Cause = cause.Error()
	}
	res, err := q.endLease(ctx, "retry", d, c)
	return res.N == 1, err
}

// endLease sends c for d's lease.
func (q *Queue) endLease(ctx context.Context, name string, d *queue.Delivery,
	c *op) (response, error) {
	if d == nil {
		return response{}, fmt.Errorf("raftq: %s: nil delivery", name)
	}
	if err := q.ready(ctx, name, d.List); err != nil {
		return response{}, err
	}
	id, err := strconv.ParseUint(d.Lease, 10, 64)
	if err != nil || id == 0 {
		return response{}, fmt.Errorf("raftq: %s: %w: lease %q is not from this backend",
			name, ErrBadRequest, d.Lease)
	}
	c.Lease = id
	res, err := q.do(ctx, name, c)
	if err == nil && !res.OK {
		q.lost(name, d)
	}
	return res, err
}

// lost reports a lease that was gone when its end came.
func (q *Queue) lost(name string, d *queue.Delivery) {
	if q.warn.allow("lost:" + name) {
		q.log.Warn("lease was gone, another node has the envelope", "op", name,
			"queue", d.List, "msg_id", d.Envelope.ID)
	}
}

// Depths returns the length of each list in queue.Lists and of
// queue.Dead.
func (q *Queue) Depths(ctx context.Context) (map[string]int64, error) {
	res, err := q.read(ctx, "depths", &op{Op: opDepths})
	return res.Depths, err
}

// DeadLetters returns up to limit dead letters, oldest first; a limit of
// zero or less returns all.
func (q *Queue) DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error) {
	res, err := q.read(ctx, "dead letters", &op{Op: opDead, Limit: limit})
	return res.Dead, err
}

// Requeue moves the dead letters with envelope id, or all of them when id
// is empty, to the back of their lists with Attempts and Error cleared.
func (q *Queue) Requeue(ctx context.Context, id string) (int, error) {
	res, err := q.write(ctx, "requeue", &op{Op: opRequeue, ID: id})
	return int(res.N), err
}

// Claim returns true the first time key is claimed within ttl. With a
// non-zero fence it fails with queue.ErrFenced unless f is the current
// term. The claim's expiry is measured on the leader's clock.
func (q *Queue) Claim(ctx context.Context, key string, ttl time.Duration,
	f queue.Fence) (bool, error) {
	if ttl < time.Millisecond {
		return false, fmt.Errorf("raftq: claim: ttl %v must be at least 1ms", ttl)
	}
	res, err := q.write(ctx, "claim", &op{Op: opClaim, Key: key, TTL: ttl,
		Fence: uint64(f), Node: q.node})
	return res.OK, err
}

// Unclaim forgets a claim this node made, so that a later delivery of the
// same id can claim it again. A claim made by another node is left alone.
func (q *Queue) Unclaim(ctx context.Context, key string) error {
	_, err := q.write(ctx, "unclaim", &op{Op: opUnclaim, Key: key, Node: q.node})
	return err
}

// Heartbeat records this node as alive for ttl with info, Seen set to
// the leader's now. info.ID must be empty (it is filled in) or this
// queue's node id.
func (q *Queue) Heartbeat(ctx context.Context, info queue.NodeInfo, ttl time.Duration) error {
	switch {
	case ttl < time.Millisecond:
		return fmt.Errorf("raftq: heartbeat: ttl %v must be at least 1ms", ttl)
	case info.ID != "" && info.ID != q.node:
		return fmt.Errorf("raftq: heartbeat: info id %q is not this node %q", info.ID, q.node)
	}
	info.ID = q.node
	_, err := q.write(ctx, "heartbeat", &op{Op: opHeartbeat, Info: &info, TTL: ttl})
	return err
}

// Nodes returns the nodes whose heartbeat has not lapsed, by id.
func (q *Queue) Nodes(ctx context.Context) ([]queue.NodeInfo, error) {
	res, err := q.read(ctx, "nodes", &op{Op: opNodes})
	return res.Nodes, err
}

// Reap returns to the front of their lists the leases held by nodes whose
// heartbeat lapsed, and reports how many moved.
func (q *Queue) Reap(ctx context.Context) (int, error) {
	res, err := q.write(ctx, "reap", &op{Op: opReap})
	return int(res.N), err
}

// Ping checks that a leader is reachable and answers.
func (q *Queue) Ping(ctx context.Context) error {
	_, err := q.read(ctx, "ping", &op{Op: opPing})
	return err
}

// Close stops the queue; calls return queue.ErrClosed from then on.
// Leases stay for Reap; the Node keeps running.
func (q *Queue) Close() error {
	q.once.Do(func() {
		q.closed.Store(true)
		q.mu.Lock()
		for _, cancel := range q.calls {
			cancel()
		}
		q.mu.Unlock()
		q.stop()
		q.wg.Wait()
	})
	return nil
}

// track returns a context for one call that Close cancels, and the
// function that ends it.
func (q *Queue) track(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	q.mu.Lock()
	q.nextCall++
	id := q.nextCall
	q.calls[id] = cancel
	q.mu.Unlock()
	return ctx, func() {
		q.mu.Lock()
		delete(q.calls, id)
		q.mu.Unlock()
		cancel()
	}
}

// read sends a request that changes nothing.
func (q *Queue) read(ctx context.Context, name string, c *op) (response, error) {
	if err := q.ready(ctx, name, ""); err != nil {
		return response{}, err
	}
	c.V = cmdVersion
	cctx, done := q.track(ctx)
	defer done()
	res, err := q.n.call(cctx, c)
	if err == nil {
		err = res.err()
	}
	return res, q.fail(ctx, name, err)
}

// write is do after the readiness check, for calls without a list.
func (q *Queue) write(ctx context.Context, name string, c *op) (response, error) {
	if err := q.ready(ctx, name, ""); err != nil {
		return response{}, err
	}
	return q.do(ctx, name, c)
}

// do sends a request that changes state, under a sequence number of
// this queue's session so that a retry is applied once.
func (q *Queue) do(ctx context.Context, name string, c *op) (response, error) {
	seq, floor := q.begin()
	defer q.end(seq)
	c.V, c.Client, c.Seq, c.Floor = cmdVersion, q.client, seq, floor
	cctx, done := q.track(ctx)
	defer done()
	res, err := q.n.call(cctx, c)
	if err == nil {
		err = res.err()
	}
	return res, q.fail(ctx, name, err)
}

// ready refuses a call on a closed queue, with a done context, or for an
// unknown list (list "" is for calls without one).
func (q *Queue) ready(ctx context.Context, name, list string) error {
	return queue.CheckCall(ctx, "raftq", name, list, q.closed.Load())
}

// fail wraps err with the call's name; nil stays nil. A done context is
// reported as such, whatever the last failure was.
func (q *Queue) fail(ctx context.Context, name string, err error) error {
	switch {
	case err == nil:
		return nil
	case q.closed.Load() || errors.Is(err, queue.ErrClosed):
		return fmt.Errorf("raftq: %s: %w", name, queue.ErrClosed)
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("raftq: %s: %w (last failure: %v)", name, ctx.Err(), err)
	}
	return fmt.Errorf("raftq: %s: %w", name, err)
}
