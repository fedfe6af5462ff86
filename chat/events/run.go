package events

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// Run delivers events until ctx ends, then delivers those already
// emitted, and returns once every hook call it started has returned or,
// for calls that ignore their cancelled context, after one more hook
// timeout. Run must be called once; its caller owns the bus's goroutines.
func (b *Bus) Run(ctx context.Context) {
	for {
		select {
		case ev := <-b.queue:
			b.deliver(ctx, ev)
		case <-ctx.Done():
			b.flush(ctx)
			b.waitHooks()
			return
		}
	}
}

// flush delivers what was emitted before the bus stopped, such as the
// master_stopped of a graceful stop.
func (b *Bus) flush(ctx context.Context) {
	for {
		select {
		case ev := <-b.queue:
			b.deliver(ctx, ev)
		default:
			return
		}
	}
}

// waitHooks waits for hook calls past their timeout, for at most one
// more timeout.
func (b *Bus) waitHooks() {
	done := make(chan struct{})
	go func() { b.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.cfg.HookTimeout):
		b.log.Error("event hooks still running after their context ended; not waiting")
	}
}

// deliver calls every hook of ev's kind, one after the other.
func (b *Bus) deliver(ctx context.Context, ev Event) {
	b.mu.Lock()
	hooks := append([]named(nil), b.hooks[ev.Kind]...)
	b.mu.Unlock()
	for _, h := range hooks {
		b.callOne(ctx, ev, h)
	}
}

// callOne runs one hook with the hook timeout and pushes its actions.
// The hook's context outlives ctx, so the last events of a stopping node
// are still delivered.
func (b *Bus) callOne(ctx context.Context, ev Event, h named) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.HookTimeout)
	defer cancel()
	out := &chat.Outbox{}
	done := make(chan error, 1)
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		done <- b.call(hctx, h, ev, out)
	}()
	select {
	case err := <-done:
		b.settle(hctx, ev, h.name, out, err)
	case <-hctx.Done():
		b.timedOut.Add(1)
		b.log.Warn("event hook timed out; its actions are dropped", "event", ev.Kind,
			"hook", h.name, "timeout", b.cfg.HookTimeout)
	}
}

// call runs the hook, turning a panic into ErrHookPanic.
func (b *Bus) call(ctx context.Context, h named, ev Event, out *chat.Outbox) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", ErrHookPanic, p, debug.Stack())
		}
	}()
	return h.hook(ctx, ev, out)
}

// settle counts a finished call and pushes its actions.
func (b *Bus) settle(ctx context.Context, ev Event, hook string, out *chat.Outbox, err error) {
	switch {
	case errors.Is(err, ErrHookPanic):
		b.panicked.Add(1)
		b.log.Error("event hook panicked", "event", ev.Kind, "hook", hook, "err", err)
		return
	case err != nil:
		b.failed.Add(1)
		b.log.Warn("event hook failed", "event", ev.Kind, "hook", hook, "err", err)
		return
	}
	if err := b.pushActions(ctx, ev, hook, out.Actions()); err != nil {
		b.failed.Add(1)
		b.log.Warn("event hook actions not pushed", "event", ev.Kind, "hook", hook, "err", err)
		return
	}
	b.delivered.Add(1)
}

// pushActions stamps ids unique to this emission and hands the actions on.
func (b *Bus) pushActions(ctx context.Context, ev Event, hook string, acts []chat.Action) error {
	if len(acts) == 0 {
		return nil
	}
	if b.push == nil {
		return errNoPush
	}
	prefix := "event:" + string(ev.Kind) + ":" + ev.Node + ":" +
		strconv.FormatInt(ev.Time.UnixNano(), 10) + ":" + hook
	chat.StampIDs(prefix, acts)
	return b.push(ctx, acts)
}

// Deliver calls ev's hooks now, on the caller's goroutine, as Run would,
// and returns when they are done. It is for tests (see package chattest);
// the node uses Emit.
func (b *Bus) Deliver(ctx context.Context, ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	b.deliver(ctx, ev)
}
