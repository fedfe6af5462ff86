package irc_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// script is a scripted IRC server for what ngircd does not offer (IRCv3
// message tags, server-time, echo-message): it accepts one connection and
// plays a conversation, expecting lines and sending others.
type script struct {
	l      net.Listener
	played chan error

	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
}

// startScript plays the script in a goroutine that the test's cleanup
// ends and waits for.
func startScript(t *testing.T) *script {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &script{l: l, played: make(chan error, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.played <- s.play()
	}()
	t.Cleanup(func() {
		l.Close()
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
		<-done
	})
	return s
}

func (s *script) accept() error {
	_ = s.l.(*net.TCPListener).SetDeadline(time.Now().Add(wait))
	c, err := s.l.Accept()
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn, s.r = c, bufio.NewReader(c)
	return nil
}

// expect reads lines until one starts with prefix.
func (s *script) expect(prefix string) error {
	_ = s.conn.SetReadDeadline(time.Now().Add(wait))
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("waiting for %q: %w", prefix, err)
		}
		if strings.HasPrefix(strings.TrimRight(line, "\r\n"), prefix) {
			return nil
		}
	}
}

func (s *script) send(lines ...string) error {
	for _, l := range lines {
		if _, err := fmt.Fprintf(s.conn, "%s\r\n", l); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
	return nil
}

// play runs the conversation: negotiation of message-tags and server-time
// offered over two CAP LS lines, registration, the join, then a tagged
// message, an echo of the bot's own line, and a PING.
func (s *script) play() error {
	steps := []func() error{
		s.accept,
		func() error { return s.expect("CAP LS 302") },
		func() error { return s.expect("USER ") },
		func() error {
			return s.send(":fake CAP * LS * :multi-prefix message-tags sasl=PLAIN",
				":fake CAP * LS :server-time echo-message")
		},
		func() error { return s.expect("CAP REQ :message-tags server-time") },
		func() error { return s.send(":fake CAP herald ACK :message-tags server-time") },
		func() error { return s.expect("CAP END") },
		func() error { return s.send(":fake 001 herald :welcome") },
		func() error { return s.expect("JOIN #ops") },
		func() error {
			return s.send(":herald!h@x JOIN #ops",
				"@msgid=own1 :herald!h@x PRIVMSG #ops :herald: my own echo",
				"@msgid=abc123;time=2020-01-02T03:04:05.678Z :alice!a@x PRIVMSG #ops :herald: hi",
				"PING :tok")
		},
		func() error { return s.expect("PONG tok") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func TestTagsAndCapabilities(t *testing.T) {
	t.Parallel()
	s := startScript(t)
	b := startBot(t, testConfig(s.l.Addr().String()))

	select {
	case err := <-s.played:
		if err != nil {
			t.Fatalf("script: %v", err)
		}
	case <-time.After(3 * wait):
		t.Fatal("script did not finish")
	}
	got := b.waitMessage(func(m chat.Message) bool { return m.Text == "hi" })
	want := time.Date(2020, 1, 2, 3, 4, 5, 678e6, time.UTC)
	if got.ID != "abc123" || !got.Time.Equal(want) || !got.Addressed {
		t.Fatalf("got %+v, want id abc123 at %v, addressed", got, want)
	}
	for _, m := range b.messages() {
		if m.ID == "own1" {
			t.Fatalf("own echoed line delivered: %+v", m)
		}
	}
}
