package timer

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/queue"
)

func lastKey(name string) string { return "last:" + name }

func claimKey(name string, slot time.Time) string {
	return "timer:" + name + ":" + strconv.FormatInt(slot.UnixMilli(), 10)
}

// catchUp handles the slot missed since the timer's last one, per its
// Missed policy. A timer never run before records now as its start.
func (s *Scheduler) catchUp(ctx context.Context, f queue.Fence, e *entry) error {
	now := time.Now()
	last, err := s.readLast(ctx, e.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.writeLast(ctx, e.Name, now)
		return nil
	case err != nil:
		s.failed.Add(1)
		s.log.Warn("timer last slot unreadable; no catch-up", "timer", e.Name, "err", err)
		return nil
	}
	missed := latest(e.sched, last, now)
	switch {
	case missed.IsZero():
		return nil
	case e.Missed == Skip:
		s.skipped.Add(1)
		s.log.Info("timer skips a missed slot", "timer", e.Name, "slot", missed)
		s.writeLast(ctx, e.Name, missed)
		return nil
	}
	return s.fire(ctx, f, e, missed, true)
}

func (s *Scheduler) readLast(ctx context.Context, name string) (time.Time, error) {
	v, err := s.last.Get(ctx, lastKey(name))
	if err != nil {
		return time.Time{}, err
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("timer: last slot %q: %w", v, err)
	}
	return time.UnixMilli(ms), nil
}

func (s *Scheduler) writeLast(ctx context.Context, name string, slot time.Time) {
	v := strconv.FormatInt(slot.UnixMilli(), 10)
	if err := s.last.Set(ctx, lastKey(name), v, 0); err != nil && ctx.Err() == nil {
		s.log.Warn("timer last slot not written", "timer", name, "err", err)
	}
}

// fire claims slot and, if this node won it, records it as the last and
// runs the handler. Only a refused fence is returned: everything else is
// one lost tick, logged and counted.
func (s *Scheduler) fire(ctx context.Context, f queue.Fence, e *entry, slot time.Time,
	late bool) error {
	won, err := s.claims.Claim(ctx, claimKey(e.Name, slot), claimTTL(e.sched), f)
	switch {
	case errors.Is(err, queue.ErrFenced):
		return fmt.Errorf("timer %s: claim: %w", e.Name, err)
	case err != nil:
		if ctx.Err() == nil {
			s.failed.Add(1)
			s.log.Warn("timer claim failed; tick lost", "timer", e.Name, "err", err)
		}
		return nil
	case !won:
		s.taken.Add(1)
		return nil
	}
	s.writeLast(ctx, e.Name, slot)
	if err := s.run(ctx, e, slot, late); err != nil {
		s.failed.Add(1)
		s.log.Warn("timer tick failed", "timer", e.Name, "slot", slot, "err", err)
		return nil
	}
	s.fired.Add(1)
	if late {
		s.late.Add(1)
	}
	return nil
}

// run calls the handler with its timeout and pushes the tick's actions
// with ids derived from the slot.
func (s *Scheduler) run(ctx context.Context, e *entry, slot time.Time, late bool) error {
	acts, err := s.call(ctx, e, slot, late)
	if err != nil || len(acts) == 0 {
		return err
	}
	chat.StampIDs(claimKey(e.Name, slot), acts)
	if s.push == nil {
		return errors.New("timer: no push function for actions")
	}
	if err := s.push(context.WithoutCancel(ctx), acts); err != nil {
		return fmt.Errorf("push actions: %w", err)
	}
	return nil
}

// call runs the handler once, turning a panic into ErrHandlerPanic.
func (s *Scheduler) call(ctx context.Context, e *entry, slot time.Time,
	late bool) (acts []chat.Action, err error) {
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, p, debug.Stack())
		}
	}()
	t := &Tick{Timer: e.Name, Slot: slot, Late: late}
	if err := e.Handler(ctx, t); err != nil {
		return nil, err
	}
	return t.Actions(), nil
}

// Fire runs the handler of the timer name once for slot, without a claim
// or a store write, and returns the actions it asked for with their ids.
// It is for tests and for admin commands that want a tick now.
func (s *Scheduler) Fire(ctx context.Context, name string, slot time.Time) ([]chat.Action,
	error) {
	e := s.entry(name)
	if e == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownTimer, name)
	}
	acts, err := s.call(ctx, e, slot, false)
	chat.StampIDs(claimKey(name, slot), acts)
	return acts, err
}
