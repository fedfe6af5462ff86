package queuetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/herald-chatops/herald/queue"
)

// fifo: envelopes come out in the order they went in, unchanged.
func (s suite) fifo(t *testing.T) {
	q := s.open(t, "a")
	want := envelope("m1")
	if err := q.Push(ctxFor(t), queue.Inbound, want, 0); err != nil {
		t.Fatalf("push: %v", err)
	}
	push(t, q, queue.Inbound, "m2", "m3")
	got := popID(t, q, queue.Inbound, "m1")
	sameEnvelope(t, got.Envelope, want)
	if got.List != queue.Inbound {
		t.Errorf("delivery list = %q, want %q", got.List, queue.Inbound)
	}
	ack(t, q, got)
	if ids := drain(t, q, queue.Inbound, 10); !slices.Equal(ids, []string{"m2", "m3"}) {
		t.Errorf("rest = %v, want [m2 m3]", ids)
	}
}

// sameEnvelope compares what a backend must keep of an envelope.
func sameEnvelope(t *testing.T, got, want queue.Envelope) {
	t.Helper()
	switch {
	case got.ID != want.ID || got.Kind != want.Kind || got.V != queue.Version:
		t.Errorf("envelope = %+v, want %+v", got, want)
	case got.Attempts != want.Attempts || got.Error != want.Error:
		t.Errorf("attempts, error = %d, %q; want %d, %q",
			got.Attempts, got.Error, want.Attempts, want.Error)
	case !got.Enqueued.Equal(want.Enqueued):
		t.Errorf("enqueued = %v, want %v", got.Enqueued, want.Enqueued)
	case !maps.Equal(got.Meta, want.Meta):
		t.Errorf("meta = %v, want %v", got.Meta, want.Meta)
	case !bytes.Equal(got.Body, want.Body):
		t.Errorf("body = %s, want %s", got.Body, want.Body)
	}
}

// lanes: each list is its own queue.
func (s suite) lanes(t *testing.T) {
	q := s.open(t, "a")
	push(t, q, queue.Jobs, "j1")
	push(t, q, queue.Inbound, "i1")
	push(t, q, queue.Outbound, "o1")
	ack(t, q, popID(t, q, queue.Inbound, "i1"))
	ack(t, q, popID(t, q, queue.Outbound, "o1"))
	ack(t, q, popID(t, q, queue.Jobs, "j1"))
	wantDepths(t, q, nil)
}

// ack: an acknowledged envelope is gone for good.
func (s suite) ack(t *testing.T) {
	q := s.open(t, "a")
	push(t, q, queue.Jobs, "x")
	ack(t, q, pop(t, q, queue.Jobs))
	if _, err := q.Pop(ctxFor(t), queue.Jobs, 0); !errors.Is(err, queue.ErrEmpty) {
		t.Fatalf("pop after ack: %v, want ErrEmpty", err)
	}
	wantDepths(t, q, nil)
}

// release: a released envelope comes next, unchanged.
func (s suite) release(t *testing.T) {
	q := s.open(t, "a")
	push(t, q, queue.Inbound, "a", "b")
	d := popID(t, q, queue.Inbound, "a")
	if err := q.Release(ctxFor(t), d); err != nil {
		t.Fatalf("release: %v", err)
	}
	again := popID(t, q, queue.Inbound, "a")
	sameEnvelope(t, again.Envelope, d.Envelope)
	ack(t, q, again)
	ack(t, q, popID(t, q, queue.Inbound, "b"))
}

