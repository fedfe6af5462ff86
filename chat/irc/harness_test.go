package irc_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/irc"
)

// bot is an adapter running in a test, with what it reported.
type bot struct {
	*irc.Adapter
	t      *testing.T
	cancel context.CancelFunc
	done   chan error

	mu       sync.Mutex
	msgs     []chat.Message
	connects int
	drops    []error
}

// testConfig is a fast configuration for addr: a generous bucket, short
// intervals, and the channel #ops.
func testConfig(addr string) irc.Config {
	cfg := irc.DefaultConfig()
	cfg.Server = addr
	cfg.Nick = "herald"
	cfg.Channels = []string{"#ops"}
	cfg.Rate, cfg.Burst = 100, 100
	cfg.PingInterval = 2 * time.Second
	cfg.ReconnectMax = 500 * time.Millisecond
	return cfg
}

// startBot runs an adapter until the test ends.
func startBot(t *testing.T, cfg irc.Config) *bot {
	t.Helper()
	a, err := irc.New(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &bot{Adapter: a, t: t, cancel: cancel, done: make(chan error, 1)}
	go func() { b.done <- a.Run(ctx, b.events()) }()
	t.Cleanup(func() { b.stop() })
	return b
}

func (b *bot) events() chat.Events {
	return chat.Events{
		Receive: func(m chat.Message) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.msgs = append(b.msgs, m)
		},
		Connected: func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.connects++
		},
		Disconnected: func(err error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.drops = append(b.drops, err)
		},
	}
}

// stop cancels Run and returns how long it took to return, failing the
// test if it does not return within 5s.
func (b *bot) stop() time.Duration {
	start := time.Now()
	b.cancel()
	select {
	case err := <-b.done:
		b.done <- err // keep it for a second stop
		if err != nil {
			b.t.Errorf("Run returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		b.t.Fatal("Run did not return within 5s of cancel")
	}
	return time.Since(start)
}

func (b *bot) connectCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connects
}

func (b *bot) disconnects() []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]error(nil), b.drops...)
}

// waitConnected waits until Connected was called n times in all.
func (b *bot) waitConnected(n int) {
	b.t.Helper()
	waitUntil(b.t, 10*time.Second, "bot connected", func() bool { return b.connectCount() >= n })
}

// waitMessage waits for a received message that match accepts.
func (b *bot) waitMessage(match func(chat.Message) bool) chat.Message {
	b.t.Helper()
	var got chat.Message
	waitUntil(b.t, 5*time.Second, "message received", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, m := range b.msgs {
			if match(m) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

func (b *bot) messages() []chat.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chat.Message(nil), b.msgs...)
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLogger routes the adapter's logs to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // t.Log panics once the test ended
	w.t.Logf("%s", p)
	return len(p), nil
}
