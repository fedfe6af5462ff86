package irc

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// version is the answer to CTCP VERSION.
const version = "Herald"

// onPrivmsg turns a PRIVMSG into a chat.Message for the node. CTCP
// requests are answered, not delivered, and the bot's own lines (from
// echo-message) are dropped.
func (s *session) onPrivmsg(m Message, r received) {
	target, text := m.Param(0), m.Param(1)
	from := m.Nick()
	if len(m.Params) < 2 || from == "" || fold(from) == fold(s.nick) {
		return
	}
	if strings.HasPrefix(text, "\x01") {
		s.onCTCP(from, text)
		return
	}
	msg := chat.Message{
		ID:   m.Tags["msgid"],
		Room: target,
		User: chat.User{ID: from, Name: from},
		Time: r.at,
	}
	if msg.ID == "" {
		msg.ID = randomID()
	}
	if t, err := time.Parse(time.RFC3339Nano, m.Tags["time"]); err == nil {
		msg.Time = t
	}
	msg.Addressed, msg.Text = s.addressed(text)
	if !isChannel(target) {
		msg.Private, msg.Addressed, msg.Room = true, true, from
	}
	s.a.log.Debug("irc message received", "room", msg.Room, "msg_id", msg.ID)
	s.ev.Receive(msg)
}

// addressed reports whether text starts with the bot's current or
// configured nick followed by ':', ',' or a space, and returns the text
// without that address and the spaces after it.
func (s *session) addressed(text string) (bool, string) {
	for _, nick := range []string{s.nick, s.a.cfg.Nick} {
		n := len(nick)
		if len(text) > n && fold(text[:n]) == fold(nick) && strings.IndexByte(":, ", text[n]) >= 0 {
			return true, strings.TrimLeft(text[n+1:], " ")
		}
	}
	return false, text
}

// onCTCP answers CTCP VERSION and PING with a NOTICE, when a token is
// free at once: a CTCP flood must not push the bot into a server flood.
func (s *session) onCTCP(from, text string) {
	body := strings.Trim(text, "\x01")
	cmd, arg, _ := strings.Cut(body, " ")
	var reply string
	switch strings.ToUpper(cmd) {
	case "VERSION":
		reply = "VERSION " + version
	case "PING":
		reply = "PING " + truncate(strings.ReplaceAll(arg, "\x01", ""), 64)
	default:
		return
	}
	if !s.a.bucket.tryTake() {
		return
	}
	notice := Message{Command: "NOTICE", Params: []string{from, "\x01" + reply + "\x01"}}
	if err := s.write(notice); err != nil {
		s.a.log.Debug("irc write failed", "command", "NOTICE", "err", err)
	}
}

// isChannel reports whether a target names a channel rather than a nick.
func isChannel(target string) bool {
	return target != "" && strings.IndexByte("#&+!", target[0]) >= 0
}

// fold maps s to lower case under the rfc1459 case mapping IRC servers
// use by default, where []\^ are the upper case of {}|~.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r == '[':
			return '{'
		case r == ']':
			return '}'
		case r == '\\':
			return '|'
		case r == '^':
			return '~'
		}
		return r
	}, s)
}

// randomID returns 128 random bits in hex, the id of a message the server
// gave none.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
