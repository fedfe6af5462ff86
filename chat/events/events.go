// Package events delivers the cluster's life events to the hooks that
// handlers subscribe, on the node where each event makes sense:
//
//	worker_started     every node, once its worker pools run
//	master_started     the node that won the master role, with the term
//	master_stopped     the node that lost it, with the term and the reason
//	chat_connected     the master, with the adapter's name
//	chat_disconnected  the master, with the adapter's name
//
// The node calls Bus.Emit at those points; Emit never blocks. One
// goroutine, Bus.Run, delivers the events in the order they were emitted
// and, for one event, calls its hooks one after the other in the order
// they were added. Each call has Config.HookTimeout: a hook still running
// then is left to finish on a cancelled context, its actions dropped, and
// the next hook called, so a stuck hook delays the others by at most the
// timeout. A hook that returns an error or panics is logged and counted
// (see Stats); neither stops the bus or the node.
//
// The actions a hook asks for go to the outbound list through the push
// function, with ids unique to the emission, like any handler's.
//
// What it does not promise: delivery of an event the node never emitted
// (a master killed with SIGKILL emits no master_stopped; hooks that
// must react to a lost master run master_started on the next one), or
// delivery when more than Config.Backlog events wait (the newest are
// dropped and counted). Events are local to a node, not broadcast.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// Kind names an event.
type Kind string

// The events a hook can subscribe to.
const (
	WorkerStarted    Kind = "worker_started"
	MasterStarted    Kind = "master_started"
	MasterStopped    Kind = "master_stopped"
	ChatConnected    Kind = "chat_connected"
	ChatDisconnected Kind = "chat_disconnected"
)

// Kinds lists every Kind.
var Kinds = []Kind{WorkerStarted, MasterStarted, MasterStopped, ChatConnected,
	ChatDisconnected}

// Event is one thing that happened to a node.
type Event struct {
	Kind Kind
	// Node is the id of the node the event happened on.
	Node string
	// Term is the master's term for the master and chat events.
	Term uint64
	// Adapter is the chat adapter's name for the chat events.
	Adapter string
	// Reason says why a master stopped or chat disconnected, when known.
	Reason string
	// Time is when it happened; Emit sets it when zero.
	Time time.Time
}

// Hook reacts to an event. Actions it asks for through out are pushed
// once it returns nil. It must return soon after ctx ends.
type Hook func(ctx context.Context, ev Event, out *chat.Outbox) error

// PushFunc hands actions to the outbound list (the node's push).
type PushFunc func(ctx context.Context, actions []chat.Action) error

// Errors of the Bus.
var (
	// ErrHookPanic wraps a panic recovered from a hook.
	ErrHookPanic = errors.New("events: hook panicked")
	// ErrBadHook is returned by On for an unknown kind, a bad or taken
	// name, or a nil hook.
	ErrBadHook = errors.New("events: bad hook")
)

// hookName is what a hook may be called; it is part of action ids.
var hookName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

type named struct {
	name string
	hook Hook
}

// Stats counts what happened to hook calls since the Bus was made.
type Stats struct {
	// Delivered counts hook calls that returned nil in time.
	Delivered uint64
	// Failed counts hook calls that returned an error or whose actions
	// could not be pushed.
	Failed uint64
	// Panicked counts hook calls that panicked.
	Panicked uint64
	// TimedOut counts hook calls still running after the hook timeout.
	TimedOut uint64
	// Dropped counts events not delivered because the backlog was full.
	Dropped uint64
}

// Bus holds the hooks and delivers events to them. Make it with New.
type Bus struct {
	cfg  Config
	push PushFunc
	log  *slog.Logger

	mu    sync.Mutex
	hooks map[Kind][]named

	queue   chan Event
	running sync.WaitGroup // hook calls, including those past their timeout

	delivered, failed, panicked, timedOut, dropped atomic.Uint64
}

// New returns a bus that pushes hooks' actions with push (nil drops them
// with a warning). A nil log means slog.Default().
func New(cfg Config, push PushFunc, log *slog.Logger) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Bus{cfg: cfg, push: push, log: log, hooks: map[Kind][]named{},
		queue: make(chan Event, cfg.Backlog)}, nil
}

// On subscribes h, called name in logs, to events of kind.
func (b *Bus) On(kind Kind, name string, h Hook) error {
	if !knownKind(kind) || !hookName.MatchString(name) || h == nil {
		return fmt.Errorf("%w: kind %q, name %q", ErrBadHook, kind, name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.hooks[kind] {
		if n.name == name {
			return fmt.Errorf("%w: %q added twice to %s", ErrBadHook, name, kind)
		}
	}
	b.hooks[kind] = append(b.hooks[kind], named{name, h})
	return nil
}

func knownKind(k Kind) bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// Emit queues ev for delivery and returns at once. It reports false when
// the backlog was full and ev was dropped.
func (b *Bus) Emit(ev Event) bool {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	select {
	case b.queue <- ev:
		return true
	default:
		b.dropped.Add(1)
		b.log.Warn("event dropped: backlog full", "event", ev.Kind, "backlog", b.cfg.Backlog)
		return false
	}
}

// Stats returns the counts so far.
func (b *Bus) Stats() Stats {
	return Stats{Delivered: b.delivered.Load(), Failed: b.failed.Load(),
		Panicked: b.panicked.Load(), TimedOut: b.timedOut.Load(), Dropped: b.dropped.Load()}
}
