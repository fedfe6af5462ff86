package irc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// Errors of the adapter. Run returns ErrNickRefused and ErrPasswordRefused
// because no retry can fix them; the others end one connection, which Run
// then redials.
var (
	// ErrRunning is returned by Run while another Run of the same Adapter
	// is active.
	ErrRunning = errors.New("irc: adapter already running")
	// ErrNickRefused means the server calls chat.irc.nick erroneous (432),
	// for example longer than it allows.
	ErrNickRefused = errors.New("irc: server refuses the nick")
	// ErrPasswordRefused means the server refused chat.irc.password (464).
	ErrPasswordRefused = errors.New("irc: server refused the password")
	// ErrPingTimeout means the server did not answer a PING within
	// chat.irc.ping_interval.
	ErrPingTimeout = errors.New("irc: no answer to ping")
	// ErrRegisterTimeout means registration did not finish within
	// chat.irc.ping_interval.
	ErrRegisterTimeout = errors.New("irc: registration timed out")
	// ErrClosedByServer means the server sent ERROR, closing the link.
	ErrClosedByServer = errors.New("irc: closed by server")
	// ErrNoNick means every alternative nick was taken or refused.
	ErrNoNick = errors.New("irc: no free nick")
	// ErrBadTarget is returned by Perform for a target that is empty,
	// could change the line's meaning, or leaves no room for text.
	ErrBadTarget = errors.New("irc: invalid target")
)

// Timing the user does not configure.
const (
	// minBackoff is the first reconnect delay, before jitter.
	minBackoff = 250 * time.Millisecond
	// regainEvery is how often a bot on its alternative nick asks for its
	// own one back.
	regainEvery = 4 * time.Second
	// writeTimeout bounds one write on a connection that stopped reading.
	writeTimeout = 10 * time.Second
	// quitWait bounds the goodbye (QUIT, then the server's close) when
	// Run's context ends, so Run returns promptly.
	quitWait = 300 * time.Millisecond
)

// Adapter is the IRC chat adapter: one connection to one server, used
// only by the master.
type Adapter struct {
	cfg     Config
	log     *slog.Logger
	bucket  *bucket
	turn    *turnstile // held by one Perform at a time; answers first
	running atomic.Bool

	mu    sync.Mutex
	sess  *session // the connection, set while registered and joined
	nick  string   // the current nick
	rooms []string // channels to be in: config, plus Join, minus Part
}

var _ chat.Adapter = (*Adapter)(nil)

// New checks cfg and returns an adapter that has not connected yet. A nil
// log means slog.Default().
func New(cfg Config, log *slog.Logger) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("irc: new: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	a := &Adapter{
		cfg:    cfg,
		log:    log.With("adapter", "irc"),
		bucket: newBucket(cfg.Rate, cfg.Burst),
		turn:   newTurnstile(),
		nick:   cfg.Nick,
	}
	for _, ch := range cfg.Channels {
		a.addRoom(ch)
	}
	return a, nil
}

// Name returns "irc".
func (a *Adapter) Name() string { return "irc" }

// Nick returns the nick the bot has now, or had last: chat.irc.nick, or an
// alternative while that is taken.
func (a *Adapter) Nick() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nick
}

// Connected reports whether the bot is registered and has joined its
// channels, which is when Perform can act.
func (a *Adapter) Connected() bool {
	return a.session() != nil
}

func (a *Adapter) session() *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess
}

func (a *Adapter) setSession(s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sess = s
}

func (a *Adapter) setNick(nick string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nick = nick
}

// Run connects and serves until ctx ends, redialling with capped
// exponential backoff and jitter after each loss. It returns nil once ctx
// has ended (after a QUIT), and an error only for what a retry cannot
// fix: ErrNickRefused, ErrPasswordRefused or ErrRunning. The callbacks in
// ev are made from Run's goroutine; Disconnected gets nil when the
// connection was closed because ctx ended.
func (a *Adapter) Run(ctx context.Context, ev chat.Events) error {
	if !a.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer a.running.Store(false)
	ev = fillEvents(ev)
	for attempt := 0; ; attempt++ {
		registered, err := a.connect(ctx, ev)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrNickRefused) || errors.Is(err, ErrPasswordRefused) {
			return err
		}
		if registered {
			attempt = 0
		}
		a.logRetry(attempt, err)
		if !sleep(ctx, backoff(attempt, a.cfg.ReconnectMax)) {
			return nil
		}
	}
}

// logRetry logs a failed or lost connection: the first of a series at
// Warn, and then only every tenth, so a long outage does not flood logs.
func (a *Adapter) logRetry(attempt int, err error) {
	if attempt%10 == 0 {
		a.log.Warn("irc connection failed, retrying", "server", a.cfg.Server,
			"attempt", attempt+1, "err", err)
		return
	}
	a.log.Debug("irc connection failed, retrying", "server", a.cfg.Server,
		"attempt", attempt+1, "err", err)
}

// connect makes one connection and serves it until it ends. It reports
// whether registration succeeded, which resets the backoff.
func (a *Adapter) connect(ctx context.Context, ev chat.Events) (bool, error) {
	conn, err := a.dial(ctx)
	if err != nil {
		return false, err
	}
	s := newSession(a, conn, ev)
	return s.run(ctx)
}

func (a *Adapter) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: a.cfg.PingInterval, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", a.cfg.Server)
	if err != nil {
		return nil, fmt.Errorf("irc: dial: %w", err)
	}
	if !a.cfg.TLS {
		return conn, nil
	}
	host, _, _ := net.SplitHostPort(a.cfg.Server)
	tc := tls.Client(conn, &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: a.cfg.TLSSkipVerify, // chat.irc.tls_skip_verify, off by default
		MinVersion:         tls.VersionTLS12,
	})
	hctx, cancel := context.WithTimeout(ctx, a.cfg.PingInterval)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("irc: tls handshake: %w", err)
	}
	return tc, nil
}

// fillEvents replaces missing callbacks with ones that do nothing.
func fillEvents(ev chat.Events) chat.Events {
	if ev.Receive == nil {
		ev.Receive = func(chat.Message) {}
	}
	if ev.Connected == nil {
		ev.Connected = func() {}
	}
	if ev.Disconnected == nil {
		ev.Disconnected = func(error) {}
	}
	return ev
}

// backoff returns the delay before the attempt-th redial: minBackoff
// doubled per attempt up to max, then a random part of its upper half.
func backoff(attempt int, max time.Duration) time.Duration {
	d := max
	if attempt < 20 && minBackoff<<attempt < max {
		d = minBackoff << attempt
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
