package redisq

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// KindMalformed is the envelope kind given to a dead letter that wraps
// bytes found on a list that were not a readable envelope. Its Body is the
// bytes as JSON when they were JSON, else as a JSON string.
const KindMalformed = "malformed"

// errNoID is returned for an envelope without an id, which would collide
// with every other such envelope in deduplication.
var errNoID = errors.New("envelope has no id")

// encode stamps e with this build's version and returns its stored bytes.
func encode(e queue.Envelope) ([]byte, error) {
	if e.ID == "" {
		return nil, errNoID
	}
	e.V = queue.Version
	if e.Enqueued.IsZero() {
		e.Enqueued = time.Now().UTC()
	}
	// The body is written as it is, not parsed again: a webhook's body
	// was checked at intake, and re-checking a large one cost a third of
	// a node's CPU under load. Body is the last field, so the encoding
	// ends with its null, where the body goes instead.
	body := e.Body
	e.Body = nil
	head, err := json.Marshal(e)
	if err != nil || len(body) == 0 {
		return head, err
	}
	const tail = `null}`
	out := make([]byte, 0, len(head)-len(tail)+len(body)+1)
	out = append(out, head[:len(head)-len(tail)]...)
	out = append(out, body...)
	return append(out, '}'), nil
}

// decode parses stored bytes. It refuses what this build cannot handle:
// bytes that are not an envelope, another encoding version, or an
// envelope without id or kind.
func decode(raw []byte) (queue.Envelope, error) {
	var e queue.Envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		return queue.Envelope{}, fmt.Errorf("undecodable envelope: %w", err)
	}
	switch {
	case e.V < 1 || e.V > queue.Version:
		return queue.Envelope{}, fmt.Errorf("unsupported envelope version %d", e.V)
	case e.ID == "":
		return queue.Envelope{}, errNoID
	case e.Kind == "":
		return queue.Envelope{}, errors.New("envelope has no kind")
	}
	return e, nil
}

// malformed wraps unreadable bytes from list as a dead letter. Its id is
// derived from the bytes, so that Requeue can name it.
func malformed(list string, raw []byte, cause error, now time.Time) queue.DeadLetter {
	sum := sha256.Sum256(raw)
	body := json.RawMessage(raw)
	if !json.Valid(raw) {
		body, _ = json.Marshal(string(raw))
	}
	return queue.DeadLetter{
		List: list,
		Died: now,
		Envelope: queue.Envelope{
			V:        queue.Version,
			ID:       KindMalformed + "-" + hex.EncodeToString(sum[:8]),
			Kind:     KindMalformed,
			Error:    cause.Error(),
			Enqueued: now,
			Body:     body,
		},
	}
}

// decodeDead parses a dead letter. An unreadable one is shown as a
// malformed letter of no list, so that it is visible but never requeued.
func decodeDead(raw []byte) (queue.DeadLetter, bool) {
	var d queue.DeadLetter
	if err := json.Unmarshal(raw, &d); err != nil {
		return malformed("", raw, fmt.Errorf("undecodable dead letter: %w", err),
			time.Time{}), false
	}
	return d, true
}
