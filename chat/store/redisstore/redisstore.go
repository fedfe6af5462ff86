// Package redisstore is the store.Store of Redis mode, on the same Redis
// server (or cluster) as the queue. Each key is one Redis string:
//
//	<ns>:kv:<handler>:<key>
//
// so an operator can read and repair a handler's data with redis-cli.
//
// What it guarantees, beyond package store: every call is one Redis
// command or one Lua script, so it is atomic across all nodes; TTLs are
// Redis expiries (PX, in milliseconds, a TTL under one millisecond counts
// as one). What it does not: durability beyond what the Redis server
// keeps (run it with AOF when notes must survive a Redis restart), and
// Keys is a SCAN over the whole database (every master of a cluster),
// so its cost grows with all keys, not with the handler's.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/chat/store"
)

var _ store.Store = (*Store)(nil)

// scanCount is the COUNT hint of one SCAN step.
const scanCount = 1000

// incrScript adds ARGV[1] to the integer under KEYS[1]. It answers
// {1, value} on success and {0} when the value is not a canonical
// decimal or the sum would overflow; the value is read back with GET
// because Lua numbers would round an int64.
var incrScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and not (v == '0' or (string.match(v, '^-?[1-9]%d*$') and #v <= 20)) then
  return {0}
end
local r = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(r) == 'table' and r.err then
  if string.find(r.err, 'overflow') or string.find(r.err, 'not an integer') then
    return {0}
  end
  return redis.error_reply(r.err)
end
return {1, redis.call('GET', KEYS[1])}
`)

// Store is a store.Store on Redis, safe for concurrent use.
type Store struct {
	c  redis.UniversalClient
	ns string
}

// New returns the store of namespace ns (cluster.namespace) on c. The
// Store does not own c and never closes it.
func New(c redis.UniversalClient, ns string) (*Store, error) {
	if c == nil || ns == "" {
		return nil, fmt.Errorf("redisstore: %w: a client and a namespace are needed",
			store.ErrInvalid)
	}
	return &Store{c: c, ns: ns}, nil
}

// prefix is the Redis key prefix of a handler's keys.
func (s *Store) prefix(handler string) string { return s.ns + ":kv:" + handler + ":" }

// Get returns the value of key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, handler, key string) (string, error) {
	if err := store.CheckKey(handler, key); err != nil {
		return "", fmt.Errorf("store get: %w", err)
	}
	v, err := s.c.Get(ctx, s.prefix(handler)+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("store get: %w", store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store get: %w", err)
	}
	return v, nil
}

// Set stores value under key, expiring after ttl when ttl is above zero.
func (s *Store) Set(ctx context.Context, handler, key, value string, ttl time.Duration) error {
	if err := store.CheckSet(handler, key, value, ttl); err != nil {
		return fmt.Errorf("store set: %w", err)
	}
	if ttl > 0 && ttl < time.Millisecond {
		ttl = time.Millisecond
	}
	if err := s.c.Set(ctx, s.prefix(handler)+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("store set: %w", err)
	}
	return nil
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, handler, key string) error {
	if err := store.CheckKey(handler, key); err != nil {
		return fmt.Errorf("store delete: %w", err)
	}
	if err := s.c.Del(ctx, s.prefix(handler)+key).Err(); err != nil {
		return fmt.Errorf("store delete: %w", err)
	}
	return nil
}

// Incr adds n to the integer under key, from 0 for a missing key.
func (s *Store) Incr(ctx context.Context, handler, key string, n int64) (int64, error) {
	if err := store.CheckKey(handler, key); err != nil {
		return 0, fmt.Errorf("store incr: %w", err)
	}
	keys := []string{s.prefix(handler) + key}
	res, err := incrScript.Run(ctx, s.c, keys, n).Slice()
	if err != nil {
		return 0, fmt.Errorf("store incr: %w", err)
	}
	if len(res) != 2 {
		return 0, fmt.Errorf("store incr: %w", store.ErrNotInteger)
	}
	str, _ := res[1].(string)
	v, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store incr: unexpected reply %q: %w", str, err)
	}
	return v, nil
}

// Keys returns the handler's keys starting with prefix, sorted.
func (s *Store) Keys(ctx context.Context, handler, prefix string) ([]string, error) {
	if err := store.CheckHandler(handler); err != nil {
		return nil, fmt.Errorf("store keys: %w", err)
	}
	base := s.prefix(handler)
	found, err := s.scan(ctx, globEscape(base+prefix)+"*")
	if err != nil {
		return nil, fmt.Errorf("store keys: %w", err)
	}
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, strings.TrimPrefix(k, base))
	}
	sort.Strings(keys)
	return keys, nil
}

// scanner is the part of a client that SCAN needs.
type scanner interface {
	Scan(ctx context.Context, cursor uint64, match string, count int64) *redis.ScanCmd
}

// scan returns the set of keys matching pattern on every master. SCAN
// may return a key twice; the set keeps it once.
func (s *Store) scan(ctx context.Context, pattern string) (map[string]struct{}, error) {
	found := map[string]struct{}{}
	cc, ok := s.c.(*redis.ClusterClient)
	if !ok {
		return found, scanOne(ctx, s.c, pattern, found)
	}
	var mu sync.Mutex
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		part := map[string]struct{}{}
		if err := scanOne(ctx, c, pattern, part); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for k := range part {
			found[k] = struct{}{}
		}
		return nil
	})
	return found, err
}

// scanOne adds the keys matching pattern on one server to found.
func scanOne(ctx context.Context, c scanner, pattern string, found map[string]struct{}) error {
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, pattern, scanCount).Result()
		if err != nil {
			return err
		}
		for _, k := range keys {
			found[k] = struct{}{}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// globEscape quotes the characters that are syntax in a SCAN pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
