package ircdtest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
)

func TestServerAndClients(t *testing.T) {
	s := Start(t, Options{})
	if s.Pid() == 0 {
		t.Fatal("Pid() = 0 for a running server")
	}
	alice := Dial(t, s.Addr, "alice")
	bob := Dial(t, s.Addr, "bob")
	alice.Join("#ops")
	bob.Join("#ops")

	// alice sees bob join, even though it happened before she looked.
	if _, ok := alice.WaitFor(5*time.Second, func(m irc.Message) bool {
		return m.Command == "JOIN" && m.Nick() == "bob"
	}); !ok {
		t.Fatal("alice did not see bob join")
	}
	bob.Say("#ops", "hello there")
	bob.Say("alice", "psst")
	for _, want := range []string{"hello there", "psst"} {
		if _, ok := alice.WaitFor(5*time.Second, func(m irc.Message) bool {
			return m.Command == "PRIVMSG" && m.Param(1) == want
		}); !ok {
			t.Fatalf("alice did not get %q", want)
		}
	}
	lines := alice.Lines()
	if len(lines) != 2 || lines[0].Target != "#ops" || lines[1].Target != "alice" ||
		lines[0].From != "bob" || lines[0].At.IsZero() {
		t.Fatalf("Lines() = %+v", lines)
	}
}

func TestRestartKeepsPort(t *testing.T) {
	s := Start(t, Options{Password: "sesame"})
	first := s.Pid()
	s.Restart()
	if s.Pid() == first || s.Pid() == 0 {
		t.Fatalf("pid %d after restart, was %d", s.Pid(), first)
	}
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatalf("dial after restart: %v", err)
	}
	c.Close()
	s.Stop()
	s.Stop()
	if s.Pid() != 0 {
		t.Fatal("Pid() != 0 after Stop")
	}
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Fatal("server still accepts after Stop")
	}
}

func TestNickLength(t *testing.T) {
	s := Start(t, Options{MaxNickLength: 30})
	Dial(t, s.Addr, "a_rather_long_nick_for_irc")
}

func TestTLSPort(t *testing.T) {
	s := Start(t, Options{TLS: true})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CertPEM) {
		t.Fatal("CertPEM holds no certificate")
	}
	c, err := tls.Dial("tcp", s.TLSAddr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("verified TLS dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("NICK tls\r\nUSER tls 0 * :t\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(line, " 001 tls ") {
		t.Fatalf("first line over TLS %q, %v", line, err)
	}
}
