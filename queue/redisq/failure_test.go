package redisq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redistest"
)

// A Redis crash and restart with AOF keeps lists and leases, and the same
// Queue works again after it reconnects.
func TestRestartKeepsListsAndLeases(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("m%d", i)
		if err := q.Push(ctxFor(t), queue.Jobs, env(ids[i]), 0); err != nil {
			t.Fatal(err)
		}
	}
	held := make([]*queue.Delivery, 3)
	for i := range held {
		held[i] = mustPop(t, q, queue.Jobs, ids[i])
	}
	if err := q.Ack(ctxFor(t), held[0]); err != nil {
		t.Fatal(err)
	}

	restartUnderPop(t, srv, q)
	// The first call may meet a connection that died with the server;
	// the Queue must recover on its own within a few tries.
	tries := 0
	eventually(t, 5*time.Second, "ack after restart", func() bool {
		tries++
		return q.Ack(ctxFor(t), held[1]) == nil
	})
	t.Logf("ack after restart succeeded at try %d", tries)
	if err := q.Release(ctxFor(t), held[2]); err != nil {
		t.Fatalf("release after restart: %v", err)
	}
	got := popAll(t, q, queue.Jobs)
	if !slices.Equal(got, ids[2:]) {
		t.Fatalf("after restart the list gave %v, want %v", got, ids[2:])
	}
}

// restartUnderPop restarts srv while a Pop blocks, and checks that the
// Pop returns, with an error or empty.
func restartUnderPop(t *testing.T, srv *redistest.Server, q *Queue) {
	t.Helper()
	popDone := make(chan error, 1)
	go func() {
		_, err := q.Pop(ctxFor(t), queue.Inbound, 2*time.Second)
		popDone <- err
	}()
	waitBlocked(t, rawClient(t, srv.Addr), 1)
	srv.Restart()
	select {
	case err := <-popDone:
		t.Logf("pop blocked across the restart returned %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("pop blocked across the restart did not return")
	}
}

// Calls fail with an error, not a hang, while Redis does not answer, and
// work again with the same Queue once it does.
func TestPausedRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig(srv.Addr)
	cfg.Timeout = 300 * time.Millisecond
	q := openQueue(t, cfg, "herald", "a")
	if err := q.Push(ctxFor(t), queue.Jobs, env("before"), 0); err != nil {
		t.Fatal(err)
	}

	srv.Pause()
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	for name, call := range map[string]func(ctx context.Context) error{
		"push":  func(ctx context.Context) error { return q.Push(ctx, queue.Jobs, env("during"), 0) },
		"depth": func(ctx context.Context) error { _, err := q.Depths(ctx); return err },
		"ping":  q.Ping,
	} {
		start := time.Now()
		err := call(ctxFor(t))
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s while paused: %v, want a Redis error", name, err)
		}
		el := time.Since(start)
		if el > 3*time.Second {
			t.Errorf("%s while paused took %v", name, el)
		}
		t.Logf("%s while paused failed after %v: %v", name, el, err)
	}
	srv.Resume()
	resumed = true

	eventually(t, 5*time.Second, "push after resume", func() bool {
		return q.Push(ctxFor(t), queue.Jobs, env("after"), 0) == nil
	})
	got := popAll(t, q, queue.Jobs)
	got = slices.DeleteFunc(got, func(id string) bool { return id == "during" })
	if !slices.Equal(got, []string{"before", "after"}) {
		t.Fatalf("after resume the list gave %v, want before and after", got)
	}
}

// mustPop pops from list without waiting and checks the envelope id.
func mustPop(t *testing.T, q *Queue, list, id string) *queue.Delivery {
	t.Helper()
	d, err := q.Pop(ctxFor(t), list, 0)
	if err != nil || d.Envelope.ID != id {
		t.Fatalf("pop = %+v, %v; want %s", d, err, id)
	}
	return d
}

// popAll pops and acknowledges everything on list, returning the ids.
func popAll(t *testing.T, q *Queue, list string) []string {
	t.Helper()
	var ids []string
	for range 10000 {
		d, err := q.Pop(ctxFor(t), list, 0)
		if errors.Is(err, queue.ErrEmpty) {
			return ids
		}
		if err != nil {
			t.Fatalf("pop: %v", err)
		}
		if err := q.Ack(ctxFor(t), d); err != nil {
			t.Fatalf("ack: %v", err)
		}
		ids = append(ids, d.Envelope.ID)
	}
	t.Fatal("popAll: list does not end")
	return nil
}
