// Package chat holds what Herald says and hears: the message and action
// types that travel on the lists, the Adapter interface that each chat
// service implements, and the Router that matches messages to handlers.
//
// Messages and actions are plain JSON values so that tools other than
// Herald can read the lists. An action carries an id derived from the
// message that caused it, so that the master can drop a second delivery of
// the same reply (see the queue package for where that promise ends).
package chat

import (
	"context"
	"errors"
	"time"
)

// ErrUnsupported is returned by an adapter for an action its service has
// no equivalent of, such as a topic on a service without topics.
var ErrUnsupported = errors.New("chat: action not supported by adapter")

// User is the sender of a message.
type User struct {
	// ID is stable for the user on the chat service (an IRC nick has no
	// better one, so there it is the nick).
	ID string `json:"id"`
	// Name is what people see.
	Name string `json:"name"`
	// Mention is how to address the user in a reply, when it differs from
	// Name.
	Mention string `json:"mention,omitempty"`
}

// Message is one incoming chat message.
type Message struct {
	// ID is the chat service's own id where it has one, otherwise one
	// made by the adapter on receipt. Replies derive their ids from it.
	ID string `json:"id"`
	// Room is where the message was said; for a private message it is
	// the sender's id, so a reply to Room always reaches the sender.
	Room string `json:"room"`
	User User   `json:"user"`
	// Text is the message with any address to the bot removed when
	// Addressed is true.
	Text string `json:"text"`
	// Private is true for a direct message to the bot.
	Private bool `json:"private,omitempty"`
	// Addressed is true when the bot was named ("herald: ping") or the
	// message was private.
	Addressed bool      `json:"addressed,omitempty"`
	Time      time.Time `json:"time"`
}

// ActionKind says what an Action does.
type ActionKind string

// The kinds of action a handler can ask the master to perform.
const (
	// Send says Lines to Target (a room or a user).
	Send ActionKind = "send"
	// Reply says Lines to Target, addressing User.
	Reply ActionKind = "reply"
	// Topic sets Target's topic to Text.
	Topic ActionKind = "topic"
	// Join joins the room Target.
	Join ActionKind = "join"
	// Part leaves the room Target.
	Part ActionKind = "part"
)

// Action is something only the master can do: it holds the one chat
// connection. Workers push actions onto the outbound list.
type Action struct {
	// ID identifies the action for deduplication: the master performs an
	// id once within the dedupe window.
	ID     string     `json:"id"`
	Kind   ActionKind `json:"kind"`
	Target string     `json:"target"`
	// User is the mention to address in a Reply.
	User  string   `json:"user,omitempty"`
	Lines []string `json:"lines,omitempty"`
	// Text is the topic for Topic, or a reason for Part.
	Text string `json:"text,omitempty"`
	// Notice marks a notification (a webhook event) rather than an answer
	// to a person; answers go first and notices may be coalesced.
	Notice bool `json:"notice,omitempty"`
}

// Events are the callbacks an adapter makes while it runs. Receive must
// not block for long; the node queues the message and returns.
type Events struct {
	Receive      func(Message)
	Connected    func()
	Disconnected func(err error)
}

// Adapter is the connection to one chat service. Only the master runs one.
type Adapter interface {
	// Name is the adapter's config name, such as "irc".
	Name() string
	// Run connects and serves until ctx ends, reconnecting on its own.
	// It returns nil when ctx ended and an error only when it cannot go on
	// (a configuration the service refuses).
	Run(ctx context.Context, ev Events) error
	// Perform carries out one action on the current connection. Right
	// before it writes each line, after any wait for pacing, it calls
	// gate (when not nil) and stops with gate's error, wrapped, if gate
	// refuses: that is where the master checks, at the last moment, that
	// it is still master and claims the action. Perform returns
	// ErrUnsupported for an action the service lacks, ErrNotConnected
	// when no line was written for want of a connection, and ErrPartial
	// when the connection failed after some lines went out.
	Perform(ctx context.Context, a Action, gate Gate) error
}

// Gate is called by an adapter right before it writes each line of an
// action; first is true for the action's first line. A non-nil error
// stops the action before that line.
type Gate func(first bool) error

// Errors of Perform.
var (
	// ErrNotConnected: no line of the action was written, for want of a
	// connection; the action can be tried again whole.
	ErrNotConnected = errors.New("chat: not connected")
	// ErrPartial: the connection failed after some lines of the action
	// went out; trying it again would repeat them.
	ErrPartial = errors.New("chat: action cut short by a lost connection")
)
