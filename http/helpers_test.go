package http_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/github"
	"github.com/herald-chatops/herald/queue"
)

const (
	testSecret = "0123456789abcdef-secret"
	testToken  = "0123456789abcdef-admin"
)

// errDown stands for a queue backend that cannot be reached.
var errDown = errors.New("dial tcp 127.0.0.1:1: connection refused")

// pushed is one Push seen by fakeQueue.
type pushed struct {
	list  string
	env   queue.Envelope
	fence queue.Fence
}

// fakeQueue records pushes and answers as told. A nil block lets Push
// return at once; otherwise Push waits for block or its context.
type fakeQueue struct {
	mu       sync.Mutex
	pushes   []pushed
	pushErr  error
	pingErr  error
	pingHang bool
	block    chan struct{}
	blocked  int
	dead     []queue.DeadLetter
}

func (q *fakeQueue) Push(ctx context.Context, list string, e queue.Envelope,
	f queue.Fence) error {
	q.mu.Lock()
	err, block := q.pushErr, q.block
	if block != nil {
		q.blocked++
	}
	q.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pushes = append(q.pushes, pushed{list, e, f})
	return nil
}

func (q *fakeQueue) Ping(ctx context.Context) error {
	if q.pingHang {
		<-ctx.Done()
		return ctx.Err()
	}
	return q.pingErr
}

func (q *fakeQueue) DeadLetters(_ context.Context, limit int) ([]queue.DeadLetter, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := append([]queue.DeadLetter(nil), q.dead[:min(limit, len(q.dead))]...)
	return out, nil
}

func (q *fakeQueue) Requeue(_ context.Context, id string) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, d := range q.dead {
		if id == "" || d.Envelope.ID == id {
			n++
		}
	}
	return n, nil
}

// waiting reports whether a Push has been held by block.
func (q *fakeQueue) waiting() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.blocked > 0
}

// all returns a copy of the pushes so far.
func (q *fakeQueue) all() []pushed {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]pushed(nil), q.pushes...)
}

// logBuffer collects log output for t.Log and for checks of what was
// logged.
type logBuffer struct {
	t  testing.TB
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Log(string(bytes.TrimSpace(p)))
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fixture is a server over a fake queue with the GitHub source.
type fixture struct {
	srv  *heraldhttp.Server
	q    *fakeQueue
	logs *logBuffer
}

// newFixture makes a server; edit may change the config and deps first.
func newFixture(t testing.TB, edit func(*heraldhttp.Config, *heraldhttp.Deps)) *fixture {
	t.Helper()
	src, err := github.New(github.Config{Secret: testSecret, Room: "#ops"})
	if err != nil {
		t.Fatal(err)
	}
	q := &fakeQueue{}
	cfg := heraldhttp.DefaultConfig()
	cfg.AdminToken = testToken
	deps := heraldhttp.Deps{Queue: q, DeadLetters: q, Sources: []heraldhttp.Source{src},
		Status: testStatus, StepDown: func(context.Context) error { return nil }}
	if edit != nil {
		edit(&cfg, &deps)
	}
	logs := &logBuffer{t: t}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := heraldhttp.NewServer(cfg, deps, log)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return &fixture{srv: srv, q: q, logs: logs}
}

// testStatus is a cluster of two nodes.
func testStatus(context.Context) (heraldhttp.Status, error) {
	return heraldhttp.Status{
		Node: "n1", Master: "n2", Term: 7, Version: "v0.1.0", DeadLetters: 2,
		Nodes: []queue.NodeInfo{{ID: "n1", Addr: "127.0.0.1:8081"},
			{ID: "n2", Addr: "127.0.0.1:8082", Master: true, Term: 7}},
		Queues: map[string]int64{queue.Inbound: 0, queue.Outbound: 1, queue.Jobs: 5},
	}, nil
}

// do serves one request and returns the recorded answer.
func (f *fixture) do(r *nethttp.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return w
}

// payload returns a recorded GitHub payload.
func payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "github", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign is the X-Hub-Signature-256 of body under secret.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// hook builds a GitHub delivery of event; empty values leave a header
// out.
func hook(event, delivery, sig string, body io.Reader) *nethttp.Request {
	r := httptest.NewRequest("POST", "/hooks/github", body)
	r.Header.Set("Content-Type", "application/json")
	for k, v := range map[string]string{"X-GitHub-Event": event,
		"X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sig} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	return r
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
