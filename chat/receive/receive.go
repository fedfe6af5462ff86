// Package receive holds the master_receive hooks: checks the master runs
// on each incoming chat message before it is pushed onto the inbound
// list. It is a ballot: every hook sees every message, and one veto is
// enough to drop it, so no worker ever handles it. The reasons are logged
// at debug level with the message id, never the text.
//
// What it guarantees: a vetoed message is never queued; a hook that
// panics is recovered, logged and counted, and counts as a vote to keep
// the message (a broken hook must not silence the bot). Each hook gets a
// context with HookTimeout, but it runs on the master's inbound path, so
// a slow hook delays every message: hooks should decide from memory.
//
// What it does not do: rewrite messages, or run anywhere but the master.
package receive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// HookTimeout bounds the context of one hook call.
const HookTimeout = 2 * time.Second

// Hook votes on one message: keep reports whether it may be queued, and
// reason says why not (logged at debug).
type Hook func(ctx context.Context, msg chat.Message) (keep bool, reason string)

// ErrBadHook is returned by Add for a bad or taken name or a nil hook.
var ErrBadHook = errors.New("receive: bad hook")

var hookName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

type named struct {
	name string
	hook Hook
}

// Stats counts the ballot's outcomes since it was made.
type Stats struct {
	// Kept and Dropped count messages.
	Kept, Dropped uint64
	// Panicked counts hook calls that panicked.
	Panicked uint64
}

// Ballot runs the hooks. Add hooks before the node starts; Keep is safe
// for concurrent use after.
type Ballot struct {
	log   *slog.Logger
	hooks []named

	kept, dropped, panicked atomic.Uint64
}

// NewBallot returns a ballot without hooks, which keeps every message.
// A nil log means slog.Default().
func NewBallot(log *slog.Logger) *Ballot {
	if log == nil {
		log = slog.Default()
	}
	return &Ballot{log: log}
}

// Add appends a hook called name in logs.
func (b *Ballot) Add(name string, h Hook) error {
	if !hookName.MatchString(name) || h == nil {
		return fmt.Errorf("%w: %q", ErrBadHook, name)
	}
	for _, n := range b.hooks {
		if n.name == name {
			return fmt.Errorf("%w: %q added twice", ErrBadHook, name)
		}
	}
	b.hooks = append(b.hooks, named{name, h})
	return nil
}

// Keep runs every hook on msg and reports whether none vetoed it.
func (b *Ballot) Keep(ctx context.Context, msg chat.Message) bool {
	keep := true
	for _, h := range b.hooks {
		ok, reason := b.vote(ctx, h, msg)
		if !ok {
			keep = false
			b.log.Debug("message vetoed", "msg_id", msg.ID, "hook", h.name, "reason", reason)
		}
	}
	if keep {
		b.kept.Add(1)
	} else {
		b.dropped.Add(1)
	}
	return keep
}

// vote calls one hook; a panic counts as keep.
func (b *Ballot) vote(ctx context.Context, h named, msg chat.Message) (keep bool,
	reason string) {
	ctx, cancel := context.WithTimeout(ctx, HookTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			b.panicked.Add(1)
			b.log.Error("receive hook panicked", "hook", h.name, "msg_id", msg.ID,
				"err", fmt.Sprintf("%v\n%s", p, debug.Stack()))
			keep, reason = true, ""
		}
	}()
	return h.hook(ctx, msg)
}

// Stats returns the counts so far.
func (b *Ballot) Stats() Stats {
	return Stats{Kept: b.kept.Load(), Dropped: b.dropped.Load(), Panicked: b.panicked.Load()}
}
