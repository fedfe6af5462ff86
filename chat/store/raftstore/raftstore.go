// Package raftstore is the store.Store of raft mode: the handlers' keys
// live in the raft state machine of queue/raftq, next to the lists, so a
// cluster needs no Redis for them either. Each handler is one space of
// the state machine's key-value part.
//
// What it guarantees, beyond package store: a Set, Delete or Incr that
// returned nil is in the raft log of a majority and survives the loss of
// a minority of the nodes, a leader change and a restart of all of them;
// it is applied once however often it was retried across a leader
// change, so Incr never counts twice. Every call goes to the raft leader
// (a follower forwards it), and reads are answered by the leader after
// its read barrier, so a handler reads its own writes from any node.
// Keys and values are kept byte for byte, and the snapshots hold them.
//
// What it does not: progress without a majority (calls wait for a leader
// until their context ends); exact TTLs across a leader change, since
// expiries are measured with the clock of the leader, and two leaders'
// clocks may differ; and a read from a leader that was deposed a moment
// ago may miss the newest write. Keys walks the handler's keys only, but
// all of them live in every node's memory, so a handler should keep a
// few thousand keys, not an index.
package raftstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/queue/raftq"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on the key-value space of a raftq.Node, safe for
// concurrent use.
type Store struct {
	kv *raftq.KV
}

// New returns the store of n's cluster. The Store does not own n: it has
// nothing to close, and stops working (calls fail with queue.ErrClosed)
// once n is closed.
func New(n *raftq.Node) (*Store, error) {
	if n == nil {
		return nil, fmt.Errorf("raftstore: %w: a raft node is needed", store.ErrInvalid)
	}
	return &Store{kv: n.KV()}, nil
}

// Get returns the value of key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, handler, key string) (string, error) {
	if err := begin(ctx, "get", store.CheckKey(handler, key)); err != nil {
		return "", err
	}
	v, err := s.kv.Get(ctx, handler, key)
	return v, fail("get", err)
}

// Set stores value under key, expiring after ttl when ttl is above zero.
func (s *Store) Set(ctx context.Context, handler, key, value string, ttl time.Duration) error {
	if err := begin(ctx, "set", store.CheckSet(handler, key, value, ttl)); err != nil {
		return err
	}
	return fail("set", s.kv.Set(ctx, handler, key, value, ttl))
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, handler, key string) error {
	if err := begin(ctx, "delete", store.CheckKey(handler, key)); err != nil {
		return err
	}
	return fail("delete", s.kv.Delete(ctx, handler, key))
}

// Incr adds n to the integer under key, from 0 for a missing key,
// keeping the key's TTL.
func (s *Store) Incr(ctx context.Context, handler, key string, n int64) (int64, error) {
	if err := begin(ctx, "incr", store.CheckKey(handler, key)); err != nil {
		return 0, err
	}
	v, err := s.kv.Incr(ctx, handler, key, n)
	return v, fail("incr", err)
}

// Keys returns the handler's live keys starting with prefix, sorted.
func (s *Store) Keys(ctx context.Context, handler, prefix string) ([]string, error) {
	if err := begin(ctx, "keys", store.CheckHandler(handler)); err != nil {
		return nil, err
	}
	keys, err := s.kv.Keys(ctx, handler, prefix)
	if err != nil {
		return nil, fail("keys", err)
	}
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}

// begin returns the error that stops a call before it starts: a done
// context or an invalid argument.
func begin(ctx context.Context, op string, invalid error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store %s: %w", op, err)
	}
	if invalid != nil {
		return fmt.Errorf("store %s: %w", op, invalid)
	}
	return nil
}

// fail wraps err with the operation, and adds the store's sentinel to the
// state machine's refusals; nil stays nil.
func fail(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raftq.ErrNoKey):
		return fmt.Errorf("store %s: %w", op, store.ErrNotFound)
	case errors.Is(err, raftq.ErrNotInteger):
		return fmt.Errorf("store %s: %w", op, store.ErrNotInteger)
	}
	return fmt.Errorf("store %s: %w", op, err)
}
