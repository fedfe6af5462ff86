package timer_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/queue"
)

// memClaims is an in-memory Claimer with a current term, like the queue's.
type memClaims struct {
	mu    sync.Mutex
	taken map[string]bool
	term  uint64
}

func newClaims() *memClaims { return &memClaims{taken: map[string]bool{}} }

func (c *memClaims) Claim(ctx context.Context, key string, _ time.Duration,
	f queue.Fence) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f != 0 && uint64(f) != c.term {
		return false, fmt.Errorf("claim: %w", queue.ErrFenced)
	}
	if c.taken[key] {
		return false, nil
	}
	c.taken[key] = true
	return true, nil
}

func (c *memClaims) setTerm(term uint64) {
	c.mu.Lock()
	c.term = term
	c.mu.Unlock()
}

// ticks records fired ticks and pushed actions.
type ticks struct {
	mu     sync.Mutex
	slots  map[time.Time]int
	late   []time.Time
	pushed []chat.Action
}

func newTicks() *ticks { return &ticks{slots: map[time.Time]int{}} }

func (tk *ticks) handler(ctx context.Context, t interface {
	Send(string, ...string)
}, slot time.Time, late bool) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.slots[slot]++
	if late {
		tk.late = append(tk.late, slot)
	}
	t.Send("#ops", "tick")
}

func (tk *ticks) push(_ context.Context, acts []chat.Action) error {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.pushed = append(tk.pushed, acts...)
	return nil
}

// counts returns the fire count of each slot, oldest first.
func (tk *ticks) counts() ([]time.Time, []int) {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	var slots []time.Time
	for s := range tk.slots {
		slots = append(slots, s)
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
	n := make([]int, len(slots))
	for i, s := range slots {
		n[i] = tk.slots[s]
	}
	return slots, n
}

func (tk *ticks) total() int {
	_, n := tk.counts()
	sum := 0
	for _, c := range n {
		sum += c
	}
	return sum
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runFor runs f in a goroutine until the returned stop is called, which
// waits for it and returns its error.
func runFor(f func(ctx context.Context) error) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	return func() error { cancel(); return <-done }
}
