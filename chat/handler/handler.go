// Package handler gathers everything a handler can register with into one
// Kit: chat routes, the shared store, event hooks, master_receive hooks,
// cluster-wide timers and HTTP routes. A handler is a function that takes
// the Kit and registers what it needs, the same on every node:
//
//	func Register(k *handler.Kit) error {
//		notes := k.Scope("notes")
//		return k.Route(chat.Route{Name: "note", Pattern: `^note (\w+)$`, ...})
//	}
//
// The node builds the Kit with New before it starts and passes it to each
// handler; a test builds one with package chattest. The guarantees are
// those of the parts: see packages store, events, receive, timer,
// webroute, auth and external.
package handler

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/auth"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/external"
	"github.com/herald-chatops/herald/chat/receive"
	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/chat/timer"
	"github.com/herald-chatops/herald/chat/webroute"
)

// Kit is what a handler registers with. Register everything before the
// node starts.
type Kit struct {
	// Router holds the chat routes.
	Router *chat.Router
	// Store is shared by the whole cluster; use Scope for a namespace.
	Store store.Store
	// Auth answers group membership.
	Auth *auth.Authorizer
	// Events delivers worker, master and chat events to hooks.
	Events *events.Bus
	// Receive holds the master_receive hooks.
	Receive *receive.Ballot
	// Timers fires timers once per tick in the cluster.
	Timers *timer.Scheduler
	// HTTP serves handler routes under /handlers/<name>/.
	HTTP *webroute.Registry
}

// Settings are the configuration sections the Kit's parts read.
type Settings struct {
	// Auth is the YAML section `auth`.
	Auth auth.Config
	// Ignore holds chat.ignore_users.
	Ignore receive.Config
	// Events is the YAML section `chat.events`.
	Events events.Config
	// HTTP is the YAML section `http.handlers`.
	HTTP webroute.Config
	// Commands is the YAML list `chat.commands`.
	Commands external.Commands
	// Nicks are the bot's own names, whose messages the master drops.
	Nicks []string
	// MaxBody is http.max_body, the body limit of the HTTP routes.
	MaxBody int64
}

// PushFunc hands actions to the outbound list: the node's push.
type PushFunc func(ctx context.Context, actions []chat.Action) error

// Backends are what the Kit's parts run on.
type Backends struct {
	// Store is the cluster's shared store.
	Store store.Store
	// Claims claims timer slots with the term as fence: the queue.
	Claims timer.Claimer
	// Push queues the actions of hooks, timers and HTTP routes.
	Push PushFunc
	// Log is the node's logger; nil means slog.Default().
	Log *slog.Logger
}

// ErrNoBackend is returned by New without a store, a claimer or a push.
var ErrNoBackend = errors.New("handler: store, claims and push are required")

// New builds the Kit on r: the authorizer and its `auth` commands, the
// ignore hook, the event bus, the timer scheduler, the HTTP registry and
// the routes of chat.commands.
func New(r *chat.Router, s Settings, b Backends) (*Kit, error) {
	if b.Store == nil || b.Claims == nil || b.Push == nil || r == nil {
		return nil, ErrNoBackend
	}
	if b.Log == nil {
		b.Log = slog.Default()
	}
	if err := s.Ignore.Validate(); err != nil {
		return nil, err
	}
	k, err := newParts(r, s, b)
	if err != nil {
		return nil, err
	}

	// The built-ins go first, so that a handler cannot take their names.
	if err := auth.Register(r, k.Auth); err != nil {
		return nil, err
	}
	ignore := receive.Ignore(s.Ignore, s.Nicks...)
	if err := k.Receive.Add(receive.IgnoreHookName, ignore); err != nil {
		return nil, err
	}
	return k, external.Register(r, s.Commands, external.Options{Log: b.Log})
}

// newParts makes the parts that check their own settings.
func newParts(r *chat.Router, s Settings, b Backends) (*Kit, error) {
	k := &Kit{Router: r, Store: b.Store, Receive: receive.NewBallot(b.Log),
		Timers: timer.NewScheduler(b.Store, b.Claims, timer.PushFunc(b.Push), b.Log)}
	var err error
	if k.Auth, err = auth.New(s.Auth, b.Store); err != nil {
		return nil, err
	}
	if k.Events, err = events.New(s.Events, events.PushFunc(b.Push), b.Log); err != nil {
		return nil, err
	}
	k.HTTP, err = webroute.New(s.HTTP, s.MaxBody, webroute.PushFunc(b.Push), b.Log)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Scope returns the store namespace of a handler.
func (k *Kit) Scope(name string) store.Scope { return store.For(k.Store, name) }

// Route adds a chat route.
func (k *Kit) Route(rt chat.Route) error { return k.Router.Add(rt) }

// Every adds a timer that ticks at each multiple of d, firing a missed
// tick once after a failover.
func (k *Kit) Every(name string, d time.Duration, h timer.HandlerFunc) error {
	return k.Timers.Add(timer.Timer{Name: name, Every: d, Handler: h})
}

// Cron adds a timer on a cron expression (UTC unless CRON_TZ= is given),
// firing a missed tick once after a failover.
func (k *Kit) Cron(name, spec string, h timer.HandlerFunc) error {
	return k.Timers.Add(timer.Timer{Name: name, Cron: spec, Handler: h})
}

// On subscribes a hook to an event.
func (k *Kit) On(kind events.Kind, name string, h events.Hook) error {
	return k.Events.On(kind, name, h)
}

// Handle serves an HTTP route at /handlers/<handler><path>.
func (k *Kit) Handle(handler, method, path string, h webroute.HandlerFunc) error {
	return k.HTTP.Handle(handler, method, path, h)
}
