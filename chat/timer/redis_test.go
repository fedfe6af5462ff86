package timer_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/chat/store/redisstore"
	"github.com/herald-chatops/herald/chat/timer"
	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redisq"
	"github.com/herald-chatops/herald/queue/redistest"
)

// TestRedisThreeNodes runs three schedulers, each with its own Redis
// clients and queue as three nodes would have, on one real redis-server,
// with the fenced claims of the current term: each slot fires once. Then
// the term moves on and every scheduler stops.
func TestRedisThreeNodes(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = admin.Close() })
	ctx := context.Background()
	if err := admin.Set(ctx, "herald:term", "7", 0).Err(); err != nil {
		t.Fatal(err)
	}
	tk := newTicks()
	var dones []chan error
	for _, id := range []string{"n1", "n2", "n3"} {
		s := redisScheduler(t, srv.Addr, id, tk)
		addCounting(t, s, tk, "beat", 50*time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx, 7) }()
		dones = append(dones, done)
	}
	eventually(t, 10*time.Second, "eight ticks", func() bool { return tk.total() >= 8 })

	// A newer term fences every scheduler off.
	if err := admin.Set(ctx, "herald:term", "8", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, done := range dones {
		select {
		case err := <-done:
			if !errors.Is(err, queue.ErrFenced) {
				t.Errorf("Run = %v, want ErrFenced", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a scheduler went on after its term")
		}
	}
	slots, counts := tk.counts()
	for i, n := range counts {
		if n != 1 {
			t.Errorf("slot %v fired %d times", slots[i], n)
		}
	}
	checkIDs(t, tk)
}

func redisScheduler(t *testing.T, addr, id string, tk *ticks) *timer.Scheduler {
	t.Helper()
	cfg := redisq.DefaultConfig()
	cfg.Addr = addr
	cmd, block, err := redisq.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := redisq.New(cmd, block, "herald", id, queue.DefaultConfig(),
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close(); _ = cmd.Close() })
	st, err := redisstore.New(cmd, "herald")
	if err != nil {
		t.Fatal(err)
	}
	return timer.NewScheduler(st, q, tk.push, slog.New(slog.DiscardHandler))
}
