package http

import (
	"encoding/json"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"time"
)

// problem is the body of every error answer.
type problem struct {
	Error string `json:"error"`
}

// writeJSON answers code with v as JSON.
func writeJSON(w nethttp.ResponseWriter, code int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers code with msg as a JSON error.
func writeError(w nethttp.ResponseWriter, code int, msg string) {
	writeJSON(w, code, problem{Error: msg})
}

// Stats counts webhook requests since the server was made, by outcome.
type Stats struct {
	// Accepted webhooks were queued and answered 202.
	Accepted uint64 `json:"accepted"`
	// NoFormatter counts accepted webhooks whose event the source cannot
	// format (they are in Accepted too).
	NoFormatter uint64 `json:"no_formatter"`
	// Unauthorized webhooks failed the signature check (401).
	Unauthorized uint64 `json:"unauthorized"`
	// BadRequest webhooks had bad headers or a malformed body, or were cut
	// short (400, 408).
	BadRequest uint64 `json:"bad_request"`
	// TooLarge webhooks had a body over http.max_body (413).
	TooLarge uint64 `json:"too_large"`
	// Unavailable webhooks could not be queued (503).
	Unavailable uint64 `json:"unavailable"`
}

// counters are the live Stats.
type counters struct {
	accepted, noFormatter, unauthorized atomic.Uint64
	badRequest, tooLarge, unavailable   atomic.Uint64
}

// refused counts a webhook refused with code.
func (c *counters) refused(code int) {
	switch code {
	case nethttp.StatusUnauthorized:
		c.unauthorized.Add(1)
	case nethttp.StatusRequestEntityTooLarge:
		c.tooLarge.Add(1)
	case nethttp.StatusServiceUnavailable:
		c.unavailable.Add(1)
	default:
		c.badRequest.Add(1)
	}
}

// Stats returns the webhook counts so far.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Accepted:     c.accepted.Load(),
		NoFormatter:  c.noFormatter.Load(),
		Unauthorized: c.unauthorized.Load(),
		BadRequest:   c.badRequest.Load(),
		TooLarge:     c.tooLarge.Load(),
		Unavailable:  c.unavailable.Load(),
	}
}

// throttle lets a warning through at most once per interval for each
// message, so that a flood of failing webhooks does not flood the log.
type throttle struct {
	every   time.Duration
	mu      sync.Mutex
	last    map[string]time.Time
	dropped map[string]int
}

func newThrottle(every time.Duration) *throttle {
	return &throttle{every: every, last: map[string]time.Time{}, dropped: map[string]int{}}
}

// allow reports whether msg may be logged now, and how many were held
// back since it last was.
func (t *throttle) allow(msg string, now time.Time) (bool, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.last[msg]) < t.every {
		t.dropped[msg]++
		return false, 0
	}
	n := t.dropped[msg]
	t.last[msg], t.dropped[msg] = now, 0
	return true, n
}

// warnf logs a warning unless the same message was logged very recently.
func (s *Server) warnf(msg string, args ...any) {
	ok, held := s.warns.allow(msg, time.Now())
	if !ok {
		return
	}
	if held > 0 {
		args = append(args, "suppressed", held)
	}
	s.log.Warn(msg, args...)
}
