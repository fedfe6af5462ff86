package raftq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// KV is the key-value space of a Node's state machine: string values
// under keys in named spaces (one per handler, for chat/store/raftstore),
// each value with an optional expiry.
//
// Like Queue, every call goes to the leader, forwarded from a follower,
// and is retried across leader changes until its context ends. A write
// is a raft log entry applied once however often it is retried (Incr
// never counts twice). Reads are answered by the leader after its read
// barrier, so a caller reads its own writes. Expiries are measured with
// the leader's clock: a write carries it in its entry, a read uses the
// clock of the leader that answers. Keys and values may hold any bytes;
// their sizes are bounded only by the forwarding frame (64 MiB), so a
// caller sets its own limits. KV is safe for concurrent use and has
// nothing to close: it stops working with its Node.
type KV struct {
	n      *Node
	client string

	mu       sync.Mutex
	seq      uint64
	inflight map[uint64]struct{}
}

// KV returns a new view of the key-value space. Each view is one client
// of the state machine, which remembers its recent write results for
// retries; a process needs only one.
func (n *Node) KV() *KV {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	return &KV{n: n, client: "kv-" + hex.EncodeToString(id),
		inflight: map[uint64]struct{}{}}
}

// Get returns the value under key in space, or ErrNoKey when it is
// missing or expired.
func (kv *KV) Get(ctx context.Context, space, key string) (string, error) {
	res, err := kv.read(ctx, "get", &op{Op: opKVGet, Space: space, Name: text(key)})
	return string(res.Value), err
}

// Set stores value under key in space. A ttl above zero makes it expire
// that long after the leader applies it; zero keeps it until it is
// deleted or set again.
func (kv *KV) Set(ctx context.Context, space, key, value string, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("raftq: kv set: %w: negative ttl %v", ErrBadRequest, ttl)
	}
	_, err := kv.write(ctx, "set", &op{Op: opKVSet, Space: space, Name: text(key),
		Value: text(value), TTL: ttl})
	return err
}

// Delete removes key from space; a missing key is not an error.
func (kv *KV) Delete(ctx context.Context, space, key string) error {
	_, err := kv.write(ctx, "delete", &op{Op: opKVDelete, Space: space, Name: text(key)})
	return err
}

// Incr adds n to the integer under key in space, from 0 for a missing
// key, keeps the key's expiry, and returns the new value. It fails with
// ErrNotInteger, leaving the value, when the value is not in the decimal
// form Incr writes or the sum would overflow an int64.
func (kv *KV) Incr(ctx context.Context, space, key string, n int64) (int64, error) {
	res, err := kv.write(ctx, "incr", &op{Op: opKVIncr, Space: space, Name: text(key), By: n})
	return res.N, err
}

// Keys returns the live keys of space that start with prefix, sorted
// bytewise.
func (kv *KV) Keys(ctx context.Context, space, prefix string) ([]string, error) {
	res, err := kv.read(ctx, "keys", &op{Op: opKVKeys, Space: space, Name: text(prefix)})
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(res.Names))
	for i, k := range res.Names {
		keys[i] = string(k)
	}
	return keys, nil
}

// read sends a request that changes nothing.
func (kv *KV) read(ctx context.Context, name string, c *op) (response, error) {
	if err := kv.ready(ctx, c); err != nil {
		return response{}, fmt.Errorf("raftq: kv %s: %w", name, err)
	}
	c.V = cmdVersion
	return kv.result(ctx, name, c)
}

// write sends a request that changes state, under a sequence number of
// this view's session so that a retry is applied once.
func (kv *KV) write(ctx context.Context, name string, c *op) (response, error) {
	if err := kv.ready(ctx, c); err != nil {
		return response{}, fmt.Errorf("raftq: kv %s: %w", name, err)
	}
	seq, floor := kv.begin()
	defer kv.end(seq)
	c.V, c.Client, c.Seq, c.Floor = cmdVersion, kv.client, seq, floor
	return kv.result(ctx, name, c)
}

// result carries out c and turns its answer into an error, telling a
// done context apart from the last failure.
func (kv *KV) result(ctx context.Context, name string, c *op) (response, error) {
	res, err := kv.n.call(ctx, c)
	if err == nil {
		err = res.err()
	}
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return res, fmt.Errorf("raftq: kv %s: %w (last failure: %v)", name, ctx.Err(), err)
	}
	return res, fmt.Errorf("raftq: kv %s: %w", name, err)
}

// ready refuses a call with a done context, on a closed node, or whose
// space or key the state machine could not keep. An empty key is allowed
// where it is a prefix.
func (kv *KV) ready(ctx context.Context, c *op) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case kv.n.closed.Load():
		return ErrClosed
	case c.Space == "" || !utf8.ValidString(c.Space):
		return fmt.Errorf("%w: space %q must be non-empty UTF-8", ErrBadRequest, c.Space)
	case c.Name == "" && c.Op != opKVKeys:
		return fmt.Errorf("%w: empty key", ErrBadRequest)
	}
	return nil
}

// begin allocates a sequence number and returns it with the floor: the
// lowest number still in flight, below which the state machine may
// forget this client's results.
func (kv *KV) begin() (seq, floor uint64) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	kv.seq++
	kv.inflight[kv.seq] = struct{}{}
	floor = kv.seq
	for s := range kv.inflight {
		floor = min(floor, s)
	}
	return kv.seq, floor
}

// end marks request seq finished.
func (kv *KV) end(seq uint64) {
	kv.mu.Lock()
	delete(kv.inflight, seq)
	kv.mu.Unlock()
}

// kvRead answers kv_get and kv_keys on the leader, which has passed its
// read barrier, with expiries measured on its clock.
func (n *Node) kvRead(c *op) response {
	if c.Space == "" {
		return response{Code: codeBadRequest, Msg: "key-value read without space"}
	}
	now := time.Now().UnixNano()
	var res response
	n.fsm.read(func(s *state) {
		if c.Op == opKVKeys {
			for _, k := range s.kvKeys(c.Space, string(c.Name), now) {
				res.Names = append(res.Names, text(k))
			}
			return
		}
		v, ok := s.kvGet(c.Space, string(c.Name), now)
		if !ok {
			res.Code = codeNoKey
		}
		res.Value = text(v)
	})
	return res
}
