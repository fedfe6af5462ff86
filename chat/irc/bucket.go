package irc

import (
	"context"
	"sync"
	"time"
)

// bucket is the token bucket every written line passes. Ordinary lines
// wait for a token; the adapter's own protocol lines (PONG, QUIT) take one
// without waiting, which may drive the count below zero and so delays the
// ordinary lines behind them instead.
type bucket struct {
	rate  float64 // tokens per second
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst),
		last: time.Now()}
}

// refill adds the tokens earned since the last call. b.mu must be held.
func (b *bucket) refill(now time.Time) {
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	b.last = now
}

// wait takes a token, waiting until one is there or ctx ends. An ended
// ctx takes nothing, even when a token is free.
func (b *bucket) wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.mu.Lock()
		b.refill(time.Now())
		if b.tokens >= 1 {
			b.tokens--
			b.mu.Unlock()
			return nil
		}
		need := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()

		t := time.NewTimer(need)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// take takes a token at once, going into debt if there is none.
func (b *bucket) take() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(time.Now())
	b.tokens--
}

// tryTake takes a token if one is there and reports whether it did.
func (b *bucket) tryTake() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(time.Now())
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// fill gives the bucket its whole burst again.
func (b *bucket) fill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = b.burst
	b.last = time.Now()
}
