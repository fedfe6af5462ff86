package http

import (
	"bytes"
	"context"
	"errors"
	nethttp "net/http"
	"os"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// Reasons a body could not be read, answered without reading further.
var (
	errTooLarge = errors.New("body larger than http.max_body")
	errTimeout  = errors.New("body not received in time")
	errShort    = errors.New("body cut short")
)

// Buffer sizes for reading a body: the size used when the length is not
// announced, and the most allocated up front when it is.
const (
	initialBuffer    = 16 << 10
	maxInitialBuffer = 256 << 10
)

// retryAfter is what a sender is told to wait when its webhook could not
// be queued.
const retryAfter = "10"

// accepted is the answer to a queued webhook.
type accepted struct {
	Status string `json:"status"`
	ID     string `json:"id"`
}

// intake serves POST /hooks/{source}: read, verify, check, push.
func (s *Server) intake(w nethttp.ResponseWriter, r *nethttp.Request) {
	src, ok := s.sources[r.PathValue("source")]
	if !ok {
		writeError(w, nethttp.StatusNotFound, "no such webhook source")
		return
	}

	// Read the whole body, but never more than http.max_body.
	body, code, err := s.readBody(w, r)
	if err != nil {
		s.refuse(w, r, src, code, err)
		return
	}

	// The work from here on is CPU: a bounded number of webhooks at once
	// leaves the CPU to the chat lane however hard the webhooks come.
	if !s.takeSlot(r.Context()) {
		return // the client went away while waiting
	}
	defer s.giveSlot()

	// Check the signature before anything looks inside the body.
	if err := src.Verify(r.Header, body); err != nil {
		s.refuse(w, r, src, nethttp.StatusUnauthorized, err)
		return
	}

	// Only now parse what the source needs to make the job.
	env, err := src.Job(r.Header, body)
	if err != nil {
		s.refuse(w, r, src, nethttp.StatusBadRequest, err)
		return
	}
	s.enqueue(w, r, src, env, body)
}

// takeSlot waits for one of http.max_inflight slots, and reports false
// when ctx ended first.
func (s *Server) takeSlot(ctx context.Context) bool {
	if s.slots == nil {
		return true
	}
	select {
	case s.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// giveSlot frees a slot taken by takeSlot.
func (s *Server) giveSlot() {
	if s.slots != nil {
		<-s.slots
	}
}

// refuse answers a webhook the client got wrong. A failed signature is
// worth a warning, since it is how a wrong secret shows; the rest is
// logged at debug.
func (s *Server) refuse(w nethttp.ResponseWriter, r *nethttp.Request, src Source, code int,
	err error) {
	s.stats.refused(code)
	s.seen(src, "", code)
	if code == nethttp.StatusUnauthorized {
		s.warnf("webhook signature refused", "source", src.Name(), "remote", r.RemoteAddr,
			"err", err)
	} else {
		s.log.Debug("webhook refused", "source", src.Name(), "status", code,
			"remote", r.RemoteAddr, "err", err)
	}
	writeError(w, code, err.Error())
}

// enqueue pushes the job and answers 202 once the backend has it.
func (s *Server) enqueue(w nethttp.ResponseWriter, r *nethttp.Request, src Source,
	env queue.Envelope, body []byte) {
	s.complete(&env, src, body)
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.PushTimeout)
	err := s.deps.Queue.Push(ctx, queue.Jobs, env, 0)
	cancel()
	if err != nil {
		s.pushFailed(w, r, src, env, err)
		return
	}
	s.stats.accepted.Add(1)
	event := env.Meta[MetaEvent]
	s.seen(src, event, nethttp.StatusAccepted)
	if !src.Formats(event) {
		s.stats.noFormatter.Add(1)
		s.log.Debug("webhook event has no formatter", "source", src.Name(),
			"event", event, "msg_id", env.ID)
	}
	s.log.Debug("webhook queued", "source", src.Name(), "event", event, "msg_id", env.ID)
	writeJSON(w, nethttp.StatusAccepted, accepted{Status: "queued", ID: env.ID})
}

// complete fills in what the server owns in a job envelope.
func (s *Server) complete(env *queue.Envelope, src Source, body []byte) {
	env.V = queue.Version
	env.Kind = src.Name()
	if env.ID == "" {
		env.ID = ContentID(body)
	}
	if env.Body == nil {
		env.Body = body
	}
	if env.Enqueued.IsZero() {
		env.Enqueued = time.Now().UTC()
	}
}

// pushFailed answers 503: a webhook that cannot be kept is not accepted,
// so the sender retries it.
func (s *Server) pushFailed(w nethttp.ResponseWriter, r *nethttp.Request, src Source,
	env queue.Envelope, err error) {
	s.stats.refused(nethttp.StatusServiceUnavailable)
	s.seen(src, env.Meta[MetaEvent], nethttp.StatusServiceUnavailable)
	if r.Context().Err() != nil {
		s.log.Debug("webhook sender left before the push ended", "source", src.Name(),
			"msg_id", env.ID, "err", err)
	} else {
		s.warnf("webhook push failed", "source", src.Name(), "msg_id", env.ID, "err", err)
	}
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, nethttp.StatusServiceUnavailable, "cannot queue the webhook now")
}

// readBody reads the body up to http.max_body. On failure it returns the
// status to answer with.
func (s *Server) readBody(w nethttp.ResponseWriter, r *nethttp.Request) ([]byte, int, error) {
	if r.ContentLength > s.cfg.MaxBody {
		return nil, nethttp.StatusRequestEntityTooLarge, errTooLarge
	}

	// Size the buffer by Content-Length, but only up to a point: memory
	// is spent as bytes arrive, not as a client announces them.
	size := int64(initialBuffer)
	if r.ContentLength >= 0 {
		size = min(r.ContentLength, maxInitialBuffer)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err := buf.ReadFrom(nethttp.MaxBytesReader(w, r.Body, s.cfg.MaxBody))

	var tooLarge *nethttp.MaxBytesError
	switch {
	case err == nil:
		return buf.Bytes(), 0, nil
	case errors.As(err, &tooLarge):
		return nil, nethttp.StatusRequestEntityTooLarge, errTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, nethttp.StatusRequestTimeout, errTimeout
	}
	return nil, nethttp.StatusBadRequest, errShort
}

// seen tells Deps.WebhookSeen how a webhook request ended.
func (s *Server) seen(src Source, event string, code int) {
	if s.deps.WebhookSeen != nil {
		s.deps.WebhookSeen(src.Name(), event, code)
	}
}
