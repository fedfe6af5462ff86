// Package chattest lets a handler's author test it in a few lines, with no
// Redis, no chat service and no node: a Bot is a handler.Kit on a memory
// store, and every action the handler asks for comes back to the test as
// text.
//
//	func TestCounter(t *testing.T) {
//		bot := chattest.New(t)
//		bot.Use(counter.Register)
//		bot.Run(t, []chattest.Case{
//			{Name: "first", User: "alice", Text: "herald: count",
//				Want: []string{"reply #test alice: 1"}},
//			{Name: "again", User: "bob", Text: "herald: count",
//				Want: []string{"reply #test bob: 2"}},
//		})
//	}
//
// Actions are written by Format: "reply ROOM USER: LINE", "send TARGET:
// LINE" (one string per line), "topic ROOM: TEXT", "join ROOM", "part
// ROOM". A message is addressed when it starts with the bot's nick and
// ':', ',' or a space, as the IRC adapter decides.
//
// What it does not do: run the lists, the election or a real adapter, so
// it shows what a handler asks for, not when the master sends it.
package chattest

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/auth"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/receive"
	"github.com/herald-chatops/herald/chat/store/memstore"
	"github.com/herald-chatops/herald/chat/webroute"
	"github.com/herald-chatops/herald/queue"
)

// Defaults of a Bot.
const (
	// Nick is the bot's name that addresses it.
	Nick = "herald"
	// Room is where Say speaks.
	Room = "#test"
)

// Bot is a Kit on a memory store with helpers to talk to it.
type Bot struct {
	*handler.Kit
	// Memory is the Kit's store, for a test to read or seed.
	Memory *memstore.Store
	// Nick addresses the bot; Room is where Say speaks.
	Nick, Room string

	t   testing.TB
	seq int

	mu     sync.Mutex
	pushed []chat.Action
}

// Option changes how New builds a Bot.
type Option func(*options)

type options struct {
	settings handler.Settings
	log      *slog.Logger
}

// WithAdmins makes users members of the admins group (auth.admins).
func WithAdmins(users ...string) Option {
	return func(o *options) { o.settings.Auth.Admins = append(o.settings.Auth.Admins, users...) }
}

// WithIgnored adds users to chat.ignore_users.
func WithIgnored(users ...string) Option {
	return func(o *options) {
		o.settings.Ignore.IgnoreUsers = append(o.settings.Ignore.IgnoreUsers, users...)
	}
}

// WithLog sends the Kit's logs to log instead of discarding them.
func WithLog(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// New returns a Bot with the auth commands and the ignore hook, and fails
// t if it cannot be built.
func New(t testing.TB, opts ...Option) *Bot {
	t.Helper()
	o := options{log: slog.New(slog.DiscardHandler), settings: handler.Settings{
		Events: events.DefaultConfig(), HTTP: webroute.DefaultConfig(), Nicks: []string{Nick},
		MaxBody: 1 << 20, Ignore: receive.DefaultConfig(), Auth: auth.DefaultConfig()}}
	for _, opt := range opts {
		opt(&o)
	}
	b := &Bot{Memory: memstore.New(), Nick: Nick, Room: Room, t: t}
	kit, err := handler.New(chat.NewRouter(), o.settings, handler.Backends{Store: b.Memory,
		Claims: &claims{taken: map[string]bool{}}, Push: b.push, Log: o.log})
	if err != nil {
		t.Fatalf("chattest: %v", err)
	}
	b.Kit = kit
	return b
}

// Use registers a handler, failing t on error.
func (b *Bot) Use(register func(*handler.Kit) error) {
	b.t.Helper()
	if err := register(b.Kit); err != nil {
		b.t.Fatalf("chattest: register: %v", err)
	}
}

// Grant puts user in groups through the Kit's authorizer.
func (b *Bot) Grant(user string, groups ...string) {
	b.t.Helper()
	for _, g := range groups {
		if err := b.Auth.Add(context.Background(), user, g); err != nil {
			b.t.Fatalf("chattest: grant %s %s: %v", user, g, err)
		}
	}
}

// push collects what events, timers and HTTP routes queue.
func (b *Bot) push(_ context.Context, acts []chat.Action) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pushed = append(b.pushed, acts...)
	return nil
}

// takePushed returns and forgets the actions pushed so far.
func (b *Bot) takePushed() []chat.Action {
	b.mu.Lock()
	defer b.mu.Unlock()
	acts := b.pushed
	b.pushed = nil
	return acts
}

// Message builds the message user says in room, addressed when text
// starts with the bot's nick; an empty room makes it private.
func (b *Bot) Message(room, user, text string) chat.Message {
	b.seq++
	m := chat.Message{ID: "m" + strconv.Itoa(b.seq), Room: room,
		User: chat.User{ID: user, Name: user}, Text: text, Time: time.Now()}
	if room == "" {
		m.Room, m.Private, m.Addressed = user, true, true
		return m
	}
	m.Addressed, m.Text = addressed(b.Nick, text)
	return m
}

func addressed(nick, text string) (bool, string) {
	n := len(nick)
	if len(text) > n && strings.EqualFold(text[:n], nick) &&
		strings.IndexByte(":, ", text[n]) >= 0 {
		return true, strings.TrimLeft(text[n+1:], " ")
	}
	return false, text
}

// Dispatch runs the router on msg, as a worker would.
func (b *Bot) Dispatch(msg chat.Message) ([]chat.Action, error) {
	return b.Router.Dispatch(context.Background(), msg)
}

// Say sends text from user in the Bot's room and returns the actions as
// text. A handler error fails the test.
func (b *Bot) Say(user, text string) []string { return b.say(b.Room, user, text) }

// SayIn is Say in another room.
func (b *Bot) SayIn(room, user, text string) []string { return b.say(room, user, text) }

// Whisper sends text from user in a private message.
func (b *Bot) Whisper(user, text string) []string { return b.say("", user, text) }

func (b *Bot) say(room, user, text string) []string {
	b.t.Helper()
	acts, err := b.Dispatch(b.Message(room, user, text))
	if err != nil {
		b.t.Fatalf("chattest: %s said %q: %v", user, text, err)
	}
	return Format(acts...)
}

// Format writes actions as text, one string per line of text.
func Format(acts ...chat.Action) []string {
	var out []string
	for _, a := range acts {
		switch a.Kind {
		case chat.Reply:
			for _, l := range a.Lines {
				out = append(out, fmt.Sprintf("reply %s %s: %s", a.Target, a.User, l))
			}
		case chat.Send:
			for _, l := range a.Lines {
				out = append(out, fmt.Sprintf("send %s: %s", a.Target, l))
			}
		case chat.Topic:
			out = append(out, fmt.Sprintf("topic %s: %s", a.Target, a.Text))
		default:
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", a.Kind, a.Target, a.Text)))
		}
	}
	return out
}

// claims is an in-memory timer.Claimer for one process.
type claims struct {
	mu    sync.Mutex
	taken map[string]bool
}

func (c *claims) Claim(_ context.Context, key string, _ time.Duration, _ queue.Fence) (bool,
	error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.taken[key] {
		return false, nil
	}
	c.taken[key] = true
	return true, nil
}
