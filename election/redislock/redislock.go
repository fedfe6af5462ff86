// Package redislock elects the master with a lock on Redis, taken and
// extended with redsync, and hands every term a fencing token from a
// counter on the queue's Redis.
//
// What it guarantees:
//
//   - A node believes it is master (State().Valid) only until its lease
//     minus election.drift, counted from the moment it sent the request
//     that won or extended the lock. Redis counts the same lease from a
//     later moment, when the request arrived, so as long as clocks run at
//     rates that differ by less than the drift allowance over one lease,
//     a node stops acting as master before any other node can win. The
//     deadline is a local timer: a Redis server that hangs cannot keep a
//     node in office, whatever the client's timeouts.
//   - Terms only grow. The token comes from INCR on `<ns>:term`, but is
//     never at or below the highest term this node has seen (its own and
//     those it read as a follower), so a Redis that lost its last writes
//     in a failover does not hand out an old term again.
//   - The lock's value is `<node>:<random>`, so any node, and any person
//     with redis-cli, can read who the master is from `<ns>:master`.
//
// What it does not guarantee:
//
//   - At most one master if Redis itself loses the lock key (an
//     asynchronous replica promoted before the key reached it). The
//     fencing token is what protects the queue and chat in that case.
//   - That terms grow across a restart of every node at once after Redis
//     lost writes: the highest term seen lives in memory only.
//   - A master at every instant: after a master dies without releasing,
//     none exists until its lease ends in Redis.
//
// With election.redis_addrs the lock needs a majority of those servers;
// the token still lives on the queue's Redis, so taking it needs that
// server too. Clients work best with ContextTimeoutEnabled set, so that a
// request is cut off at its deadline instead of at the client's read
// timeout; correctness does not depend on it.
package redislock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redsync/redsync/v4"
	redsyncredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/election"
)

var _ election.Elector = (*Elector)(nil)

// ErrRunning is returned by Run while another call of Run on the same
// Elector has not returned.
var ErrRunning = errors.New("redislock: already running")

// ErrSetup is wrapped by New's errors for arguments it cannot work with.
var ErrSetup = errors.New("redislock: bad setup")

// releaseTimeout bounds the release of the lock, which runs on a fresh
// context because the run context is usually done by then.
const releaseTimeout = time.Second

// Elector is one node's side of the election on Redis. Create it with
// New and run it with Run; State, Changed and StepDown may be called from
// any goroutine.
type Elector struct {
	cfg     election.Config
	term    redis.UniversalClient
	locks   []redis.UniversalClient
	rs      *redsync.Redsync
	mutex   *redsync.Mutex // used by Run's goroutines only, one at a time
	node    string
	lockKey string
	termKey string
	log     *slog.Logger
	warns   throttle
	changed chan struct{}
	stepped chan uint64 // the term StepDown ended, for the renew loop
	running atomic.Bool

	// crash makes Run return as a killed process would: without
	// releasing the lock and without publishing the end of the term.
	// Tests set it before Run.
	crash bool

	mu        sync.Mutex
	state     election.State
	seen      uint64    // highest term ever seen
	held      string    // the lock value while master
	holdUntil time.Time // no campaign before this, after a step-down
}

// New returns an Elector for nodeID under namespace. term is the queue's
// Redis, where the fencing counter `<namespace>:term` lives; lock are the
// servers that hold the lock `<namespace>:master`, one client per entry of
// election.redis_addrs. An empty lock means the lock lives on term too.
// A nil log means slog.Default().
func New(cfg election.Config, term redis.UniversalClient, lock []redis.UniversalClient,
	namespace, nodeID string, log *slog.Logger) (*Elector, error) {
	if err := checkSetup(cfg, term, lock, namespace, nodeID); err != nil {
		return nil, fmt.Errorf("redislock: new: %w", err)
	}
	if len(lock) == 0 {
		lock = []redis.UniversalClient{term}
	}
	if log == nil {
		log = slog.Default()
	}
	pools := make([]redsyncredis.Pool, len(lock))
	for i, c := range lock {
		pools[i] = goredis.NewPool(c)
	}
	e := &Elector{
		cfg: cfg, term: term, locks: lock, rs: redsync.New(pools...),
		node: nodeID, lockKey: namespace + ":master", termKey: namespace + ":term",
		log: log, changed: make(chan struct{}, 1), stepped: make(chan uint64, 1),
	}
	e.mutex = e.newMutex()
	return e, nil
}

