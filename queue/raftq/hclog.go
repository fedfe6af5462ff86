package raftq

import (
	"context"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// hclogger hands hashicorp/raft's log lines to slog. Raft logs routine
// events (entering follower state, starting a snapshot) at Info; Herald
// keeps Info for its own state changes, so raft's Info and below become
// Debug. Warnings and errors stay what they are but are rate-limited per
// message, since raft repeats them every heartbeat while a peer is down.
type hclogger struct {
	log   *slog.Logger
	name  string
	args  []any
	limit *limiter
	// closing, once true, turns raft's complaints about connections the
	// node itself is closing into Debug lines.
	closing *atomic.Bool
}

var _ hclog.Logger = (*hclogger)(nil)

// newHclog returns an hclog.Logger writing to log.
func newHclog(log *slog.Logger, closing *atomic.Bool) *hclogger {
	return &hclogger{log: log, name: "raft", limit: newLimiter(5 * time.Second),
		closing: closing}
}

// Log writes one line at level.
func (h *hclogger) Log(level hclog.Level, msg string, args ...any) {
	lv := slog.LevelDebug
	switch {
	case h.closing.Load():
	case level >= hclog.Error:
		lv = slog.LevelError
	case level == hclog.Warn:
		lv = slog.LevelWarn
	}
	ctx := context.Background()
	if !h.log.Enabled(ctx, lv) {
		return
	}
	if lv >= slog.LevelWarn && !h.limit.allow(msg) {
		return
	}
	all := append([]any{"component", h.name}, h.args...)
	h.log.Log(ctx, lv, msg, append(all, args...)...)
}

// Trace logs at trace level (Debug in slog).
func (h *hclogger) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }

// Debug logs at debug level.
func (h *hclogger) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }

// Info logs at info level (Debug in slog).
func (h *hclogger) Info(msg string, args ...any) { h.Log(hclog.Info, msg, args...) }

// Warn logs at warn level.
func (h *hclogger) Warn(msg string, args ...any) { h.Log(hclog.Warn, msg, args...) }

// Error logs at error level.
func (h *hclogger) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

// IsTrace reports whether trace lines are written.
func (h *hclogger) IsTrace() bool { return false }

// IsDebug reports whether debug lines are written.
func (h *hclogger) IsDebug() bool {
	return h.log.Enabled(context.Background(), slog.LevelDebug)
}

// IsInfo reports whether info lines are written (they become Debug).
func (h *hclogger) IsInfo() bool { return h.IsDebug() }

// IsWarn reports whether warnings are written.
func (h *hclogger) IsWarn() bool {
	return h.log.Enabled(context.Background(), slog.LevelWarn)
}

// IsError reports whether errors are written.
func (h *hclogger) IsError() bool {
	return h.log.Enabled(context.Background(), slog.LevelError)
}

// ImpliedArgs returns the arguments added by With.
func (h *hclogger) ImpliedArgs() []any { return h.args }

// With returns a logger that adds args to every line.
func (h *hclogger) With(args ...any) hclog.Logger {
	c := *h
	c.args = append(append([]any{}, h.args...), args...)
	return &c
}

// Name returns the logger's name.
func (h *hclogger) Name() string { return h.name }

// Named returns a logger whose name has name appended.
func (h *hclogger) Named(name string) hclog.Logger {
	c := *h
	c.name = h.name + "." + name
	return &c
}

// ResetNamed returns a logger named name.
func (h *hclogger) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

// SetLevel does nothing: the slog handler decides the level.
func (h *hclogger) SetLevel(hclog.Level) {}

// GetLevel returns the level the slog handler lets through.
func (h *hclogger) GetLevel() hclog.Level {
	if h.IsDebug() {
		return hclog.Debug
	}
	return hclog.Warn
}

// StandardLogger returns a log.Logger that writes through this logger.
func (h *hclogger) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(nil), "", 0)
}

// StandardWriter returns a writer whose lines are logged at Debug.
func (h *hclogger) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return lineWriter{h}
}

// lineWriter logs each Write as one debug line.
type lineWriter struct{ h *hclogger }

// Write logs p.
func (w lineWriter) Write(p []byte) (int, error) {
	w.h.Debug(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
