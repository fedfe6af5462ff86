package redisq

import (
	"sync"
	"time"
)

// limiter lets a repeated warning through once per interval per key and
// counts the ones it held back, so a poisoned list cannot flood the log.
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	last  map[string]time.Time
	held  map[string]int
}

func newLimiter(every time.Duration) *limiter {
	return &limiter{every: every, last: map[string]time.Time{}, held: map[string]int{}}
}

// allow reports whether a warning for key may be logged at now, and how
// many were held back since the last one that was.
func (l *limiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.last[key]; ok && now.Sub(last) < l.every {
		l.held[key]++
		return false, 0
	}
	n := l.held[key]
	l.last[key] = now
	delete(l.held, key)
	return true, n
}
