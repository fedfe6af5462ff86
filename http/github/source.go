// Package github is the GitHub webhook source. At intake, on the node
// that receives a delivery, it checks the signature and the headers and
// makes the job; later, on whichever node pops the job, Format turns the
// event into chat lines for the room its repository is routed to.
//
// What it guarantees:
//
//   - A delivery whose X-Hub-Signature-256 is not the HMAC-SHA256 of its
//     body under webhooks.github.secret is refused before its body is
//     parsed.
//   - Every job has a stable id: X-GitHub-Delivery, or a hash of the body
//     when that header is missing, so a redelivery is deduplicated.
//   - Format never panics, and its lines never hold a control character
//     or a line break, so text from a title or a commit message cannot
//     start a second chat command. Long text is shortened.
//
// What it does not guarantee: GitHub signs no timestamp, so a captured
// delivery can be replayed; within queue.dedupe_window the replay is
// dropped by its delivery id, after that it is posted again. Deliveries
// must use the content type application/json; form-encoded ones are
// refused. One secret at a time: rotating it drops deliveries signed with
// the old one until GitHub has the new one.
//
// Without webhooks.github.secret intake is off: the node does not serve
// the source, so POST /hooks/github answers 404 like any unknown source.
// (404 rather than 503, because a 503 would make GitHub retry deliveries
// that can never succeed.) A Source made without a secret still formats
// jobs already queued, and its Verify refuses every delivery.
package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	nethttp "net/http"
	"path"
	"strings"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

// Name is the source's name: its path in /hooks/ and its jobs' Kind.
const Name = "github"

// The headers GitHub sends with a delivery.
const (
	headerSignature = "X-Hub-Signature-256"
	headerEvent     = "X-GitHub-Event"
	headerDelivery  = "X-GitHub-Delivery"
	signaturePrefix = "sha256="
)

// Errors of Verify and Job. Their text is sent back to the client, so it
// holds no secret and no signature.
var (
	// ErrNoSecret is returned by Verify when webhooks.github.secret is
	// empty: intake is off.
	ErrNoSecret = errors.New("github: intake is off: webhooks.github.secret is not set")
	// ErrNoSignature is returned by Verify for a delivery without a
	// signature header.
	ErrNoSignature = errors.New("github: missing X-Hub-Signature-256 header")
	// ErrBadSignature is returned by Verify when the signature does not
	// match the body and the secret.
	ErrBadSignature = errors.New("github: X-Hub-Signature-256 does not match the body " +
		"and the configured secret")
	// ErrNoEvent is returned by Job for a delivery without X-GitHub-Event.
	ErrNoEvent = errors.New("github: missing X-GitHub-Event header")
	// ErrBadHeader is returned by Job for an event name or a delivery id
	// that GitHub would not send.
	ErrBadHeader = errors.New("github: malformed header")
	// ErrMalformed is returned for a body that is not a JSON object, and
	// by Format for one it cannot decode.
	ErrMalformed = errors.New("github: malformed body")
	// ErrFormEncoded is returned by Job for a form-encoded delivery.
	ErrFormEncoded = errors.New("github: form-encoded deliveries are not supported; " +
		"set the webhook's content type to application/json")
)

// Source is the GitHub webhook source. It is safe for concurrent use.
type Source struct {
	secret []byte
	room   string
	routes []Route
}

// Source serves as an HTTP webhook source.
var _ heraldhttp.Source = (*Source)(nil)

// New checks cfg and makes the source.
func New(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Source{secret: []byte(cfg.Secret), room: cfg.Room}
	for _, r := range cfg.Routes {
		s.routes = append(s.routes, Route{Repo: strings.ToLower(r.Repo), Room: r.Room})
	}
	return s, nil
}

// Name returns "github".
func (s *Source) Name() string { return Name }

// Verify checks that X-Hub-Signature-256 is "sha256=" and the hex
// HMAC-SHA256 of body under the secret, comparing in constant time.
func (s *Source) Verify(h nethttp.Header, body []byte) error {
	if len(s.secret) == 0 {
		return ErrNoSecret
	}
	sig := h.Get(headerSignature)
	if sig == "" {
		return ErrNoSignature
	}
	hexSum, ok := strings.CutPrefix(sig, signaturePrefix)
	if !ok || len(hexSum) != 2*sha256.Size {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return ErrBadSignature
	}
	return nil
}

// Job checks the event and delivery headers and that body is a JSON
// object, and makes the job: ID the delivery id, Meta the event name, and
// Body the payload as received.
func (s *Source) Job(h nethttp.Header, body []byte) (queue.Envelope, error) {
	event := h.Get(headerEvent)
	if event == "" {
		return queue.Envelope{}, ErrNoEvent
	}
	if !isToken(event, 64, false) {
		return queue.Envelope{}, fmt.Errorf("%w: X-GitHub-Event", ErrBadHeader)
	}
	id := h.Get(headerDelivery)
	if id == "" {
		id = heraldhttp.ContentID(body)
	} else if !isToken(id, 100, true) {
		return queue.Envelope{}, fmt.Errorf("%w: X-GitHub-Delivery", ErrBadHeader)
	}
	if err := checkBody(h, body); err != nil {
		return queue.Envelope{}, err
	}
	return queue.Envelope{
		ID:   id,
		Meta: map[string]string{heraldhttp.MetaEvent: event},
		Body: body,
	}, nil
}

// checkBody refuses anything but a JSON object, with a hint for the
// form-encoded deliveries GitHub can be set to send.
func checkBody(h nethttp.Header, body []byte) error {
	if jsonObject(body) {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		return ErrFormEncoded
	}
	return ErrMalformed
}

// isToken reports whether s is 1 to max characters of lowercase letters,
// digits and _, plus - . : and upper case when loose.
func isToken(s string, max int, loose bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case loose && (c >= 'A' && c <= 'Z' || c == '-' || c == '.' || c == ':'):
		default:
			return false
		}
	}
	return true
}

// Formats reports whether Format knows event.
func (s *Source) Formats(event string) bool {
	_, ok := formatters[event]
	return ok
}

// Room returns the room for repo (OWNER/NAME): the first route that
// matches, else webhooks.github.room, else "".
func (s *Source) Room(repo string) string {
	repo = strings.ToLower(repo)
	for _, r := range s.routes {
		if ok, _ := path.Match(r.Repo, repo); ok {
			return r.Room
		}
	}
	return s.room
}
