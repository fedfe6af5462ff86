package timer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/queue"
)

// StoreHandler is the store namespace of the timers' last slots.
const StoreHandler = "timer"

// Claimer claims a key once cluster-wide, refusing a stale fence with
// queue.ErrFenced; queue.Queue is one.
type Claimer interface {
	Claim(ctx context.Context, key string, ttl time.Duration, f queue.Fence) (bool, error)
}

// PushFunc hands a tick's actions to the outbound list.
type PushFunc func(ctx context.Context, actions []chat.Action) error

// ErrHandlerPanic wraps a panic recovered from a tick handler.
var ErrHandlerPanic = errors.New("timer: handler panicked")

// ErrUnknownTimer is returned by Fire for a name never added.
var ErrUnknownTimer = errors.New("timer: unknown timer")

// Stats counts what the scheduler did since it was made.
type Stats struct {
	// Fired counts handler calls that succeeded and whose actions were
	// pushed; Late counts those of them that were missed slots.
	Fired, Late uint64
	// Taken counts slots already claimed elsewhere.
	Taken uint64
	// Skipped counts slots not fired: missed with Missed Skip, or passed
	// while the handler still ran.
	Skipped uint64
	// Failed counts handler errors, panics, timeouts, failed claims and
	// failed pushes.
	Failed uint64
}

// Scheduler fires the timers of this node while it is master. Add every
// timer before the first Run.
type Scheduler struct {
	last   store.Scope
	claims Claimer
	push   PushFunc
	log    *slog.Logger

	mu     sync.Mutex
	timers map[string]*entry
	order  []string

	fired, late, taken, skipped, failed atomic.Uint64
}

type entry struct {
	Timer
	sched schedule
}

// NewScheduler returns a scheduler that keeps last slots in s, claims
// slots with c and pushes actions with push. A nil log means
// slog.Default().
func NewScheduler(s store.Store, c Claimer, push PushFunc, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	return &Scheduler{last: store.For(s, StoreHandler), claims: c, push: push, log: log,
		timers: map[string]*entry{}}
}

// Add registers t. It fails with ErrBadTimer for an invalid or taken
// name, a bad schedule or a missing handler.
func (s *Scheduler) Add(t Timer) error {
	sched, err := t.check()
	if err != nil {
		return err
	}
	if t.Timeout == 0 {
		t.Timeout = DefaultTimeout
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.timers[t.Name]; ok {
		return fmt.Errorf("%w %q: added twice", ErrBadTimer, t.Name)
	}
	s.timers[t.Name] = &entry{Timer: t, sched: sched}
	s.order = append(s.order, t.Name)
	return nil
}

// Names returns the timers' names in the order they were added.
func (s *Scheduler) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// Stats returns the counts so far.
func (s *Scheduler) Stats() Stats {
	return Stats{Fired: s.fired.Load(), Late: s.late.Load(), Taken: s.taken.Load(),
		Skipped: s.skipped.Load(), Failed: s.failed.Load()}
}

// Run fires every timer for term until ctx ends, and returns nil then.
// Call it when the master role starts and end ctx when it ends. It
// returns an error wrapping queue.ErrFenced, after stopping every timer,
// when a claim finds the term over.
func (s *Scheduler) Run(ctx context.Context, term uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fenced error
	for _, name := range s.Names() {
		e := s.entry(name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.loop(ctx, queue.Fence(term), e); err != nil {
				mu.Lock()
				fenced = cmp.Or(fenced, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	return fenced
}

func (s *Scheduler) entry(name string) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timers[name]
}

// loop fires one timer's missed slot, then each slot as it comes, until
// ctx ends or the fence is refused.
func (s *Scheduler) loop(ctx context.Context, f queue.Fence, e *entry) error {
	if err := s.catchUp(ctx, f, e); err != nil {
		return err
	}
	for {
		now := time.Now()
		slot := e.sched.Next(now)
		if slot.IsZero() {
			s.log.Warn("timer has no next slot; it stops", "timer", e.Name)
			<-ctx.Done()
			return nil
		}
		if !sleepUntil(ctx, slot) {
			return nil
		}
		if err := s.fire(ctx, f, e, slot, false); err != nil {
			return err
		}
		if passed := latest(e.sched, slot, time.Now()); !passed.IsZero() {
			s.skipped.Add(1)
			s.log.Debug("timer slots passed while its handler ran", "timer", e.Name)
		}
	}
}

// sleepUntil waits until t or ctx's end, and reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
