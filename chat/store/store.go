// Package store is the key-value storage that handlers share across the
// cluster: a note written by a handler on one node is read back by a
// handler on any other node, and survives a failover of the master.
//
// Every call names the handler it stores for; handlers never see each
// other's keys. Backends: redisstore (Redis mode), memstore (tests and
// single-process use) and the raft state machine (raft mode). Each one
// runs storetest.Run, which checks the semantics below.
//
// What every Store guarantees:
//
//   - Each call is atomic on its own: Incr from many nodes at once loses
//     no increment, and a Get sees a whole value or none.
//   - A value set with a TTL is gone for every reader once the TTL has
//     passed (Redis counts it in milliseconds). Set without a TTL keeps the
//     value until it is deleted or set again, and clears an earlier TTL.
//     Incr keeps the key's TTL.
//   - Incr on a missing key starts from 0, so it returns n. It works on
//     values in the decimal form Incr itself writes, and fails with
//     ErrNotInteger on anything else or on overflow, leaving the value.
//   - Keys returns the keys with the prefix of one handler, sorted,
//     without expired ones.
//   - A cancelled context is returned as the context's error.
//
// What it does not do: transactions over several keys, compare-and-set,
// or notifications. Keys walks every key of the backend (a SCAN in Redis),
// so it suits a handler's few hundred keys, not a large index. Values are
// strings of at most MaxValueLen bytes; store JSON for structure.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Limits every backend enforces, so that a handler behaves alike on all.
const (
	// MaxKeyLen is the longest key, in bytes.
	MaxKeyLen = 512
	// MaxValueLen is the longest value, in bytes.
	MaxValueLen = 1 << 20
)

// Errors returned by every Store, wrapped with the operation.
var (
	// ErrNotFound is returned by Get for a missing or expired key.
	ErrNotFound = errors.New("store: key not found")
	// ErrNotInteger is returned by Incr when the value is not an integer
	// in decimal form or the result would overflow an int64.
	ErrNotInteger = errors.New("store: value is not an integer or would overflow")
	// ErrInvalid is returned for a handler name, key, value or TTL outside
	// the limits.
	ErrInvalid = errors.New("store: invalid argument")
)

// Store is a key-value store with one namespace per handler.
type Store interface {
	// Get returns the value of key, or ErrNotFound.
	Get(ctx context.Context, handler, key string) (string, error)
	// Set stores value under key. A ttl above zero makes the key expire
	// after it; zero keeps it until deleted.
	Set(ctx context.Context, handler, key, value string, ttl time.Duration) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, handler, key string) error
	// Incr adds n (which may be negative) to the integer under key,
	// treating a missing key as 0, and returns the new value.
	Incr(ctx context.Context, handler, key string, n int64) (int64, error)
	// Keys returns the handler's keys that start with prefix, sorted.
	Keys(ctx context.Context, handler, prefix string) ([]string, error)
}

// handlerName is what a handler's namespace may be called: it is part of
// every backend key, so it must not hold a separator.
var handlerName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// CheckHandler refuses a handler name outside the limits: 1 to 64
// letters, digits, '_', '.' or '-'.
func CheckHandler(handler string) error {
	if !handlerName.MatchString(handler) {
		return fmt.Errorf("%w: handler name %q must be 1 to 64 letters, digits, '_', '.' or '-'",
			ErrInvalid, handler)
	}
	return nil
}

// CheckKey refuses an invalid handler name and a key that is empty or
// longer than MaxKeyLen.
func CheckKey(handler, key string) error {
	if err := CheckHandler(handler); err != nil {
		return err
	}
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: key must be 1 to %d bytes (got %d)", ErrInvalid, MaxKeyLen,
			len(key))
	}
	return nil
}

// CheckSet refuses what Set must refuse: an invalid key, a value longer
// than MaxValueLen, a negative TTL.
func CheckSet(handler, key, value string, ttl time.Duration) error {
	if err := CheckKey(handler, key); err != nil {
		return err
	}
	if len(value) > MaxValueLen {
		return fmt.Errorf("%w: value of %d bytes is over %d", ErrInvalid, len(value),
			MaxValueLen)
	}
	if ttl < 0 {
		return fmt.Errorf("%w: negative ttl %v", ErrInvalid, ttl)
	}
	return nil
}