// retry: a retried envelope goes to the back with its attempt and error
// recorded, and to the dead letters after MaxAttempts with the error.
func (s suite) retry(t *testing.T) {
	q := s.open(t, "a")
	push(t, q, queue.Jobs, "x", "y")
	d := popID(t, q, queue.Jobs, "x")
	if dead, err := q.Retry(ctxFor(t), d, errors.New("boom 1")); err != nil || dead {
		t.Fatalf("retry 1 = %v, %v; want false, nil", dead, err)
	}
	ack(t, q, popID(t, q, queue.Jobs, "y"))
	for i, cause := range []string{"boom 2", "boom 3"} {
		d = popID(t, q, queue.Jobs, "x")
		if d.Envelope.Attempts != i+1 {
			t.Fatalf("attempts = %d, want %d", d.Envelope.Attempts, i+1)
		}
		dead, err := q.Retry(ctxFor(t), d, errors.New(cause))
		if err != nil || dead != (i == 1) {
			t.Fatalf("retry %d = %v, %v", i+2, dead, err)
		}
	}
	wantDepths(t, q, map[string]int64{queue.Dead: 1})
	letters, err := q.DeadLetters(ctxFor(t), 10)
	if err != nil || len(letters) != 1 {
		t.Fatalf("dead letters = %v, %v; want one", letters, err)
	}
	l := letters[0]
	if l.List != queue.Jobs || l.Envelope.ID != "x" || l.Envelope.Attempts != 3 ||
		l.Envelope.Error != "boom 3" || l.Died.IsZero() {
		t.Errorf("dead letter = %+v", l)
	}
}

// permanent: a failure marked queue.ErrPermanent is dead at once.
func (s suite) permanent(t *testing.T) {
	q := s.open(t, "a")
	push(t, q, queue.Jobs, "x")
	d := popID(t, q, queue.Jobs, "x")
	cause := fmt.Errorf("decode: %w", queue.ErrPermanent)
	if dead, err := q.Retry(ctxFor(t), d, cause); err != nil || !dead {
		t.Fatalf("retry = %v, %v; want dead at once", dead, err)
	}
	wantDepths(t, q, map[string]int64{queue.Dead: 1})
}

// requeue: dead letters go back by id or all at once, attempts reset.
func (s suite) requeue(t *testing.T) {
	q := s.open(t, "a")
	kill(t, q, queue.Jobs, "x")
	kill(t, q, queue.Inbound, "y")
	letters, err := q.DeadLetters(ctxFor(t), 0)
	if err != nil || len(letters) != 2 || letters[0].Envelope.ID != "x" {
		t.Fatalf("dead letters = %+v, %v; want x then y", letters, err)
	}
	requeue(t, q, "nope", 0)
	requeue(t, q, "x", 1)
	wantDepths(t, q, map[string]int64{queue.Jobs: 1, queue.Dead: 1})
	d := popID(t, q, queue.Jobs, "x")
	if d.Envelope.Attempts != 0 {
		t.Errorf("requeued attempts = %d, want 0", d.Envelope.Attempts)
	}
	ack(t, q, d)
	requeue(t, q, "", 1)
	ack(t, q, popID(t, q, queue.Inbound, "y"))
	requeue(t, q, "", 0)
	wantDepths(t, q, nil)
}

// requeue calls Requeue(id) and checks how many moved.
func requeue(t *testing.T, q queue.Queue, id string, want int) {
	t.Helper()
	n, err := q.Requeue(ctxFor(t), id)
	if err != nil || n != want {
		t.Fatalf("requeue %q = %d, %v; want %d", id, n, err, want)
	}
}

// depths: each list and the dead letters are counted apart; leased
// envelopes are not on their list.
func (s suite) depths(t *testing.T) {
	q := s.open(t, "a")
	wantDepths(t, q, nil)
	kill(t, q, queue.Jobs, "dead")
	push(t, q, queue.Inbound, "i1", "i2")
	push(t, q, queue.Outbound, "o1")
	push(t, q, queue.Jobs, "j1", "j2", "j3")
	pop(t, q, queue.Jobs)
	wantDepths(t, q, map[string]int64{
		queue.Inbound: 2, queue.Outbound: 1, queue.Jobs: 2, queue.Dead: 1,
	})
	limited, err := q.DeadLetters(ctxFor(t), 1)
	if err != nil || len(limited) != 1 {
		t.Fatalf("dead letters(1) = %v, %v", limited, err)
	}
}
