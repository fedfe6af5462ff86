package http

import (
	"crypto/sha256"
	"encoding/hex"
	nethttp "net/http"

	"github.com/herald-chatops/herald/queue"
)

// MetaEvent is the Envelope.Meta key that holds a webhook's event name.
const MetaEvent = "event"

// Source is one kind of webhook sender, served at POST /hooks/{Name}.
//
// The server calls Verify and Job in that order, only with a body that
// fits http.max_body. An error from either is the client's fault by
// contract: Verify errors are answered 401 and Job errors 400, with the
// error text, so neither may hold a secret or a signature.
type Source interface {
	// Name is the path segment and the Envelope.Kind, such as "github".
	Name() string
	// Verify checks the request's signature over body, before anything
	// parses the body.
	Verify(h nethttp.Header, body []byte) error
	// Job checks the headers and the body and makes the job envelope:
	// ID the delivery id, Meta[MetaEvent] the event name, Body the raw
	// payload. The server sets V, Kind and Enqueued.
	Job(h nethttp.Header, body []byte) (queue.Envelope, error)
	// Formats reports whether the source has a formatter for event.
	// Events without one are still queued, for other handlers.
	Formats(event string) bool
}

// ContentID is a delivery id made from the body itself, for senders that
// give none: a resend of the same body gets the same id and so is
// dropped as a duplicate.
func ContentID(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}
