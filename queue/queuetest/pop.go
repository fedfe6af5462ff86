package queuetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// popEmpty: Pop on an empty list waits about its wait, then ErrEmpty; a
// zero wait returns at once.
func (s suite) popEmpty(t *testing.T) {
	q := s.open(t, "a")
	start := time.Now()
	if _, err := q.Pop(ctxFor(t), queue.Jobs, 0); !errors.Is(err, queue.ErrEmpty) {
		t.Fatalf("pop with no wait: %v, want ErrEmpty", err)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("pop with no wait took %v", el)
	}
	start = time.Now()
	if _, err := q.Pop(ctxFor(t), queue.Jobs, time.Second); !errors.Is(err, queue.ErrEmpty) {
		t.Fatalf("pop with 1s wait: %v, want ErrEmpty", err)
	}
	if el := time.Since(start); el < 900*time.Millisecond || el > 3*time.Second {
		t.Errorf("pop with 1s wait returned after %v", el)
	}
}

// popDeadline: a context deadline shorter than the wait ends Pop soon
// after the deadline, with ErrEmpty or the context's error.
func (s suite) popDeadline(t *testing.T) {
	q := s.open(t, "a")
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := q.Pop(ctx, queue.Jobs, time.Minute)
	if !errors.Is(err, queue.ErrEmpty) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pop past its deadline: %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("pop with a 1.5s deadline returned after %v", el)
	}
}

// concurrent: two nodes popping at once while envelopes arrive get
// disjoint envelopes and, together, all of them.
func (s suite) concurrent(t *testing.T) {
	const n, perNode = 500, 4
	nodes := []queue.Queue{s.open(t, "a"), s.open(t, "b")}
	var seen sync.Map
	var got, dups atomic.Int64
	var wg sync.WaitGroup
	ctx := ctxFor(t)
	for i, q := range nodes {
		for w := range perNode {
			wg.Go(func() {
				c := consumer{q: q, name: fmt.Sprintf("%d/%d", i, w), seen: &seen,
					got: &got, dups: &dups, want: n}
				c.run(ctx, t)
			})
		}
	}
	for i := range n {
		push(t, nodes[i%2], queue.Jobs, fmt.Sprintf("c%03d", i))
	}
	wg.Wait()
	if got.Load() != n || dups.Load() != 0 {
		t.Fatalf("consumed %d envelopes with %d duplicates, want %d and none",
			got.Load(), dups.Load(), n)
	}
	wantDepths(t, nodes[0], nil)
}

// consumer pops and acknowledges until want envelopes were consumed by
// all consumers together, or time runs out.
type consumer struct {
	q         queue.Queue
	name      string
	seen      *sync.Map
	got, dups *atomic.Int64
	want      int64
}

func (c consumer) run(ctx context.Context, t *testing.T) {
	deadline := time.Now().Add(20 * time.Second)
	for c.got.Load() < c.want && time.Now().Before(deadline) {
		d, err := c.q.Pop(ctx, queue.Jobs, time.Second)
		if errors.Is(err, queue.ErrEmpty) {
			continue
		}
		if err != nil {
			t.Errorf("consumer %s: pop: %v", c.name, err)
			return
		}
		if _, dup := c.seen.LoadOrStore(d.Envelope.ID, c.name); dup {
			c.dups.Add(1)
		}
		if err := c.q.Ack(ctx, d); err != nil {
			t.Errorf("consumer %s: ack: %v", c.name, err)
			return
		}
		c.got.Add(1)
	}
}
