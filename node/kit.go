package node

import (
	"fmt"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/builtin"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/receive"
	"github.com/herald-chatops/herald/queue"
)

// kit builds what handlers can use on the cluster (storage, groups,
// events, receive hooks, timers, HTTP routes, external commands), adds the
// built-in handlers that use it, then the program's own.
func (b *builder) kit(r *chat.Router, q queue.Queue, push handler.PushFunc) (*handler.Kit, error) {
	c := b.cfg.Chat
	nicks := []string{c.Nick}
	if c.Adapter == "irc" {
		nicks = append(nicks, c.IRC.Nick, c.IRC.AltNick, c.IRC.Nick+"_")
	}
	settings := handler.Settings{Auth: b.cfg.Auth, Ignore: receive.Config{IgnoreUsers: c.IgnoreUsers},
		Events: c.Events, HTTP: c.HTTP, Commands: c.Commands, Nicks: nicks,
		MaxBody: b.cfg.HTTP.MaxBody}
	k, err := handler.New(r, settings, handler.Backends{Store: b.kv, Claims: q, Push: push,
		Log: b.log})
	if err != nil {
		return nil, err
	}
	if err := builtin.RegisterNotes(k); err != nil {
		return nil, err
	}
	if c.TestCommands {
		if err := builtin.RegisterTestRoute(k, b.firstRoom()); err != nil {
			return nil, err
		}
	}
	if c.TestTimer > 0 {
		if err := builtin.RegisterTestTimer(k, b.firstRoom(), c.TestTimer); err != nil {
			return nil, err
		}
	}
	for i, h := range b.env.Handlers {
		if err := h(k); err != nil {
			return nil, fmt.Errorf("handler %d of the program: %w", i, err)
		}
	}
	return k, nil
}

// firstRoom is where test ticks are said: the first IRC channel, or the
// shell.
func (b *builder) firstRoom() string {
	if b.cfg.Chat.Adapter == "irc" && len(b.cfg.Chat.IRC.Channels) > 0 {
		return b.cfg.Chat.IRC.Channels[0]
	}
	return "shell"
}
