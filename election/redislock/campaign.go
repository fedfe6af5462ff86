package redislock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/go-redsync/redsync/v4"
	"github.com/redis/go-redis/v9"
)

// termScript takes the next fencing token. It increments the counter but
// never returns a value at or below ARGV[1], the highest term the caller
// has seen: when Redis lost writes and the counter fell behind, it is set
// to one above what the caller saw.
var termScript = redis.NewScript(`
local term = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if term <= floor then
  term = floor + 1
  redis.call('SET', KEYS[1], term)
end
return term
`)

// errLeaseSpent reports a lock won so slowly that its lease was used up
// before the term could start.
var errLeaseSpent = errors.New("lease spent before the term started")

// lease is one term held by this node.
type lease struct {
	term  uint64
	value string    // the lock value, which names this node
	until time.Time // the local deadline: request sent + ttl - drift
}

// campaign tries once to win the lock and take a fencing token. It
// reports false when another node holds the lock, when Redis failed, or
// while a step-down holds this node back.
func (e *Elector) campaign(ctx context.Context) (lease, bool) {
	if e.holdingBack(time.Now()) {
		return lease{}, false
	}

	// Win the lock. The lease counts from before the request was sent.
	sent := time.Now()
	if err := e.mutex.TryLockContext(ctx); err != nil {
		if ctx.Err() == nil && !errors.As(err, new(*redsync.ErrTaken)) {
			e.warn("campaign", err)
		}
		return lease{}, false
	}
	l := lease{value: e.mutex.Value(), until: sent.Add(e.cfg.TTL - e.cfg.Drift)}

	// Take the fencing token; without one the term cannot start.
	term, err := e.takeTerm(ctx, l.until)
	if err == nil && !time.Now().Before(l.until) {
		err = errLeaseSpent
	}
	if err != nil {
		if ctx.Err() == nil {
			e.warn("fencing token", err)
		}
		e.releaseQuietly(ctx, l.value)
		return lease{}, false
	}
	l.term = term
	e.won(l)
	return l, true
}

// takeTerm runs termScript with the highest term seen as the floor.
func (e *Elector) takeTerm(ctx context.Context, until time.Time) (uint64, error) {
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	floor := e.highestSeen()
	n, err := termScript.Run(ctx, e.term, []string{e.termKey}, floor).Int64()
	if err != nil {
		return 0, fmt.Errorf("take term: %w", err)
	}
	if n <= 0 || uint64(n) <= floor {
		return 0, fmt.Errorf("take term: counter returned %d at floor %d", n, floor)
	}
	return uint64(n), nil
}

// observe reads who holds the lock and the newest term, so that a node
// that is not master still reports both.
func (e *Elector) observe(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Retry)
	defer cancel()
	master, mErr := e.readMaster(ctx)
	term, tErr := e.term.Get(ctx, e.termKey).Uint64()
	if errors.Is(tErr, redis.Nil) {
		term, tErr = 0, nil
	}
	if err := errors.Join(mErr, tErr); err != nil && ctx.Err() == nil {
		e.warn("observe", err)
	}
	e.observed(master, mErr == nil, term)
}

// readMaster returns the node named by the lock value that a majority of
// the lock servers hold, or "" when no majority holds one.
func (e *Elector) readMaster(ctx context.Context) (string, error) {
	values, errs := e.readLocks(ctx)
	votes := make(map[string]int, len(values))
	answered := 0
	for i, v := range values {
		if errs[i] == nil {
			answered++
			votes[v]++
		}
	}
	quorum := len(e.locks)/2 + 1
	for v, n := range votes {
		if v != "" && n >= quorum {
			return holderOf(v), nil
		}
	}
	if answered < quorum {
		return "", fmt.Errorf("read master: %w", errors.Join(errs...))
	}
	return "", nil
}

// readLocks reads the lock value from every lock server at once; a
// missing key reads as "".
func (e *Elector) readLocks(ctx context.Context) ([]string, []error) {
	values := make([]string, len(e.locks))
	errs := make([]error, len(e.locks))
	var wg sync.WaitGroup
	for i, c := range e.locks {
		wg.Go(func() {
			values[i], errs[i] = c.Get(ctx, e.lockKey).Result()
			if errors.Is(errs[i], redis.Nil) {
				errs[i] = nil
			}
		})
	}
	wg.Wait()
	return values, errs
}

// holderOf returns the node id in a lock value `<node>:<random>`.
func holderOf(value string) string {
	if i := strings.LastIndexByte(value, ':'); i >= 0 {
		return value[:i]
	}
	return value
}

// nextTry returns the wait before the next campaign: election.retry with
// up to a tenth more or less, so that nodes do not campaign in step.
func (e *Elector) nextTry() time.Duration {
	spread := e.cfg.Retry / 5
	if spread <= 0 {
		return e.cfg.Retry
	}
	return e.cfg.Retry - spread/2 + rand.N(spread)
}
