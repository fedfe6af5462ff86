package redisq

import (
	"errors"
	"strings"
	"testing"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redistest"
)

// Bytes pushed by another tool that are not envelopes go to the dead
// letters, and the envelope behind them is delivered.
func TestMalformedEntriesDoNotBlock(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	raw := rawClient(t, srv.Addr)
	bad := []string{
		"not json",
		`{"v":99,"id":"x","kind":"test","body":{}}`,
		`{"v":1,"kind":"test","body":{}}`,
		`{"v":1,"id":"no kind"}`,
		"null",
		"\xff\xfe",
		"",
	}
	for _, b := range bad {
		if err := raw.LPush(ctxFor(t), "herald:list:jobs", b).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Push(ctxFor(t), queue.Jobs, env("good"), 0); err != nil {
		t.Fatal(err)
	}
	d, err := q.Pop(ctxFor(t), queue.Jobs, 0)
	if err != nil || d.Envelope.ID != "good" {
		t.Fatalf("pop = %+v, %v; want the good envelope", d, err)
	}
	if err := q.Ack(ctxFor(t), d); err != nil {
		t.Fatal(err)
	}
	letters, err := q.DeadLetters(ctxFor(t), 0)
	if err != nil || len(letters) != len(bad) {
		t.Fatalf("dead letters = %d, %v; want %d", len(letters), err, len(bad))
	}
	for _, l := range letters {
		e := l.Envelope
		if l.List != queue.Jobs || e.Kind != KindMalformed || e.Error == "" ||
			!strings.HasPrefix(e.ID, KindMalformed+"-") {
			t.Errorf("dead letter = %+v", l)
		}
	}
	if n, err := raw.LLen(ctxFor(t), "herald:proc:a:jobs").Result(); err != nil || n != 0 {
		t.Fatalf("processing list holds %d, %v", n, err)
	}
	requeueMalformed(t, q, letters[0].Envelope.ID)
}

// requeueMalformed checks that Requeue of all leaves malformed letters,
// and that naming one by id requeues it as an envelope.
func requeueMalformed(t *testing.T, q *Queue, id string) {
	t.Helper()
	if n, err := q.Requeue(ctxFor(t), ""); err != nil || n != 0 {
		t.Fatalf("requeue all = %d, %v; want 0", n, err)
	}
	if n, err := q.Requeue(ctxFor(t), id); err != nil || n != 1 {
		t.Fatalf("requeue %s = %d, %v; want 1", id, n, err)
	}
	d, err := q.Pop(ctxFor(t), queue.Jobs, 0)
	if err != nil || d.Envelope.ID != id || d.Envelope.Kind != KindMalformed {
		t.Fatalf("pop = %+v, %v; want the requeued letter", d, err)
	}
}

// Unreadable entries on the dead-letter list are shown and left alone.
func TestMalformedDeadLetters(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	raw := rawClient(t, srv.Addr)
	for _, b := range []string{"garbage", `{"list":"nope","envelope":{"id":"x"}}`} {
		if err := raw.RPush(ctxFor(t), "herald:dead", b).Err(); err != nil {
			t.Fatal(err)
		}
	}
	letters, err := q.DeadLetters(ctxFor(t), 10)
	if err != nil || len(letters) != 2 || letters[0].Envelope.Kind != KindMalformed {
		t.Fatalf("dead letters = %+v, %v", letters, err)
	}
	for _, id := range []string{"", "x", letters[0].Envelope.ID} {
		if n, err := q.Requeue(ctxFor(t), id); err != nil || n != 0 {
			t.Fatalf("requeue %q = %d, %v; want 0", id, n, err)
		}
	}
}

// Push refuses an envelope without id.
func TestPushRefusesNoID(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	err := q.Push(ctxFor(t), queue.Jobs, queue.Envelope{Kind: "test"}, 0)
	if !errors.Is(err, errNoID) {
		t.Fatalf("push without id: %v", err)
	}
}
