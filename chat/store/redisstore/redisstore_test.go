package redisstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/chat/store/redisstore"
	"github.com/herald-chatops/herald/chat/store/storetest"
	"github.com/herald-chatops/herald/queue/redistest"
)

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestConformance runs the store suite on one real redis-server, each
// subtest in a namespace of its own.
func TestConformance(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	c := client(t, srv.Addr)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := redisstore.New(c, fmt.Sprintf("test%d", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestKeyLayout checks the documented layout, which operators rely on.
func TestKeyLayout(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	c := client(t, srv.Addr)
	s, err := redisstore.New(c, "herald")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Set(ctx, "notes", "a:b", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "herald:kv:notes:a:b").Result(); err != nil || v != "v" {
		t.Fatalf("raw key = %q, %v", v, err)
	}
	if ttl := c.PTTL(ctx, "herald:kv:notes:a:b").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("raw ttl = %v", ttl)
	}
}

// TestRestartKeepsData shows a note surviving a restart of an
// append-only Redis, as it would a failover of Herald's master.
func TestRestartKeepsData(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	c := client(t, srv.Addr)
	s, _ := redisstore.New(c, "herald")
	ctx := context.Background()
	if _, err := s.Incr(ctx, "count", "k", 3); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := s.Get(ctx, "count", "k")
		if err == nil {
			if v != "3" {
				t.Fatalf("after restart: %q", v)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNewRefusesEmpty(t *testing.T) {
	if _, err := redisstore.New(nil, "x"); err == nil {
		t.Fatal("nil client accepted")
	}
}
