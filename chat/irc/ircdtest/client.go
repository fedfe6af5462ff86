package ircdtest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
)

// clientTimeout bounds registration and joins of a test client.
const clientTimeout = 10 * time.Second

// Line is one PRIVMSG a client received.
type Line struct {
	// From is the sender's nick.
	From string
	// Target is the channel, or the client's nick for a private message.
	Target string
	Text   string
	// At is when the client read it.
	At time.Time
}

// received is one message with the time the client read it.
type received struct {
	msg irc.Message
	at  time.Time
}

// Client is a raw IRC client for tests. It answers PING on its own,
// records everything it receives, and logs its traffic through t.Logf.
type Client struct {
	t    testing.TB
	nick string
	conn net.Conn
	wmu  sync.Mutex
	wg   sync.WaitGroup
	hung atomic.Bool

	mu      sync.Mutex
	msgs    []received
	cursor  int           // where the next WaitFor starts
	changed chan struct{} // closed and replaced when msgs grows
	closed  bool
}

// Dial connects to addr, registers as nick and waits for the welcome. It
// fails the test if that does not happen within 10s, for example when the
// nick is taken. The client is closed when the test ends.
func Dial(t testing.TB, addr, nick string) *Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, clientTimeout)
	if err != nil {
		t.Fatalf("ircdtest: dial %s: %v", addr, err)
	}
	c := &Client{t: t, nick: nick, conn: conn, changed: make(chan struct{})}
	c.wg.Add(1)
	go c.read()
	t.Cleanup(c.Close)

	c.Send("NICK " + nick)
	c.Send("USER " + nick + " 0 * :Herald test client")
	m, ok := c.waitFrom(0, clientTimeout, func(m irc.Message) bool {
		return m.Command == "001" || m.Command == "433" || m.Command == "432"
	})
	if !ok || m.Command != "001" {
		t.Fatalf("ircdtest: %s could not register (%s)", nick, m.String())
	}
	return c
}

// Nick returns the nick the client registered with.
func (c *Client) Nick() string { return c.nick }

// Send writes one raw line; CR and LF are stripped, so it stays one line.
func (c *Client) Send(line string) {
	line = strings.NewReplacer("\r", "", "\n", "").Replace(line)
	logf(c.t, "irc %s -> %s", c.nick, line)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(clientTimeout))
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		logf(c.t, "irc %s: write: %v", c.nick, err)
	}
}

// Join joins ch and waits until the server confirms it. It does not move
// the position WaitFor scans from.
func (c *Client) Join(ch string) {
	c.t.Helper()
	from := c.count()
	c.Send("JOIN " + ch)
	_, ok := c.waitFrom(from, clientTimeout, func(m irc.Message) bool {
		return m.Command == "JOIN" && m.Nick() == c.nick && strings.EqualFold(m.Param(0), ch)
	})
	if !ok {
		c.t.Fatalf("ircdtest: %s could not join %s", c.nick, ch)
	}
}

// Hang makes the client stop answering PING, as a hung or cut-off
// process would: the server drops it after its ping and pong timeouts
// (see Options), and only then frees its nick.
func (c *Client) Hang() { c.hung.Store(true) }

// Say sends text to target (a channel or a nick) as a PRIVMSG.
func (c *Client) Say(target, text string) {
	c.Send("PRIVMSG " + target + " :" + text)
}

// WaitFor waits up to timeout for a message that match accepts, scanning
// everything received since the message the last successful WaitFor
// returned (or since connect), so nothing is missed between calls. On a
// match the next call starts after it; on a timeout the position stays.
func (c *Client) WaitFor(timeout time.Duration, match func(irc.Message) bool) (irc.Message, bool) {
	c.mu.Lock()
	from := c.cursor
	c.mu.Unlock()
	m, i, ok := c.scan(from, timeout, match)
	if ok {
		c.mu.Lock()
		c.cursor = i + 1
		c.mu.Unlock()
	}
	return m, ok
}

// matchFunc says whether a message is the one waited for.
type matchFunc = func(irc.Message) bool

func (c *Client) waitFrom(from int, timeout time.Duration, match matchFunc) (irc.Message, bool) {
	m, _, ok := c.scan(from, timeout, match)
	return m, ok
}

// scan looks for a match from index from on, waiting for more messages
// until the deadline.
func (c *Client) scan(from int, timeout time.Duration, match matchFunc) (irc.Message, int, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		msgs, changed, closed := c.msgs[from:], c.changed, c.closed
		c.mu.Unlock()
		for j, r := range msgs {
			if match(r.msg) {
				return r.msg, from + j, true
			}
		}
		from += len(msgs)
		if closed {
			return irc.Message{}, 0, false
		}
		select {
		case <-changed:
		case <-deadline.C:
			return irc.Message{}, 0, false
		}
	}
}

// Lines returns every PRIVMSG received so far, in order.
func (c *Client) Lines() []Line {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Line
	for _, r := range c.msgs {
		if r.msg.Command == "PRIVMSG" {
			out = append(out, Line{From: r.msg.Nick(), Target: r.msg.Param(0),
				Text: r.msg.Param(1), At: r.at})
		}
	}
	return out
}

func (c *Client) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// read records what arrives and answers PING, until the connection ends.
func (c *Client) read() {
	defer c.wg.Done()
	defer c.markClosed()
	sc := bufio.NewScanner(c.conn)
	sc.Buffer(make([]byte, 0, 4096), irc.MaxTagBytes+irc.MaxLineBytes)
	for sc.Scan() {
		logf(c.t, "irc %s <- %s", c.nick, sc.Text())
		m, err := irc.ParseLine(sc.Text())
		if err != nil {
			logf(c.t, "irc %s: %v", c.nick, err)
			continue
		}
		if m.Command == "PING" && !c.hung.Load() {
			c.Send(irc.Message{Command: "PONG", Params: m.Params}.String())
		}
		c.mu.Lock()
		c.msgs = append(c.msgs, received{msg: m, at: time.Now()})
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

func (c *Client) markClosed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	close(c.changed)
	c.changed = make(chan struct{})
}

// Close sends QUIT, waits briefly for the server to close the
// connection (so the QUIT is not lost to a reset), closes it and waits for
// the reader. It is safe to call twice.
func (c *Client) Close() {
	c.mu.Lock()
	closed, changed := c.closed, c.changed
	c.mu.Unlock()
	if !closed {
		c.Send("QUIT :test client done")
		c.waitClosed(changed, 2*time.Second)
	}
	_ = c.conn.Close()
	c.wg.Wait()
}

// waitClosed waits until the reader saw the end of the connection.
func (c *Client) waitClosed(changed chan struct{}, timeout time.Duration) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-changed:
		case <-deadline.C:
			return
		}
		c.mu.Lock()
		closed := c.closed
		changed = c.changed
		c.mu.Unlock()
		if closed {
			return
		}
	}
}
