package irc

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxNickTries bounds the alternative nicks tried in one registration.
const maxNickTries = 20

// wantCaps are the IRCv3 capabilities the adapter asks for when offered:
// message ids for deduplication and the server's receive time.
var wantCaps = map[string]bool{"message-tags": true, "server-time": true}

// joinErrors are the numerics a server answers a refused JOIN with; the
// channel is their second parameter.
var joinErrors = map[string]bool{
	"403": true, "405": true, "471": true, "473": true,
	"474": true, "475": true, "476": true, "477": true,
}

// handle acts on one line from the server. An error ends the connection.
func (s *session) handle(ctx context.Context, r received) error {
	m := r.msg
	switch m.Command {
	case "PING":
		s.control(Message{Command: "PONG", Params: m.Params})
	case "PONG":
		s.awaitPong = false
	case "CAP":
		s.onCap(m)
	case "001":
		return s.onWelcome(ctx, m)
	case "432":
		return s.onNickRefused(m)
	case "433", "436":
		return s.onNickTaken(m)
	case "437": // nick or channel temporarily unavailable
		if !s.registered {
			return s.onNickTaken(m)
		}
		s.onJoinRefused(m)
	case "464":
		return ErrPasswordRefused
	case "ERROR":
		return s.onError(m)
	case "JOIN":
		s.onJoin(m)
	case "NICK":
		s.onNick(m)
	case "QUIT":
		s.onQuit(m)
	case "PRIVMSG":
		s.onPrivmsg(m, r)
	default:
		if joinErrors[m.Command] {
			s.onJoinRefused(m)
		}
	}
	return nil
}

// onCap answers capability negotiation: ask for the wanted capabilities
// among those offered, and end negotiation after the answer.
func (s *session) onCap(m Message) {
	if s.registered {
		return
	}
	switch strings.ToUpper(m.Param(1)) {
	case "LS":
		s.caps = append(s.caps, strings.Fields(m.Params[len(m.Params)-1])...)
		if m.Param(2) == "*" {
			return // more to come
		}
		var req []string
		for _, c := range s.caps {
			name, _, _ := strings.Cut(c, "=")
			if wantCaps[name] {
				req = append(req, name)
			}
		}
		if len(req) > 0 {
			s.control(Message{Command: "CAP", Params: []string{"REQ", strings.Join(req, " ")}})
			return
		}
		s.control(Message{Command: "CAP", Params: []string{"END"}})
	case "ACK", "NAK":
		s.control(Message{Command: "CAP", Params: []string{"END"}})
	}
}

// onError ends the connection the server is closing, with its reason.
// Some servers (ngircd) refuse a bad password with only an ERROR line,
// no 464, so before registration one that names the password counts as
// a refusal.
func (s *session) onError(m Message) error {
	reason := m.Param(0)
	if !s.registered && strings.Contains(strings.ToLower(reason), "password") {
		return fmt.Errorf("irc: register (%q): %w", reason, ErrPasswordRefused)
	}
	return fmt.Errorf("irc: closed by server (%q): %w", reason, ErrClosedByServer)
}

// onWelcome completes registration and joins the rooms.
func (s *session) onWelcome(ctx context.Context, m Message) error {
	s.registered = true
	if n := m.Param(0); n != "" {
		s.nick = n
	}
	s.a.setNick(s.nick)
	if fold(s.nick) != fold(s.a.cfg.Nick) {
		s.a.log.Info("irc nick taken, using an alternative", "nick", s.nick,
			"want", s.a.cfg.Nick)
	}

	// Join in as few lines as fit; the echoes come back one by one.
	rooms := s.a.roomList()
	if len(rooms) == 0 {
		s.markReady()
		return nil
	}
	s.pending = make(map[string]bool, len(rooms))
	for _, r := range rooms {
		s.pending[fold(r)] = true
	}
	for _, line := range joinLines(rooms, s.a.cfg.MaxLine) {
		if err := s.a.bucket.wait(ctx); err != nil {
			return err
		}
		if err := s.write(line); err != nil {
			return err
		}
	}
	// The answer is awaited from the last JOIN sent, not from before the
	// wait for pacing, so a slow budget is not taken for a silent server.
	s.joinsSent = time.Now()
	return nil
}

