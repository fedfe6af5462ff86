package redisq

import (
	"errors"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// The key layout is read by other tools and by the election; it must
// not drift.
func TestKeyLayout(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "hq", "n1")
	raw := rawClient(t, srv.Addr)
	ctx := ctxFor(t)
	if err := q.Push(ctx, queue.Outbound, env("o1"), 0); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, queue.Outbound, env("o2"), 0); err != nil {
		t.Fatal(err)
	}
	mustPop(t, q, queue.Outbound, "o1")
	if err := q.Heartbeat(ctx, queue.NodeInfo{}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Claim(ctx, "reply:1", time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	d := mustPop(t, q, queue.Outbound, "o2")
	for i := range queuetest.Config().MaxAttempts {
		if _, err := q.Retry(ctx, d, errors.New("x")); err != nil {
			t.Fatal(err)
		}
		if i < queuetest.Config().MaxAttempts-1 {
			d = mustPop(t, q, queue.Outbound, "o2")
		}
	}
	if err := q.Push(ctx, queue.Jobs, env("j1"), 0); err != nil {
		t.Fatal(err)
	}
	wantTypes := map[string]string{
		"hq:list:jobs":        "list",
		"hq:proc:n1:outbound": "list",
		"hq:node:n1":          "string",
		"hq:nodes":            "set",
		"hq:dead":             "list",
		"hq:claim:reply:1":    "string",
	}
	for key, want := range wantTypes {
		if got := raw.Type(ctx, key).Val(); got != want {
			t.Errorf("type of %s = %q, want %q", key, got, want)
		}
	}
}

// A fenced write is refused while the election has written no term.
func TestFencedWithoutTerm(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	err := q.Push(ctxFor(t), queue.Outbound, env("x"), 1)
	if !errors.Is(err, queue.ErrFenced) {
		t.Fatalf("fenced push without a term: %v, want ErrFenced", err)
	}
	if _, err := q.Claim(ctxFor(t), "k", time.Minute, 1); !errors.Is(err, queue.ErrFenced) {
		t.Fatalf("fenced claim without a term: %v, want ErrFenced", err)
	}
}

// A node heartbeats only as itself.
func TestHeartbeatRefusesOtherID(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	if err := q.Heartbeat(ctxFor(t), queue.NodeInfo{ID: "b"}, time.Minute); err == nil {
		t.Fatal("heartbeat as another node was accepted")
	}
	if err := q.Heartbeat(ctxFor(t), queue.NodeInfo{}, 0); err == nil {
		t.Fatal("heartbeat with zero ttl was accepted")
	}
}

// Unclaim leaves a claim that another node holds.
func TestUnclaimLeavesOthersClaim(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a := openQueue(t, testConfig(srv.Addr), "herald", "a")
	b := openQueue(t, testConfig(srv.Addr), "herald", "b")
	if ok, err := b.Claim(ctxFor(t), "k", time.Minute, 0); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if err := a.Unclaim(ctxFor(t), "k"); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.Claim(ctxFor(t), "k", time.Minute, 0); ok || err != nil {
		t.Fatalf("claim after another node's unclaim = %v, %v; want false", ok, err)
	}
}
