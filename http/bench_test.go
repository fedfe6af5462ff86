package http_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/github"
	"github.com/herald-chatops/herald/queue"
)

// noopQueue takes every push and keeps nothing.
type noopQueue struct{}

func (noopQueue) Push(context.Context, string, queue.Envelope, queue.Fence) error { return nil }
func (noopQueue) Ping(context.Context) error                                      { return nil }

// BenchmarkIntakePush measures one webhook through intake: body read,
// signature check, header and JSON check, push to a queue that does
// nothing, and the 202.
func BenchmarkIntakePush(b *testing.B) {
	src, err := github.New(github.Config{Secret: testSecret, Room: "#ops"})
	if err != nil {
		b.Fatal(err)
	}
	// Logs at Info, as a node runs, so that the per-request Debug lines
	// cost only their level check.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := heraldhttp.NewServer(heraldhttp.DefaultConfig(),
		heraldhttp.Deps{Queue: noopQueue{}, Sources: []heraldhttp.Source{src}}, log)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	body := payload(b, "push.new-branch.json")
	sig := sign(testSecret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rd := bytes.NewReader(body)
		r := hook("push", delivery, sig, io.NopCloser(rd))
		for pb.Next() {
			rd.Reset(body)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != nethttp.StatusAccepted {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
