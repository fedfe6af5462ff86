package node

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redisq"
	"github.com/herald-chatops/herald/queue/redistest"
)

// fakeElector is always master of a term the test sets.
type fakeElector struct {
	mu      sync.Mutex
	st      election.State
	changed chan struct{}
}

func newFakeElector(term uint64) *fakeElector {
	e := &fakeElector{changed: make(chan struct{}, 1)}
	e.set(term)
	return e
}

func (e *fakeElector) set(term uint64) {
	e.mu.Lock()
	e.st = election.State{Leader: term > 0, Term: term, Master: "t1",
		Until: time.Now().Add(time.Hour)}
	e.mu.Unlock()
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

func (e *fakeElector) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (e *fakeElector) Changed() <-chan struct{}      { return e.changed }
func (e *fakeElector) StepDown(context.Context) error {
	return nil
}
func (e *fakeElector) State() election.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

// recorder is a chat adapter that records what it performs.
type recorder struct {
	mu    sync.Mutex
	acts  []chat.Action
	pause chan struct{} // closed when Perform may go on
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Run(ctx context.Context, ev chat.Events) error {
	ev.Connected()
	<-ctx.Done()
	return nil
}
func (r *recorder) Perform(ctx context.Context, a chat.Action, gate chat.Gate) error {
	<-r.pause
	if err := gate(true); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acts = append(r.acts, a)
	return nil
}
func (r *recorder) performed() []chat.Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Action(nil), r.acts...)
}

type rig struct {
	q   queue.Queue
	rc  redis.UniversalClient
	el  *fakeElector
	rec *recorder
}

func newRig(t *testing.T) *rig {
	srv := redistest.Start(t, redistest.Options{})
	rcfg := redisq.DefaultConfig()
	rcfg.Addr = srv.Addr
	cmd, block, err := redisq.NewClients(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Close() })
	q, err := redisq.New(cmd, block, "t", "t1", queue.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	if err := cmd.Set(context.Background(), "t:term", 1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	return &rig{q: q, rc: cmd, el: newFakeElector(1), rec: &recorder{pause: make(chan struct{})}}
}

func (g *rig) push(t *testing.T, a chat.Action) {
	t.Helper()
	list := queue.Outbound
	if a.Notice {
		list = queue.Notices
	}
	e, err := envelope(a.ID, kindAction, a)
	if err == nil {
		err = g.q.Push(context.Background(), list, e, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// run runs a node on the rig until the test ends.
func (g *rig) run(t *testing.T) {
	opt := Options{ID: "t1", ChatConcurrency: 1, JobConcurrency: 1, MaxLines: 10,
		Queue: queue.DefaultConfig(), DrainTimeout: time.Second}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n := New(opt, Parts{Queue: g.q, Elector: g.el, Router: chat.NewRouter(), Log: log,
		NewAdapter: func() (chat.Adapter, error) { return g.rec, nil }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// testWriter routes component logs to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // the test may have ended
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAnswersGoBeforeNotices(t *testing.T) {
	g := newRig(t)
	for i := range 2 {
		g.push(t, chat.Action{ID: fmt.Sprintf("n%d", i), Kind: chat.Send, Target: "#ops",
			Lines: []string{"notice"}, Notice: true})
	}
	g.push(t, chat.Action{ID: "r1", Kind: chat.Reply, Target: "#ops", Lines: []string{"pong"}})
	g.run(t)
	waitFor(t, "both pumps to hold their first action", func() bool {
		d, _ := g.q.Depths(context.Background())
		return d[queue.Outbound] == 0 && d[queue.Notices] == 0
	})
	close(g.rec.pause)
	waitFor(t, "three actions", func() bool { return len(g.rec.performed()) == 3 })
	// Answers and notices have pumps of their own, so one notice may be
	// on its way already; the answer never waits behind more.
	acts := g.rec.performed()
	if acts[0].ID != "r1" && acts[1].ID != "r1" {
		t.Fatalf("actions %s, %s, %s: the answer r1 waited behind two notices",
			acts[0].ID, acts[1].ID, acts[2].ID)
	}
}

func TestNoticeFloodIsCoalesced(t *testing.T) {
	g := newRig(t)
	for i := range 50 {
		g.push(t, chat.Action{ID: fmt.Sprintf("n%d", i), Kind: chat.Send, Target: "#ops",
			Lines: []string{fmt.Sprintf("event %d", i)}, Notice: true})
	}
	g.push(t, chat.Action{ID: "d1", Kind: chat.Send, Target: "#dev",
		Lines: []string{"dev event"}, Notice: true})
	g.run(t)
	close(g.rec.pause)
	waitFor(t, "the lists to drain", func() bool {
		d, _ := g.q.Depths(context.Background())
		return d[queue.Notices] == 0 && len(g.rec.performed()) == 5
	})
	acts := g.rec.performed()
	var text []string
	for _, a := range acts {
		text = append(text, a.Target+" "+strings.Join(a.Lines, "|"))
	}
	want := []string{"#ops event 0", "#ops event 1", "#ops event 2",
		"#ops ... and 47 more notifications (coalesced: they came faster than chat takes them)",
		"#dev dev event"}
	if strings.Join(text, "\n") != strings.Join(want, "\n") {
		t.Fatalf("performed:\n%s\nwant:\n%s", strings.Join(text, "\n"), strings.Join(want, "\n"))
	}
}

func TestLongAnswerIsCut(t *testing.T) {
	g := newRig(t)
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	lines = append(lines, strings.Repeat("é", 3000))
	g.push(t, chat.Action{ID: "long", Kind: chat.Reply, Target: "#ops", Lines: lines})
	g.run(t)
	close(g.rec.pause)
	waitFor(t, "the answer", func() bool { return len(g.rec.performed()) == 1 })
	got := g.rec.performed()[0].Lines
	if len(got) != 10 || got[9] != "... (22 more lines cut: too long for chat)" {
		t.Fatalf("cut answer has %d lines, last %q", len(got), got[len(got)-1])
	}
}

func TestDuplicateActionPerformedOnce(t *testing.T) {
	g := newRig(t)
	for range 3 {
		g.push(t, chat.Action{ID: "same", Kind: chat.Reply, Target: "#ops",
			Lines: []string{"once"}})
	}
	g.run(t)
	close(g.rec.pause)
	waitFor(t, "the list to drain", func() bool {
		d, _ := g.q.Depths(context.Background())
		return d[queue.Outbound] == 0
	})
	time.Sleep(300 * time.Millisecond) // settle: a late duplicate would show up here
	if n := len(g.rec.performed()); n != 1 {
		t.Fatalf("performed %d times, want once", n)
	}
}

func TestFencedMasterPerformsNothing(t *testing.T) {
	g := newRig(t)
	// A newer term exists in the store while this node still believes it
	// holds term 1: a paused master resuming.
	if err := g.rc.Set(context.Background(), "t:term", 2, 0).Err(); err != nil {
		t.Fatal(err)
	}
	g.push(t, chat.Action{ID: "stale", Kind: chat.Reply, Target: "#ops",
		Lines: []string{"must not be sent"}})
	g.run(t)
	close(g.rec.pause)
	time.Sleep(time.Second) // give a wrong implementation the time to send
	if n := len(g.rec.performed()); n != 0 {
		t.Fatalf("fenced master performed %d actions", n)
	}
	d, err := g.q.Depths(context.Background())
	if err != nil || d[queue.Outbound] != 1 {
		t.Fatalf("the action was not given back: depths %v, %v", d, err)
	}
}
