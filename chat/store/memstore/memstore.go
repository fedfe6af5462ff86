// Package memstore is a store.Store held in the memory of one process,
// for tests and for a single node with no cluster. It keeps every promise
// of package store except that it is shared: another process never sees
// its keys, and they are gone when the process ends.
package memstore

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-chatops/herald/chat/store"
)

var _ store.Store = (*Store)(nil)

// Store is an in-memory store.Store, safe for concurrent use.
type Store struct {
	now func() time.Time

	mu   sync.Mutex
	data map[string]entry
}

type entry struct {
	value   string
	expires time.Time // zero: never
}

// New returns an empty store on the wall clock.
func New() *Store { return NewWithClock(time.Now) }

// NewWithClock returns an empty store that reads the time from now, so
// that a test can move TTLs forward without waiting.
func NewWithClock(now func() time.Time) *Store {
	return &Store{now: now, data: map[string]entry{}}
}

// id is the map key of a handler's key; handler names hold no NUL.
func id(handler, key string) string { return handler + "\x00" + key }

// live returns the entry under k if it has not expired, dropping it if
// it has. The caller holds mu.
func (s *Store) live(k string) (entry, bool) {
	e, ok := s.data[k]
	if ok && !e.expires.IsZero() && !s.now().Before(e.expires) {
		delete(s.data, k)
		return entry{}, false
	}
	return e, ok
}

// Get returns the value of key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, handler, key string) (string, error) {
	if err := begin(ctx, "get", store.CheckKey(handler, key)); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(id(handler, key))
	if !ok {
		return "", fmt.Errorf("store get: %w", store.ErrNotFound)
	}
	return e.value, nil
}

// Set stores value under key, expiring after ttl when ttl is above zero.
func (s *Store) Set(ctx context.Context, handler, key, value string, ttl time.Duration) error {
	if err := begin(ctx, "set", store.CheckSet(handler, key, value, ttl)); err != nil {
		return err
	}
	e := entry{value: value}
	if ttl > 0 {
		e.expires = s.now().Add(ttl)
	}
	s.mu.Lock()
	s.data[id(handler, key)] = e
	s.mu.Unlock()
	return nil
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, handler, key string) error {
	if err := begin(ctx, "delete", store.CheckKey(handler, key)); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.data, id(handler, key))
	s.mu.Unlock()
	return nil
}

// Incr adds n to the integer under key, from 0 for a missing key, keeping
// the key's TTL.
func (s *Store) Incr(ctx context.Context, handler, key string, n int64) (int64, error) {
	if err := begin(ctx, "incr", store.CheckKey(handler, key)); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := id(handler, key)
	e, found := s.live(k)
	v, err := add(e.value, found, n)
	if err != nil {
		return 0, fmt.Errorf("store incr: %w", err)
	}
	e.value = strconv.FormatInt(v, 10)
	s.data[k] = e
	return v, nil
}

// add returns the integer in old (0 when not found) plus n.
func add(old string, found bool, n int64) (int64, error) {
	var v int64
	if found {
		var err error
		v, err = strconv.ParseInt(old, 10, 64)
		if err != nil || strconv.FormatInt(v, 10) != old {
			return 0, store.ErrNotInteger
		}
	}
	if (n > 0 && v > math.MaxInt64-n) || (n < 0 && v < math.MinInt64-n) {
		return 0, store.ErrNotInteger
	}
	return v + n, nil
}

// Keys returns the handler's live keys starting with prefix, sorted.
func (s *Store) Keys(ctx context.Context, handler, prefix string) ([]string, error) {
	if err := begin(ctx, "keys", store.CheckHandler(handler)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := id(handler, prefix)
	keys := []string{}
	for k := range s.data {
		if _, ok := s.live(k); ok && strings.HasPrefix(k, want) {
			keys = append(keys, k[len(handler)+1:])
		}
	}
	sort.Strings(keys)
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
