package events_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/events"
)

// recorder collects pushed actions and hook calls.
type recorder struct {
	mu      sync.Mutex
	pushed  []chat.Action
	calls   []string
	pushErr error
}

func (r *recorder) push(_ context.Context, acts []chat.Action) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pushErr != nil {
		return r.pushErr
	}
	r.pushed = append(r.pushed, acts...)
	return nil
}

func (r *recorder) called(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *recorder) snapshot() ([]string, []chat.Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...), append([]chat.Action(nil), r.pushed...)
}

// lockedBuffer is a log sink safe for the bus's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBus runs a bus until the test ends and waits for Run to return.
func startBus(t *testing.T, cfg events.Config, rec *recorder) (*events.Bus, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	bus, err := events.New(cfg, rec.push, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); bus.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return bus, logs
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeliveryOrderAndActions(t *testing.T) {
	rec := &recorder{}
	bus, _ := startBus(t, events.DefaultConfig(), rec)
	greet := func(_ context.Context, ev events.Event, out *chat.Outbox) error {
		rec.called("greet " + string(ev.Kind) + " " + ev.Adapter)
		out.Send("#ops", "back on "+ev.Adapter)
		return nil
	}
	second := func(_ context.Context, ev events.Event, _ *chat.Outbox) error {
		rec.called("second " + string(ev.Kind))
		return nil
	}
	mustOn(t, bus, events.ChatConnected, "greet", greet)
	mustOn(t, bus, events.ChatConnected, "second", second)
	mustOn(t, bus, events.MasterStarted, "second", second)

	bus.Emit(events.Event{Kind: events.MasterStarted, Node: "n1", Term: 4})
	bus.Emit(events.Event{Kind: events.ChatConnected, Node: "n1", Term: 4, Adapter: "irc"})
	bus.Emit(events.Event{Kind: events.WorkerStarted, Node: "n1"}) // no hooks
	eventually(t, "three calls", func() bool { c, _ := rec.snapshot(); return len(c) == 3 })

	calls, pushed := rec.snapshot()
	want := []string{"second master_started", "greet chat_connected irc", "second chat_connected"}
	if strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Fatalf("calls = %q, want %q", calls, want)
	}
	if len(pushed) != 1 || pushed[0].Target != "#ops" ||
		!strings.HasPrefix(pushed[0].ID, "event:chat_connected:n1:") ||
		!strings.HasSuffix(pushed[0].ID, ":greet/0") {
		t.Fatalf("pushed = %+v", pushed)
	}
	eventually(t, "delivered counted", func() bool { return bus.Stats().Delivered == 3 })
}

func mustOn(t *testing.T, bus *events.Bus, k events.Kind, name string, h events.Hook) {
	t.Helper()
	if err := bus.On(k, name, h); err != nil {
		t.Fatal(err)
	}
}

