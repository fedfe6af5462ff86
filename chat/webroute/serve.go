package webroute

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime/debug"

	"github.com/herald-chatops/herald/chat"
)

// errPanic wraps a panic recovered from a handler.
var errPanic = errors.New("webroute: handler panicked")

var idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// serve wraps one handler: read the body, run the handler with the
// timeout, push the actions, answer.
func (r *Registry) serve(handler string, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, hr.Body, r.maxBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			http.Error(w, "body larger than http.max_body", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		hr.Body = io.NopCloser(bytes.NewReader(body))
		ctx, cancel := context.WithTimeout(hr.Context(), r.cfg.Timeout)
		defer cancel()
		req := &Request{HTTP: hr, Body: body}
		resp, err := call(ctx, h, req)
		if err == nil {
			err = r.pushActions(ctx, handler, hr, req.Actions())
		}
		r.answer(w, handler, resp, err)
	})
}

// call runs the handler, turning a panic into errPanic.
func call(ctx context.Context, h HandlerFunc, req *Request) (resp Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanic, p, debug.Stack())
		}
	}()
	return h(ctx, req)
}

// errPush marks a failed push of a handler's actions.
var errPush = errors.New("actions not queued")

// pushActions stamps and pushes a request's actions.
func (r *Registry) pushActions(ctx context.Context, handler string, hr *http.Request,
	acts []chat.Action) error {
	if len(acts) == 0 {
		return nil
	}
	if r.push == nil {
		return fmt.Errorf("%w: no push function", errPush)
	}
	chat.StampIDs("http:"+handler+":"+requestKey(hr), acts)
	if err := r.push(ctx, acts); err != nil {
		return fmt.Errorf("%w: %w", errPush, err)
	}
	return nil
}

// requestKey is the request's idempotency key, or a random one.
func requestKey(hr *http.Request) string {
	if k := hr.Header.Get(IdempotencyHeader); idempotencyKey.MatchString(k) {
		return k
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// answer writes resp, or the status that err calls for.
func (r *Registry) answer(w http.ResponseWriter, handler string, resp Response, err error) {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		http.Error(w, se.Msg, se.Status)
		return
	case errors.Is(err, errPush):
		r.log.Warn("handler route actions not queued", "handler", handler, "err", err)
		http.Error(w, "could not queue the chat actions; try again", http.StatusServiceUnavailable)
		return
	case err != nil:
		r.log.Warn("handler route failed", "handler", handler, "err", err)
		http.Error(w, "handler failed", http.StatusInternalServerError)
		return
	}
	if resp.Type == "" {
		resp.Type = "text/plain; charset=utf-8"
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	w.Header().Set("Content-Type", resp.Type)
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
