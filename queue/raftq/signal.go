package raftq

import (
	"sync"
	"time"
)

// signal is a broadcast: wait returns a channel that is closed at the next
// fire. Taking the channel before checking a condition never misses a
// change made after the check.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

// wait returns the channel closed by the next fire.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

// fire wakes every waiter.
func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

// limiter lets one log line per key through per period, so an error that
// repeats every few milliseconds is logged once in a while.
type limiter struct {
	mu     sync.Mutex
	period time.Duration
	last   map[string]time.Time
}

func newLimiter(period time.Duration) *limiter {
	return &limiter{period: period, last: map[string]time.Time{}}
}

// allow reports whether a line for key may be logged now.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.period {
		return false
	}
	if len(l.last) > 1000 {
		clear(l.last)
	}
	l.last[key] = now
	return true
}
