package redislock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-redsync/redsync/v4"
)

// renewal is the outcome of one extension of the lock.
type renewal struct {
	sent time.Time
	ok   bool
	err  error
}

// lead holds the term of l: it extends the lock every election.renew and
// ends the term when ctx ends, when StepDown ended it, when the lock was
// taken, or when the local deadline passes without a successful
// extension. One extension runs at a time, in a goroutine, so that the
// deadline timer fires on time however long a request hangs.
func (e *Elector) lead(ctx context.Context, l lease) {
	var wg sync.WaitGroup
	defer wg.Wait()
	results := make(chan renewal, 1)
	expire := time.NewTimer(time.Until(l.until))
	defer expire.Stop()
	next := time.NewTimer(e.cfg.Renew)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			if !e.crash {
				e.end(l.term, "shutdown")
				e.releaseQuietly(ctx, l.value)
			}
			return
		case term := <-e.stepped:
			if term == l.term {
				return // StepDown published the end and released
			}
		case <-expire.C:
			// No release: the lock lapses within the drift allowance, and a
			// hanging Redis would only hold up the next campaign.
			e.end(l.term, "lease_expired")
			return
		case <-next.C:
			wg.Add(1)
			go e.extend(ctx, l.until, results, &wg)
		case r := <-results:
			if !e.renewed(&l, r, expire, next) {
				return
			}
		}
	}
}

// extend sends one extension. It gives up at the local deadline, or
// after one renew period so that a lost request is retried in time.
func (e *Elector) extend(ctx context.Context, until time.Time, out chan<- renewal,
	wg *sync.WaitGroup) {
	defer wg.Done()
	sent := time.Now()
	ctx, cancel := context.WithDeadline(ctx, earliest(until, sent.Add(e.cfg.Renew)))
	defer cancel()
	ok, err := e.mutex.ExtendContext(ctx)
	out <- renewal{sent: sent, ok: ok, err: err}
}

// renewed handles the outcome of an extension and reports whether the
// term goes on. A success moves the deadline to the send time plus
// ttl - drift; a lock taken by another ends the term at once; any other
// failure is retried after election.retry until the deadline.
func (e *Elector) renewed(l *lease, r renewal, expire, next *time.Timer) bool {
	switch {
	case r.ok:
		l.until = r.sent.Add(e.cfg.TTL - e.cfg.Drift)
		e.extended(l.term, l.until)
		expire.Reset(time.Until(l.until))
		next.Reset(time.Until(r.sent.Add(e.cfg.Renew)))
		e.log.Debug("lease renewed", "node", e.node, "term", l.term)
		return true
	case errors.As(r.err, new(*redsync.ErrTaken)):
		e.end(l.term, "lock_lost")
		return false
	default:
		if r.err == nil {
			r.err = redsync.ErrExtendFailed
		}
		e.warn("renew", r.err)
		next.Reset(e.cfg.Retry)
		return true
	}
}

// release deletes the lock if it still holds value. It runs on a fresh
// context bounded by releaseTimeout, because ctx is usually done. A lock
// that already lapsed or passed to another node is no failure.
func (e *Elector) release(ctx context.Context, value string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	m := e.rs.NewMutex(e.lockKey, redsync.WithValue(value), redsync.WithFailFast(true))
	ok, err := m.UnlockContext(ctx)
	if ok || !errors.As(err, new(*redsync.RedisError)) {
		return nil
	}
	return fmt.Errorf("release: %w", err)
}

// releaseQuietly releases and logs a failure: the lock lapses on its own.
func (e *Elector) releaseQuietly(ctx context.Context, value string) {
	if err := e.release(ctx, value); err != nil {
		e.warn("release", err)
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
