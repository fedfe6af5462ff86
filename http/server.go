package http

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"regexp"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// ErrNoQueue is returned by NewServer when Deps.Queue is nil: without a
// queue no webhook could be kept.
var ErrNoQueue = errors.New("http: no queue given")

// Queue is the part of the queue backend the HTTP surface needs.
type Queue interface {
	// Push appends e to list; see queue.Queue.
	Push(ctx context.Context, list string, e queue.Envelope, f queue.Fence) error
	// Ping checks that the backend can be reached.
	Ping(ctx context.Context) error
}

// DeadLetters is the part of the queue backend the admin calls need.
type DeadLetters interface {
	// DeadLetters returns up to limit dead letters, oldest first.
	DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error)
	// Requeue moves the dead letter with envelope id back to its list, or
	// all of them when id is empty, and returns how many moved.
	Requeue(ctx context.Context, id string) (int, error)
}

// Deps is what the server calls into. Queue is required; a route whose
// dependency is nil is not served (it answers 404).
type Deps struct {
	// Queue takes webhook jobs and answers the readiness check.
	Queue Queue
	// Status reports the cluster for GET /status.
	Status func(ctx context.Context) (Status, error)
	// StepDown gives up the master role for POST /admin/step-down. It
	// returns election.ErrNotLeader on a node that is not master.
	StepDown func(ctx context.Context) error
	// DeadLetters serves the dead-letter admin calls.
	DeadLetters DeadLetters
	// Sources are the webhook senders served at POST /hooks/{name}.
	Sources []Source
	// Metrics, when set, is served at GET /metrics.
	Metrics nethttp.Handler
	// Handlers, when set, serves the HTTP routes of chat handlers under
	// HandlersPrefix on every node; it applies its own limits.
	Handlers nethttp.Handler
	// WebhookSeen, when set, is told the outcome of every request to a
	// configured webhook source: the source's name, the event ("" when
	// the request was refused before its event was read, so that an
	// unsigned request never names one) and the status code answered.
	// It is called on the request's goroutine and must not block; a
	// metrics.Metrics' WebhookReceived fits.
	WebhookSeen func(source, event string, code int)
}

// Server is the HTTP surface of one node.
type Server struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	sources  map[string]Source
	tokenSum [sha256.Size]byte
	tls      *tls.Config
	mux      *nethttp.ServeMux
	stats    counters
	warns    *throttle
	slots    chan struct{} // http.max_inflight; nil means no limit
}

// sourceName is what a source may be called: one path segment.
var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// NewServer checks cfg and deps and builds the routes. It loads the TLS
// key pair when one is configured, so that a bad file fails the start.
// A nil log means slog.Default().
func NewServer(cfg Config, deps Deps, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Queue == nil {
		return nil, ErrNoQueue
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, deps: deps, log: log, warns: newThrottle(10 * time.Second)}
	if cfg.MaxInflight > 0 {
		s.slots = make(chan struct{}, cfg.MaxInflight)
	}
	if err := s.addSources(deps.Sources); err != nil {
		return nil, err
	}
	if err := s.loadTLS(); err != nil {
		return nil, err
	}
	s.tokenSum = sha256.Sum256([]byte(cfg.AdminToken))
	s.mux = s.routes()
	return s, nil
}

// addSources indexes the webhook sources by name, refusing duplicates.
func (s *Server) addSources(list []Source) error {
	s.sources = make(map[string]Source, len(list))
	for _, src := range list {
		name := src.Name()
		if !sourceName.MatchString(name) {
			return fmt.Errorf("http: webhook source name %q must be lowercase letters, "+
				"digits, - and _", name)
		}
		if _, dup := s.sources[name]; dup {
			return fmt.Errorf("http: webhook source %q given twice", name)
		}
		s.sources[name] = src
	}
	return nil
}

// loadTLS reads http.tls_cert and http.tls_key when they are set.
func (s *Server) loadTLS() error {
	if s.cfg.TLSCert == "" {
		return nil
	}
	pair, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		return fmt.Errorf("http: load http.tls_cert and http.tls_key: %w", err)
	}
	s.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	return nil
}

// routes builds the route table; routes without their dependency are
// left out.
func (s *Server) routes() *nethttp.ServeMux {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("POST /hooks/{source}", s.intake)
	if s.deps.Status != nil {
		mux.HandleFunc("GET /status", s.status)
		mux.HandleFunc("GET /{$}", s.page)
	}
	if s.deps.Metrics != nil {
		mux.Handle("GET /metrics", s.deps.Metrics)
	}
	if s.deps.Handlers != nil {
		mux.Handle(HandlersPrefix, s.deps.Handlers)
	}
	if s.deps.StepDown != nil {
		mux.HandleFunc("POST /admin/step-down", s.admin(s.stepDown))
	}
	if s.deps.DeadLetters != nil {
		mux.HandleFunc("GET /admin/dead-letters", s.admin(s.listDead))
		mux.HandleFunc("POST /admin/dead-letters/requeue", s.admin(s.requeueDead))
	}
	return mux
}

// HandlersPrefix is the path under which chat handlers' HTTP routes are
// served: /handlers/NAME/...
const HandlersPrefix = "/handlers/"

// Handler returns the routes without a listener, for tests and for
// mounting under another server.
func (s *Server) Handler() nethttp.Handler {
	return s.mux
}

// Serve answers requests on ln until ctx ends, then stops accepting and
// lets requests in flight finish for up to http.shutdown_timeout. It
// closes ln. It returns nil after a clean stop, and an error when serving
// failed or requests were still running at the deadline.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer()
	done := make(chan error, 1)
	go func() { done <- s.serve(srv, ln) }()
	s.log.Info("http serving", "addr", ln.Addr().String(), "tls", s.tls != nil)

	select {
	case err := <-done:
		return fmt.Errorf("http: serve: %w", err)
	case <-ctx.Done():
	}

	// The run context is over; the shutdown gets its own short one.
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-done
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("http: shutdown: %w", err)
	}
	s.log.Info("http stopped", "addr", ln.Addr().String())
	return nil
}

// serve runs srv on ln until it is shut down.
func (s *Server) serve(srv *nethttp.Server, ln net.Listener) error {
	var err error
	if s.tls != nil {
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, nethttp.ErrServerClosed) {
		return nil
	}
	return err
}

// httpServer applies the configured timeouts, which cut slow clients off.
func (s *Server) httpServer() *nethttp.Server {
	return &nethttp.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         s.tls,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}
