package queuetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// ctxFor returns a context that ends with t or after a generous bound,
// so that a hung backend fails the test instead of wedging it.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// envelope returns a test envelope with id and a small body.
func envelope(id string) queue.Envelope {
	return queue.Envelope{
		V:        queue.Version,
		ID:       id,
		Kind:     "test",
		Enqueued: time.Now().UTC().Truncate(time.Millisecond),
		Meta:     map[string]string{"event": "push"},
		Body:     json.RawMessage(fmt.Sprintf(`{"id":%q}`, id)),
	}
}

// push pushes envelopes with the given ids to list without a fence.
func push(t *testing.T, q queue.Queue, list string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := q.Push(ctxFor(t), list, envelope(id), 0); err != nil {
			t.Fatalf("push %s to %s: %v", id, list, err)
		}
	}
}

// pop pops from list without waiting and fails the test when it is empty.
func pop(t *testing.T, q queue.Queue, list string) *queue.Delivery {
	t.Helper()
	d, err := q.Pop(ctxFor(t), list, 0)
	if err != nil {
		t.Fatalf("pop %s: %v", list, err)
	}
	return d
}

// popID pops from list and checks that the envelope is id.
func popID(t *testing.T, q queue.Queue, list, id string) *queue.Delivery {
	t.Helper()
	d := pop(t, q, list)
	if d.Envelope.ID != id {
		t.Fatalf("pop %s: got %q, want %q", list, d.Envelope.ID, id)
	}
	return d
}

// ack acknowledges d and fails the test on error.
func ack(t *testing.T, q queue.Queue, d *queue.Delivery) {
	t.Helper()
	if err := q.Ack(ctxFor(t), d); err != nil {
		t.Fatalf("ack %s: %v", d.Envelope.ID, err)
	}
}

// drain pops and acknowledges everything on list and returns the ids in
// the order they came. It stops after limit envelopes.
func drain(t *testing.T, q queue.Queue, list string, limit int) []string {
	t.Helper()
	var ids []string
	for range limit {
		d, err := q.Pop(ctxFor(t), list, 0)
		if errors.Is(err, queue.ErrEmpty) {
			return ids
		}
		if err != nil {
			t.Fatalf("drain %s: %v", list, err)
		}
		ids = append(ids, d.Envelope.ID)
		ack(t, q, d)
	}
	t.Fatalf("drain %s: more than %d envelopes", list, limit)
	return nil
}

// depths returns q's depths and fails the test on error.
func depths(t *testing.T, q queue.Queue) map[string]int64 {
	t.Helper()
	d, err := q.Depths(ctxFor(t))
	if err != nil {
		t.Fatalf("depths: %v", err)
	}
	return d
}

// wantDepths checks the depths of the named lists; others must be 0.
func wantDepths(t *testing.T, q queue.Queue, want map[string]int64) {
	t.Helper()
	got := depths(t, q)
	for _, list := range append([]string{queue.Dead}, queue.Lists...) {
		if got[list] != want[list] {
			t.Errorf("depth of %s = %d, want %d (all: %v)", list, got[list], want[list], got)
		}
	}
}

// kill makes envelope id on list fail until it is a dead letter.
func kill(t *testing.T, q queue.Queue, list, id string) {
	t.Helper()
	push(t, q, list, id)
	for i := 1; i <= Config().MaxAttempts; i++ {
		d := popID(t, q, list, id)
		dead, err := q.Retry(ctxFor(t), d, fmt.Errorf("failure %d", i))
		if err != nil {
			t.Fatalf("retry %s: %v", id, err)
		}
		if dead != (i == Config().MaxAttempts) {
			t.Fatalf("retry %d of %s: dead = %v", i, id, dead)
		}
	}
}

// eventually polls cond every 20ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nodeIDs returns the ids of q's live nodes.
func nodeIDs(t *testing.T, q queue.Queue) []string {
	t.Helper()
	nodes, err := q.Nodes(ctxFor(t))
	if err != nil {
		t.Fatalf("nodes: %v", err)
	}
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	return ids
}