func TestPanicErrorAndTimeoutAreContained(t *testing.T) {
	rec := &recorder{}
	cfg := events.DefaultConfig()
	cfg.HookTimeout = 50 * time.Millisecond
	bus, logs := startBus(t, cfg, rec)
	mustOn(t, bus, events.MasterStarted, "boom",
		func(context.Context, events.Event, *chat.Outbox) error { panic("kaboom") })
	mustOn(t, bus, events.MasterStarted, "fails",
		func(context.Context, events.Event, *chat.Outbox) error { return errors.New("nope") })
	mustOn(t, bus, events.MasterStarted, "slow",
		func(ctx context.Context, _ events.Event, out *chat.Outbox) error {
			out.Send("#ops", "too late")
			<-ctx.Done()
			return ctx.Err()
		})
	mustOn(t, bus, events.MasterStarted, "last",
		func(context.Context, events.Event, *chat.Outbox) error { rec.called("last"); return nil })

	start := time.Now()
	bus.Emit(events.Event{Kind: events.MasterStarted, Node: "n1", Term: 1})
	if time.Since(start) > 10*time.Millisecond {
		t.Fatalf("Emit blocked for %v", time.Since(start))
	}
	eventually(t, "the last hook runs", func() bool { c, _ := rec.snapshot(); return len(c) == 1 })

	st := bus.Stats()
	if st.Panicked != 1 || st.Failed != 1 || st.TimedOut != 1 || st.Delivered != 1 {
		t.Fatalf("stats = %+v", st)
	}
	if _, pushed := rec.snapshot(); len(pushed) != 0 {
		t.Fatalf("a timed-out hook's actions were pushed: %+v", pushed)
	}
	for _, want := range []string{"event hook panicked", "kaboom", "event hook failed",
		"event hook timed out"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestPushFailureCounts(t *testing.T) {
	rec := &recorder{pushErr: errors.New("redis down")}
	bus, _ := startBus(t, events.DefaultConfig(), rec)
	mustOn(t, bus, events.WorkerStarted, "hello",
		func(_ context.Context, _ events.Event, out *chat.Outbox) error {
			out.Send("#ops", "hi")
			return nil
		})
	bus.Emit(events.Event{Kind: events.WorkerStarted, Node: "n1"})
	eventually(t, "failure counted", func() bool { return bus.Stats().Failed == 1 })
}

func TestBacklogDropsAndStopFlushes(t *testing.T) {
	rec := &recorder{}
	cfg := events.DefaultConfig()
	cfg.Backlog = 2
	bus, err := events.New(cfg, rec.push, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	mustOn(t, bus, events.MasterStopped, "bye",
		func(_ context.Context, ev events.Event, _ *chat.Outbox) error {
			rec.called(ev.Reason)
			return nil
		})
	for _, reason := range []string{"a", "b", "c"} {
		bus.Emit(events.Event{Kind: events.MasterStopped, Reason: reason})
	}
	if bus.Stats().Dropped != 1 {
		t.Fatalf("dropped = %d, want 1", bus.Stats().Dropped)
	}

	// A bus whose context already ended still delivers what was emitted.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bus.Run(ctx)
	if calls, _ := rec.snapshot(); strings.Join(calls, "") != "ab" {
		t.Fatalf("calls = %q, want a then b", calls)
	}
}

func TestRunDoesNotWaitForeverForAStuckHook(t *testing.T) {
	cfg := events.DefaultConfig()
	cfg.HookTimeout = 20 * time.Millisecond
	bus, err := events.New(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release)
	mustOn(t, bus, events.WorkerStarted, "stuck",
		func(context.Context, events.Event, *chat.Outbox) error { <-release; return nil })
	bus.Emit(events.Event{Kind: events.WorkerStarted})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	bus.Run(ctx)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Run took %v", d)
	}
}

func TestOnRefuses(t *testing.T) {
	bus, err := events.New(events.DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context, events.Event, *chat.Outbox) error { return nil }
	mustOn(t, bus, events.ChatConnected, "x", ok)
	bad := []struct {
		name string
		kind events.Kind
		hook string
		h    events.Hook
	}{
		{"unknown kind", "chat_exploded", "y", ok},
		{"bad name", events.ChatConnected, "a b", ok},
		{"nil hook", events.ChatConnected, "z", nil},
		{"taken", events.ChatConnected, "x", ok},
	}
	for _, tc := range bad {
		if err := bus.On(tc.kind, tc.hook, tc.h); !errors.Is(err, events.ErrBadHook) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*events.Config)
		want string
	}{
		{"defaults", func(*events.Config) {}, ""},
		{"tiny timeout", func(c *events.Config) { c.HookTimeout = time.Millisecond },
			"chat.events.hook_timeout (1ms)"},
		{"no backlog", func(c *events.Config) { c.Backlog = 0 }, "chat.events.backlog (0)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := events.DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if (tc.want == "") != (err == nil) || (err != nil &&
				!strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
