package irc

import (
	"context"
	"sync"
)

// turnstile lets one Perform write at a time, so that the lines of one
// action stay together, and lets answers to people (urgent) go before any
// notice still waiting.
type turnstile struct {
	mu     sync.Mutex
	busy   bool
	urgent int           // urgent callers waiting
	wake   chan struct{} // closed when the turn is given back or a waiter leaves
}

func newTurnstile() *turnstile { return &turnstile{wake: make(chan struct{})} }

// take waits for the turn: while someone writes, and, for a notice, while
// an answer waits.
func (t *turnstile) take(ctx context.Context, urgent bool) error {
	t.mu.Lock()
	if urgent {
		t.urgent++
	}
	for t.busy || (!urgent && t.urgent > 0) {
		w := t.wake
		t.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			t.mu.Lock()
			if urgent {
				t.urgent--
				t.broadcast() // notices may go now
			}
			t.mu.Unlock()
			return ctx.Err()
		}
		t.mu.Lock()
	}
	if urgent {
		t.urgent--
	}
	t.busy = true
	t.mu.Unlock()
	return nil
}

// give hands the turn back.
func (t *turnstile) give() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.busy = false
	t.broadcast()
}

// broadcast wakes every waiter to look again. t.mu must be held.
func (t *turnstile) broadcast() {
	close(t.wake)
	t.wake = make(chan struct{})
}