// newMutex returns the lock this node campaigns with.
func (e *Elector) newMutex() *redsync.Mutex {
	ttl := float64(e.cfg.TTL)
	return e.rs.NewMutex(e.lockKey,
		redsync.WithExpiry(e.cfg.TTL),
		redsync.WithTries(1),
		redsync.WithGenValueFunc(e.newValue),
		redsync.WithDriftFactor(float64(e.cfg.Drift)/ttl),
		// One campaign request may take at most one retry period.
		redsync.WithTimeoutFactor(float64(e.cfg.Retry)/ttl),
		// A majority answers for the lock; a hanging minority must not
		// hold up a renewal until the lease is gone. Requests to that
		// minority finish in the background, bounded by their context.
		redsync.WithFailFast(true),
		// A renewal also takes the lock on a lock server that missed the
		// campaign (only where nobody holds it), so the master does not
		// stay one server's loss away from losing its term.
		redsync.WithSetNXOnExtend())
}

// checkSetup refuses arguments New cannot work with.
func checkSetup(cfg election.Config, term redis.UniversalClient,
	lock []redis.UniversalClient, namespace, nodeID string) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	switch {
	case term == nil:
		return fmt.Errorf("%w: no Redis client for the term counter", ErrSetup)
	case namespace == "":
		return fmt.Errorf("%w: empty namespace", ErrSetup)
	case nodeID == "":
		return fmt.Errorf("%w: empty node id", ErrSetup)
	case len(cfg.RedisAddrs) > 0 && len(lock) != len(cfg.RedisAddrs):
		return fmt.Errorf("%w: election.redis_addrs lists %d servers but %d lock clients "+
			"were given", ErrSetup, len(cfg.RedisAddrs), len(lock))
	}
	for i, c := range lock {
		if c == nil {
			return fmt.Errorf("%w: lock client %d is nil", ErrSetup, i)
		}
	}
	return nil
}

// newValue makes the lock value: this node's id and a random part, so
// that every term's value is unique and still names its holder.
func (e *Elector) newValue() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return e.node + ":" + hex.EncodeToString(b[:]), nil
}

// Run campaigns every election.retry and, while master, renews the lease
// every election.renew, until ctx ends. On return the lock has been
// released if it was held. It returns nil when ctx ended and ErrRunning
// when Run is already running; Redis failures are retried, never
// returned.
func (e *Elector) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer e.running.Store(false)
	wait := time.NewTimer(0)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wait.C:
		}
		if l, ok := e.campaign(ctx); ok {
			e.lead(ctx, l)
		} else {
			e.observe(ctx)
		}
		wait.Reset(e.nextTry())
	}
}

// StepDown ends this node's term at once, releases the lock and keeps
// this node from campaigning for about two election.retry periods, so
// that another node wins. The term has ended when it returns, even with
// an error: the error only says the release failed, and then the lock
// lapses after election.ttl. The release runs on a fresh context of its
// own, bounded to a second, so it happens even when ctx is done.
func (e *Elector) StepDown(ctx context.Context) error {
	e.mu.Lock()
	if !e.state.Leader {
		e.mu.Unlock()
		return election.ErrNotLeader
	}
	term, value := e.state.Term, e.held
	e.holdUntil = time.Now().Add(2*e.cfg.Retry + e.cfg.Retry/2)
	e.mu.Unlock()

	// Publish first: the node must stop acting before another can win.
	e.end(term, "step_down")
	select {
	case <-e.stepped:
	default:
	}
	select {
	case e.stepped <- term:
	default: // a concurrent StepDown of a newer term; its loop ends on its own
	}
	if err := e.release(ctx, value); err != nil {
		return fmt.Errorf("redislock: step down: %w", err)
	}
	return nil
}
