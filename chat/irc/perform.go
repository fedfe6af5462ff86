package irc

import (
	"context"
	"fmt"
	"strings"

	"github.com/herald-chatops/herald/chat"
)

// minPayload is the least room for text a line must leave after the
// command, the target and a reply's address.
const minPayload = 16

// Perform carries out one action: Send and Reply as PRIVMSG lines (Reply
// addresses the user as "user: " on every line, except in a private
// conversation with that user), Topic, Join and Part. Each line waits for
// a token of the bucket, then passes gate, then is written; the lines of
// one action go out together, and concurrent calls take turns. Perform
// returns chat.ErrUnsupported for other kinds, ErrBadTarget for a target
// it will not write, gate's error, chat.ErrNotConnected when no line went
// out for want of a connection, and chat.ErrPartial when the connection
// failed after some lines went out.
func (a *Adapter) Perform(ctx context.Context, act chat.Action, gate chat.Gate) error {
	op := "irc: perform " + string(act.Kind)
	lines, err := a.build(act)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if a.session() == nil {
		return fmt.Errorf("%s: %w", op, chat.ErrNotConnected)
	}

	// Take the turn, so that the lines of one action stay together.
	if err := a.turn.take(ctx, !act.Notice); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer a.turn.give()

	lost := chat.ErrNotConnected
	for i, m := range lines {
		if err := a.bucket.wait(ctx); err != nil {
			if i > 0 {
				return fmt.Errorf("%s: %w: %w", op, chat.ErrPartial, err)
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		s := a.session()
		if s == nil {
			return fmt.Errorf("%s: %w", op, lost)
		}
		if gate != nil {
			if err := gate(i == 0); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
		}
		if err := s.write(m); err != nil {
			return fmt.Errorf("%s: %w: %w", op, lost, err)
		}
		lost = chat.ErrPartial
	}
	a.trackRooms(act)
	return nil
}

// build turns an action into the lines to send.
func (a *Adapter) build(act chat.Action) ([]Message, error) {
	if act.Kind != chat.Send && act.Kind != chat.Reply && act.Kind != chat.Topic &&
		act.Kind != chat.Join && act.Kind != chat.Part {
		return nil, chat.ErrUnsupported
	}
	if err := checkTarget(act.Target); err != nil {
		return nil, err
	}
	switch act.Kind {
	case chat.Topic:
		return a.withText("TOPIC", act.Target, act.Text, true)
	case chat.Join:
		if err := checkChannel(act.Target); err != nil {
			return nil, fmt.Errorf("%w: %q %v", ErrBadTarget, act.Target, err)
		}
		return []Message{{Command: "JOIN", Params: []string{act.Target}}}, nil
	case chat.Part:
		return a.withText("PART", act.Target, act.Text, false)
	}
	return a.say(act)
}

// say builds the PRIVMSG lines of a Send or Reply.
func (a *Adapter) say(act chat.Action) ([]Message, error) {
	prefix := ""
	if act.Kind == chat.Reply && act.User != "" && fold(act.User) != fold(act.Target) {
		prefix = flatten(act.User) + ": "
	}
	room := a.cfg.MaxLine - len("PRIVMSG  :\r\n") - len(act.Target) - len(prefix)
	if room < minPayload {
		return nil, fmt.Errorf("%w: %q leaves no room for text within chat.irc.max_line",
			ErrBadTarget, act.Target)
	}
	var out []Message
	for _, line := range breakLines(act.Lines) {
		for _, p := range splitPayload(line, room) {
			out = append(out, Message{Command: "PRIVMSG", Params: []string{act.Target, prefix + p}})
		}
	}
	return out, nil
}

// withText builds a TOPIC or PART line for a channel, its text made one
// line and cut to fit. An empty topic clears it; an empty reason is left
// out.
func (a *Adapter) withText(cmd, target, text string, keepEmpty bool) ([]Message, error) {
	if !isChannel(target) {
		return nil, fmt.Errorf("%w: %q is not a channel", ErrBadTarget, target)
	}
	room := a.cfg.MaxLine - len(cmd) - len("  :\r\n") - len(target)
	if room < minPayload {
		return nil, fmt.Errorf("%w: %q leaves no room for text within chat.irc.max_line",
			ErrBadTarget, target)
	}
	params := []string{target}
	if text = truncate(flatten(text), room); text != "" || keepEmpty {
		params = append(params, text)
	}
	return []Message{{Command: cmd, Params: params}}, nil
}

// checkTarget refuses a target that is empty or could change the line's
// meaning: a space or ':' would start another parameter, a comma names
// several targets, and control bytes could end the line.
func checkTarget(t string) error {
	if t == "" || t[0] == ':' || strings.ContainsAny(t, " ,\a\r\n\x00") {
		return fmt.Errorf("%w %q", ErrBadTarget, t)
	}
	return nil
}

// trackRooms remembers joins and parts, so that a new connection joins
// the rooms the bot was in.
func (a *Adapter) trackRooms(act chat.Action) {
	switch act.Kind {
	case chat.Join:
		a.addRoom(act.Target)
	case chat.Part:
		a.removeRoom(act.Target)
	}
}

func (a *Adapter) addRoom(ch string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.rooms {
		if fold(r) == fold(ch) {
			return
		}
	}
	a.rooms = append(a.rooms, ch)
}

func (a *Adapter) removeRoom(ch string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, r := range a.rooms {
		if fold(r) == fold(ch) {
			a.rooms = append(a.rooms[:i:i], a.rooms[i+1:]...)
			return
		}
	}
}

func (a *Adapter) roomList() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.rooms...)
}
