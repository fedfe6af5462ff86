package store

import (
	"context"
	"time"
)

// Scope is a Store bound to one handler's namespace, which is what a
// handler keeps and calls.
type Scope struct {
	s       Store
	handler string
}

// For returns the scope of handler in s. The name is checked on each
// call, so a bad name shows as ErrInvalid there.
func For(s Store, handler string) Scope { return Scope{s: s, handler: handler} }

// Handler returns the name of the scope's namespace.
func (sc Scope) Handler() string { return sc.handler }

// Get returns the value of key, or ErrNotFound.
func (sc Scope) Get(ctx context.Context, key string) (string, error) {
	return sc.s.Get(ctx, sc.handler, key)
}

// Set stores value under key, expiring after ttl when ttl is above zero.
func (sc Scope) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	return sc.s.Set(ctx, sc.handler, key, value, ttl)
}

// Delete removes key.
func (sc Scope) Delete(ctx context.Context, key string) error {
	return sc.s.Delete(ctx, sc.handler, key)
}

// Incr adds n to the integer under key and returns the new value.
func (sc Scope) Incr(ctx context.Context, key string, n int64) (int64, error) {
	return sc.s.Incr(ctx, sc.handler, key, n)
}

// Keys returns the keys starting with prefix, sorted.
func (sc Scope) Keys(ctx context.Context, prefix string) ([]string, error) {
	return sc.s.Keys(ctx, sc.handler, prefix)
}
