// Package webroute serves the HTTP routes of handlers, on every node,
// each under its handler's prefix: a handler "deploy" that registers
// POST /start is reached at POST /handlers/deploy/start. The node mounts
// the Registry at /handlers/.
//
// What it guarantees: a request body is read whole, up to the node's
// http.max_body (413 past it), before the handler runs; with
// http.handlers.secret set, a request without the right secret header is
// refused (401) before its body is read, comparing in constant time. A
// handler runs with http.handlers.timeout. The actions it asks for are
// pushed onto the outbound list before the answer is written, so a 2xx
// means they are queued; a failed push answers 503 and queues nothing.
// A panic in a handler is recovered and answered 500.
//
// Action ids come from the request's Idempotency-Key header when it has
// one (so a retried request is answered in chat once), else are random.
//
// What it does not do: authenticate callers beyond the shared secret,
// limit their rate, or keep anything between requests (use the store).
package webroute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/herald-chatops/herald/chat"
)

// Prefix is where the node mounts the Registry.
const Prefix = "/handlers/"

// IdempotencyHeader names the request header whose value becomes the
// actions' id prefix.
const IdempotencyHeader = "Idempotency-Key"

// Request is one HTTP request to a handler route.
type Request struct {
	// HTTP is the request; its body has been read into Body. Path
	// wildcards are read with HTTP.PathValue.
	HTTP *http.Request
	// Body is the whole request body.
	Body []byte

	chat.Outbox
}

// Response is what a handler answers. A zero Status means 200; an empty
// Type means text/plain.
type Response struct {
	Status int
	Type   string
	Body   []byte
}

// Text returns a text/plain response.
func Text(status int, s string) Response {
	return Response{Status: status, Type: "text/plain; charset=utf-8", Body: []byte(s)}
}

// JSON returns an application/json response of v.
func JSON(status int, v any) (Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Response{}, fmt.Errorf("webroute: encode answer: %w", err)
	}
	return Response{Status: status, Type: "application/json", Body: append(b, '\n')}, nil
}

// HandlerFunc handles one request to a handler route. An error answers
// 500 with a generic text, unless it is a *StatusError.
type HandlerFunc func(ctx context.Context, req *Request) (Response, error)

// StatusError is an error a handler returns to answer with Status and Msg
// (a 4xx for a bad request); its actions are dropped.
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Msg) }

// Fail returns a *StatusError.
func Fail(status int, msg string) error { return &StatusError{Status: status, Msg: msg} }

// PushFunc hands a request's actions to the outbound list.
type PushFunc func(ctx context.Context, actions []chat.Action) error

// ErrBadRoute is returned by Handle for a route that cannot be served.
var ErrBadRoute = errors.New("webroute: bad route")

var (
	handlerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	routePath   = regexp.MustCompile(`^/[A-Za-z0-9_.~{}/-]*$`)
	methods     = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete}
)

// Registry holds the handler routes and serves them. It is safe for
// concurrent use; routes are usually added before the node serves.
type Registry struct {
	cfg     Config
	maxBody int64
	push    PushFunc
	log     *slog.Logger

	mux *http.ServeMux // safe for concurrent Handle and ServeHTTP

	mu     sync.Mutex
	routes []string
}

// New returns an empty registry that reads bodies up to maxBody bytes
// (the node's http.max_body) and pushes actions with push. A nil log
// means slog.Default().
func New(cfg Config, maxBody int64, push PushFunc, log *slog.Logger) (*Registry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if maxBody <= 0 {
		return nil, fmt.Errorf("webroute: max body %d must be positive", maxBody)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Registry{cfg: cfg, maxBody: maxBody, push: push, log: log,
		mux: http.NewServeMux()}, nil
}

// Handle serves h at method and /handlers/<handler><path>. path starts
// with '/' and may hold wildcards such as /items/{id}.
func (r *Registry) Handle(handler, method, path string, h HandlerFunc) (err error) {
	if !handlerName.MatchString(handler) || !routePath.MatchString(path) || h == nil ||
		!validMethod(method) {
		return fmt.Errorf("%w: %s %s for handler %q (handler: lower-case letters, digits, "+
			"'_', '.', '-'; method: one of %s)", ErrBadRoute, method, path, handler,
			strings.Join(methods, ", "))
	}
	pattern := method + " " + Prefix + handler + path
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		// ServeMux panics on a pattern that conflicts with another.
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: %v", ErrBadRoute, pattern, p)
		}
	}()
	r.mux.Handle(pattern, r.serve(handler, h))
	r.routes = append(r.routes, pattern)
	return nil
}

func validMethod(m string) bool {
	for _, ok := range methods {
		if m == ok {
			return true
		}
	}
	return false
}

// Routes returns the patterns served, such as "POST /handlers/deploy/start".
func (r *Registry) Routes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.routes...)
}

// ServeHTTP checks the secret and serves the route matching req; an
// unknown path answers 404 and a known path with another method 405.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !r.cfg.allowed(req) {
		http.Error(w, "missing or wrong "+r.cfg.Header+" header", http.StatusUnauthorized)
		return
	}
	r.mux.ServeHTTP(w, req)
}