// onNickTaken moves to the next alternative nick during registration;
// afterwards it is the answer to a regain attempt and changes nothing.
func (s *session) onNickTaken(m Message) error {
	if s.registered {
		s.a.log.Debug("irc nick still taken", "want", m.Param(1))
		return nil
	}
	s.tries++
	if s.tries > maxNickTries {
		return fmt.Errorf("irc: register: %w", ErrNoNick)
	}
	s.nick = s.candidate(s.tries)
	s.control(Message{Command: "NICK", Params: []string{s.nick}})
	return nil
}

// onNickRefused ends Run when the server refuses the configured nick
// itself, and moves on when it refuses an alternative (too long, say).
func (s *session) onNickRefused(m Message) error {
	if s.registered {
		s.a.log.Warn("irc nick refused", "want", m.Param(1))
		return nil
	}
	if s.tries == 0 {
		return fmt.Errorf("irc: register %q: %w", s.nick, ErrNickRefused)
	}
	return s.onNickTaken(m)
}

// candidate returns the i-th nick to try: the nick, the alternative, then
// the alternative followed by 1, 2, ...
func (s *session) candidate(i int) string {
	switch i {
	case 0:
		return s.a.cfg.Nick
	case 1:
		return s.a.cfg.altNick()
	}
	return s.a.cfg.altNick() + strconv.Itoa(i-1)
}

// onNick follows our own nick changes, and takes the configured nick back
// as soon as its holder changes away from it.
func (s *session) onNick(m Message) {
	from, to := m.Nick(), m.Param(0)
	switch {
	case fold(from) == fold(s.nick):
		s.nick = to
		s.a.setNick(to)
		if fold(to) == fold(s.a.cfg.Nick) {
			s.a.log.Info("irc nick regained", "nick", to)
		}
	case fold(from) == fold(s.a.cfg.Nick):
		s.regain()
	}
}

// onQuit takes the configured nick back as soon as its holder quits.
func (s *session) onQuit(m Message) {
	if fold(m.Nick()) == fold(s.a.cfg.Nick) {
		s.regain()
	}
}

// regain asks for the configured nick while the bot is on another.
func (s *session) regain() {
	if s.registered && fold(s.nick) != fold(s.a.cfg.Nick) {
		s.control(Message{Command: "NICK", Params: []string{s.a.cfg.Nick}})
	}
}

// onJoin counts the echo of our own JOIN; the last one makes us ready.
func (s *session) onJoin(m Message) {
	if fold(m.Nick()) != fold(s.nick) || s.ready {
		return
	}
	delete(s.pending, fold(m.Param(0)))
	if len(s.pending) == 0 {
		s.markReady()
	}
}

// onJoinRefused logs a refused JOIN and stops waiting for it.
func (s *session) onJoinRefused(m Message) {
	ch := m.Param(1)
	if s.ready || !s.pending[fold(ch)] {
		return
	}
	s.a.log.Warn("irc join refused", "room", ch, "code", m.Command)
	delete(s.pending, fold(ch))
	if len(s.pending) == 0 {
		s.markReady()
	}
}

// joinLines packs JOINs for rooms into as few lines as fit max bytes.
func joinLines(rooms []string, max int) []Message {
	var out []Message
	var cur []string
	size := len("JOIN \r\n")
	for _, r := range rooms {
		if len(cur) > 0 && size+1+len(r) > max {
			out = append(out, Message{Command: "JOIN", Params: []string{strings.Join(cur, ",")}})
			cur, size = nil, len("JOIN \r\n")
		}
		if len(cur) > 0 {
			size++
		}
		cur = append(cur, r)
		size += len(r)
	}
	if len(cur) > 0 {
		out = append(out, Message{Command: "JOIN", Params: []string{strings.Join(cur, ",")}})
	}
	return out
}
