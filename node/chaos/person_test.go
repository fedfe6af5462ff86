package chaos_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/node/chaos"
	"github.com/herald-chatops/herald/node/clustertest"
)

// ircTimeout bounds the person's registration, joins and writes.
const ircTimeout = 10 * time.Second

// heardLine is one line the person received, with when.
type heardLine struct {
	at  time.Time
	msg irc.Message
}

// person is a human in #ops: a raw IRC client that records every line it
// receives and keeps track of which bot connections are in the channel.
// Bot connections are told apart by their user name, which each node
// sets to its own id, so every line the bot says names its node.
type person struct {
	t       testing.TB
	nick    string
	channel string
	nodes   map[string]bool // node ids: user names of bot connections
	conn    net.Conn
	wmu     sync.Mutex
	wg      sync.WaitGroup

	mu       sync.Mutex
	lines    []heardLine
	bots     map[string]string // nick -> node, of bot connections in channel
	presence []chaos.Presence
}

// dialPerson connects as nick, joins channel and returns when both are
// confirmed. It must run before the nodes start, so that every bot JOIN
// is seen with its user name.
func dialPerson(t testing.TB, addr, nick, channel string, nodes []string) *person {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, ircTimeout)
	if err != nil {
		t.Fatalf("person: dial %s: %v", addr, err)
	}
	p := &person{t: t, nick: nick, channel: channel, conn: conn,
		nodes: map[string]bool{}, bots: map[string]string{}}
	for _, n := range nodes {
		p.nodes[n] = true
	}
	p.wg.Add(1)
	go p.read()
	t.Cleanup(p.close)
	p.send("NICK " + nick)
	p.send("USER " + nick + " 0 * :Herald chaos person")
	p.send("JOIN " + channel)
	joined := clustertest.Eventually(ircTimeout, func() bool {
		return p.find(0, func(m irc.Message) bool {
			return m.Command == "JOIN" && m.Nick() == nick
		}) >= 0
	})
	if !joined {
		t.Fatalf("person: %s could not register and join %s", nick, channel)
	}
	return p
}

// send writes one raw line.
func (p *person) send(line string) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.conn.SetWriteDeadline(time.Now().Add(ircTimeout))
	if _, err := io.WriteString(p.conn, line+"\r\n"); err != nil {
		logf(p.t, "person: write: %v", err)
	}
}

// say says text in the channel.
func (p *person) say(text string) { p.send("PRIVMSG " + p.channel + " :" + text) }

// read records lines and answers PING until the connection ends.
func (p *person) read() {
	defer p.wg.Done()
	sc := bufio.NewScanner(p.conn)
	sc.Buffer(make([]byte, 0, 4096), irc.MaxTagBytes+irc.MaxLineBytes)
	for sc.Scan() {
		m, err := irc.ParseLine(sc.Text())
		if err != nil {
			continue
		}
		if m.Command == "PING" {
			p.send(irc.Message{Command: "PONG", Params: m.Params}.String())
		}
		p.record(heardLine{at: time.Now(), msg: m})
	}
}

// record keeps a line and follows bot connections in and out.
func (p *person) record(l heardLine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, l)
	nick, node, isBot := p.botOf(l.msg.Source)
	if !isBot {
		return
	}
	before := len(p.bots) > 0
	m := l.msg
	switch {
	case m.Command == "JOIN" && strings.EqualFold(m.Param(0), p.channel):
		p.bots[nick] = node
	case m.Command == "PART" && strings.EqualFold(m.Param(0), p.channel),
		m.Command == "QUIT":
		delete(p.bots, nick)
	case m.Command == "NICK":
		if _, ok := p.bots[nick]; ok {
			delete(p.bots, nick)
			p.bots[m.Param(0)] = node
		}
	}
	if now := len(p.bots) > 0; now != before {
		p.presence = append(p.presence, chaos.Presence{At: l.at, Present: now})
	}
}

// botOf splits a nick!user@host source and says whether its user name
// is one of the nodes.
func (p *person) botOf(source string) (nick, node string, ok bool) {
	nick, rest, found := strings.Cut(source, "!")
	if !found {
		return "", "", false
	}
	user, _, _ := strings.Cut(rest, "@")
	user = strings.TrimPrefix(user, "~")
	return nick, user, p.nodes[user]
}

// botNodes returns the nodes whose connections are in the channel now.
func (p *person) botNodes() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for _, node := range p.bots {
		out[node] = true
	}
	return out
}

// find returns the index of the first line from index from that match
// accepts, or -1.
func (p *person) find(from int, match func(irc.Message) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := from; i < len(p.lines); i++ {
		if match(p.lines[i].msg) {
			return i
		}
	}
	return -1
}

// mark returns the number of lines so far, a starting point for find.
func (p *person) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// replies returns the bot's lines in the channel addressed to the person
// whose text starts with prefix, with the text after the address.
func (p *person) replies(prefix string) []chaos.Reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []chaos.Reply
	for _, l := range p.lines {
		nick, node, ok := p.botOf(l.msg.Source)
		if !ok || l.msg.Command != "PRIVMSG" || !strings.EqualFold(l.msg.Param(0), p.channel) {
			continue
		}
		text, addressed := strings.CutPrefix(l.msg.Param(1), p.nick+": ")
		if addressed && strings.HasPrefix(text, prefix) {
			out = append(out, chaos.Reply{Token: text, Node: node, Nick: nick, At: l.at})
		}
	}
	return out
}

// count returns how often the bot said exactly text to the person.
func (p *person) count(text string) int {
	n := 0
	for _, r := range p.replies(text) {
		if r.Token == text {
			n++
		}
	}
	return n
}

// presenceLog returns the changes of bot presence so far.
func (p *person) presenceLog() []chaos.Presence {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]chaos.Presence(nil), p.presence...)
}

// close quits and waits for the reader.
func (p *person) close() {
	p.send("QUIT :done")
	_ = p.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	p.wg.Wait()
	_ = p.conn.Close()
}

// logf logs through t unless the test already ended.
func logf(t testing.TB, format string, args ...any) {
	defer func() { _ = recover() }()
	t.Logf(format, args...)
}
