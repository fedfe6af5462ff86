package redisq

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// FuzzDecode feeds arbitrary list entries to the envelope decoder: it
// never panics, what it accepts survives a round trip, and what it
// refuses still makes a readable dead letter.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"v":1,"id":"a","kind":"message","enqueued":"2026-01-01T00:00:00Z","body":{}}`,
		`{"v":1,"id":"a","kind":"k","attempts":2,"error":"x","meta":{"e":"push"},"body":[1]}`,
		`{"v":2,"id":"a","kind":"k"}`, `{"v":1}`, `null`, `[]`, `"s"`, ``, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := decode(raw)
		if err != nil {
			checkDeadLetter(t, raw, err)
			return
		}
		again, err := encode(e)
		if err != nil {
			t.Fatalf("encode of a decoded envelope: %v", err)
		}
		e2, err := decode(again)
		if err != nil || e2.ID != e.ID || e2.Kind != e.Kind || e2.Attempts != e.Attempts ||
			e2.Error != e.Error || (!e.Enqueued.IsZero() && !e2.Enqueued.Equal(e.Enqueued)) {
			t.Fatalf("round trip changed %+v into %+v (%v)", e, e2, err)
		}
	})
}

// checkDeadLetter checks that raw, refused with cause, is kept as a dead
// letter that reads back.
func checkDeadLetter(t *testing.T, raw []byte, cause error) {
	dl := malformed("jobs", raw, cause, time.Now())
	b, err := json.Marshal(dl)
	if err != nil {
		t.Fatalf("dead letter of %q does not encode: %v", raw, err)
	}
	back, ok := decodeDead(b)
	if !ok || back.Envelope.ID != dl.Envelope.ID || back.Envelope.Kind != KindMalformed {
		t.Fatalf("dead letter of %q does not read back: %+v", raw, back)
	}
}

func TestEncodeStampsVersionAndTime(t *testing.T) {
	raw, err := encode(env("x"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := decode(raw)
	if err != nil || e.V != 1 || e.Enqueued.IsZero() {
		t.Fatalf("decode(encode) = %+v, %v", e, err)
	}
	if _, err := encode(env("")); !errors.Is(err, errNoID) {
		t.Fatalf("encode without id: %v", err)
	}
}

func TestEncodeKeepsBodyAsIs(t *testing.T) {
	body := json.RawMessage(`{"a": [1, 2, {"b": "c\u00e9"}], "z": null}`)
	raw, err := encode(queue.Envelope{ID: "x", Kind: "k", Body: body,
		Meta: map[string]string{"event": "push"}})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(raw) {
		t.Fatalf("encoding is not JSON: %s", raw)
	}
	e, err := decode(raw)
	if err != nil || string(e.Body) != string(body) || e.Meta["event"] != "push" {
		t.Fatalf("round trip: %+v, %v", e, err)
	}
	empty, err := encode(queue.Envelope{ID: "y", Kind: "k"})
	if err != nil || !json.Valid(empty) {
		t.Fatalf("empty body: %s, %v", empty, err)
	}
}
