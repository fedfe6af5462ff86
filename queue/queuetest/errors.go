package queuetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// cancelled: every call with a cancelled context fails with an error
// that is context.Canceled, and changes nothing.
func (s suite) cancelled(t *testing.T) {
	q := s.open(t, "a")
	push(t, q, queue.Jobs, "x")
	d := pop(t, q, queue.Jobs)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"push":         func() error { return q.Push(ctx, queue.Jobs, envelope("y"), 0) },
		"pop":          func() error { _, err := q.Pop(ctx, queue.Jobs, time.Second); return err },
		"ack":          func() error { return q.Ack(ctx, d) },
		"release":      func() error { return q.Release(ctx, d) },
		"retry":        func() error { _, err := q.Retry(ctx, d, errors.New("x")); return err },
		"depths":       func() error { _, err := q.Depths(ctx); return err },
		"dead letters": func() error { _, err := q.DeadLetters(ctx, 1); return err },
		"requeue":      func() error { _, err := q.Requeue(ctx, ""); return err },
		"claim":        func() error { _, err := q.Claim(ctx, "k", time.Minute, 0); return err },
		"unclaim":      func() error { return q.Unclaim(ctx, "k") },
		"heartbeat": func() error {
			return q.Heartbeat(ctx, queue.NodeInfo{ID: "a"}, time.Minute)
		},
		"nodes": func() error { _, err := q.Nodes(ctx); return err },
		"reap":  func() error { _, err := q.Reap(ctx); return err },
		"ping":  func() error { return q.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
	}
	// The lease is still held and ends normally.
	wantDepths(t, q, nil)
	ack(t, q, d)
	wantClaim(t, q, "k", time.Minute, true)
}

// unknownList: lists outside queue.Lists are refused.
func (s suite) unknownList(t *testing.T) {
	q := s.open(t, "a")
	if err := q.Push(ctxFor(t), "nope", envelope("x"), 0); !errors.Is(err, queue.ErrUnknownList) {
		t.Errorf("push to unknown list: %v, want ErrUnknownList", err)
	}
	if _, err := q.Pop(ctxFor(t), "nope", 0); !errors.Is(err, queue.ErrUnknownList) {
		t.Errorf("pop from unknown list: %v, want ErrUnknownList", err)
	}
	if _, err := q.Pop(ctxFor(t), queue.Dead, 0); !errors.Is(err, queue.ErrUnknownList) {
		t.Errorf("pop from the dead letters: %v, want ErrUnknownList", err)
	}
}

// closed: calls after Close fail with ErrClosed, and Close again is no
// error.
func (s suite) closed(t *testing.T) {
	q := s.open(t, "a")
	if err := q.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := q.Push(ctxFor(t), queue.Jobs, envelope("x"), 0); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("push after close: %v, want ErrClosed", err)
	}
	if _, err := q.Pop(ctxFor(t), queue.Jobs, 0); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("pop after close: %v, want ErrClosed", err)
	}
	if err := q.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}
