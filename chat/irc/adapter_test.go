package irc_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/chat/irc/ircdtest"
)

const wait = 5 * time.Second

// joinedBy matches the JOIN of nick to ch.
func joinedBy(nick, ch string) func(irc.Message) bool {
	return func(m irc.Message) bool {
		return m.Command == "JOIN" && m.Nick() == nick && strings.EqualFold(m.Param(0), ch)
	}
}

// saidBy matches a PRIVMSG from nick to target with text.
func saidBy(nick, target, text string) func(irc.Message) bool {
	return func(m irc.Message) bool {
		return m.Command == "PRIVMSG" && m.Nick() == nick && m.Param(0) == target &&
			m.Param(1) == text
	}
}

// inChannel asks the server whether nick is in ch.
func inChannel(c *ircdtest.Client, ch, nick string) bool {
	c.Send("NAMES " + ch)
	m, ok := c.WaitFor(wait, func(m irc.Message) bool { return m.Command == "353" })
	if !ok {
		return false
	}
	for _, n := range strings.Fields(m.Param(len(m.Params) - 1)) {
		if strings.TrimLeft(n, "@+%&~") == nick {
			return true
		}
	}
	return false
}

func TestRegisterAndJoin(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#ops")
	b := startBot(t, testConfig(srv.Addr))

	if _, ok := alice.WaitFor(wait, joinedBy("herald", "#ops")); !ok {
		t.Fatal("alice did not see herald join #ops")
	}
	b.waitConnected(1)
	if !b.Connected() || b.Nick() != "herald" {
		t.Fatalf("Connected() = %v, Nick() = %q", b.Connected(), b.Nick())
	}
}

func TestReceive(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	b := startBot(t, testConfig(srv.Addr))
	b.waitConnected(1)
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#ops")

	tests := []struct {
		name, target, text string
		want               chat.Message
	}{
		{name: "addressed with colon", target: "#ops", text: "herald: deploy now",
			want: chat.Message{Room: "#ops", Text: "deploy now", Addressed: true}},
		{name: "addressed with comma, other case, spaces", target: "#ops",
			text: "HERALD,   status", want: chat.Message{Room: "#ops", Text: "status",
				Addressed: true}},
		{name: "addressed with space", target: "#ops", text: "herald ping",
			want: chat.Message{Room: "#ops", Text: "ping", Addressed: true}},
		{name: "not addressed", target: "#ops", text: "heraldic times",
			want: chat.Message{Room: "#ops", Text: "heraldic times"}},
		{name: "private", target: "herald", text: "whoami",
			want: chat.Message{Room: "alice", Text: "whoami", Private: true, Addressed: true}},
		{name: "private with address", target: "herald", text: "herald: help",
			want: chat.Message{Room: "alice", Text: "help", Private: true, Addressed: true}},
	}
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alice.Say(tt.target, tt.text)
			got := b.waitMessage(func(m chat.Message) bool {
				return m.Text == tt.want.Text && m.Room == tt.want.Room
			})
			if got.Addressed != tt.want.Addressed || got.Private != tt.want.Private {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got.User.ID != "alice" || got.User.Name != "alice" || !hexID.MatchString(got.ID) {
				t.Fatalf("user or id wrong: %+v", got)
			}
			if time.Since(got.Time) > time.Minute || got.Time.After(time.Now()) {
				t.Fatalf("time %v is not the receive time", got.Time)
			}
		})
	}

	// A CTCP request is answered, not delivered.
	alice.Say("herald", "\x01VERSION\x01")
	if _, ok := alice.WaitFor(wait, func(m irc.Message) bool {
		return m.Command == "NOTICE" && strings.HasPrefix(m.Param(1), "\x01VERSION ")
	}); !ok {
		t.Fatal("no CTCP VERSION reply")
	}
	for _, m := range b.messages() {
		if strings.Contains(m.Text, "\x01") {
			t.Fatalf("CTCP delivered as a message: %+v", m)
		}
	}
}

func TestPerform(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	b := startBot(t, testConfig(srv.Addr)) // joins first, so it is channel operator
	b.waitConnected(1)
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#ops")
	ctx := context.Background()

	tests := []struct {
		name string
		act  chat.Action
		want func(irc.Message) bool
	}{
		{name: "send", act: chat.Action{Kind: chat.Send, Target: "#ops", Lines: []string{"pong"}},
			want: saidBy("herald", "#ops", "pong")},
		{name: "reply", act: chat.Action{Kind: chat.Reply, Target: "#ops", User: "alice",
			Lines: []string{"build 42 is green"}},
			want: saidBy("herald", "#ops", "alice: build 42 is green")},
		{name: "private reply has no address", act: chat.Action{Kind: chat.Reply,
			Target: "alice", User: "alice", Lines: []string{"just you"}},
			want: saidBy("herald", "alice", "just you")},
		{name: "text starting with colon", act: chat.Action{Kind: chat.Send, Target: "#ops",
			Lines: []string{":)"}}, want: saidBy("herald", "#ops", ":)")},
		{name: "topic", act: chat.Action{Kind: chat.Topic, Target: "#ops",
			Text: "deploys frozen\nuntil Monday"},
			want: func(m irc.Message) bool {
				return m.Command == "TOPIC" && m.Param(1) == "deploys frozen until Monday"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.Perform(ctx, tt.act, nil); err != nil {
				t.Fatalf("Perform: %v", err)
			}
			if m, ok := alice.WaitFor(wait, tt.want); !ok {
				t.Fatalf("alice did not see it (last %q)", m.String())
			}
		})
	}
}

func TestPerformJoinPart(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	b := startBot(t, testConfig(srv.Addr))
	b.waitConnected(1)
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#dev")
	ctx := context.Background()

	if err := b.Perform(ctx, chat.Action{Kind: chat.Join, Target: "#dev"}, nil); err != nil {
		t.Fatalf("Perform join: %v", err)
	}
	if _, ok := alice.WaitFor(wait, joinedBy("herald", "#dev")); !ok {
		t.Fatal("alice did not see herald join #dev")
	}
	err := b.Perform(ctx, chat.Action{Kind: chat.Part, Target: "#dev", Text: "bye\r\nQUIT"}, nil)
	if err != nil {
		t.Fatalf("Perform part: %v", err)
	}
	if _, ok := alice.WaitFor(wait, func(m irc.Message) bool {
		return m.Command == "PART" && m.Nick() == "herald" && m.Param(1) == "bye QUIT"
	}); !ok {
		t.Fatal("alice did not see herald part #dev")
	}
}

func TestPerformRefuses(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	a, err := irc.New(testConfig(srv.Addr), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	send := chat.Action{Kind: chat.Send, Target: "#ops", Lines: []string{"x"}}
	if err := a.Perform(ctx, send, nil); !errors.Is(err, chat.ErrNotConnected) {
		t.Fatalf("Perform before Run = %v, want ErrNotConnected", err)
	}

	tests := []struct {
		name string
		act  chat.Action
		want error
	}{
		{name: "unknown kind", act: chat.Action{Kind: "dance", Target: "#ops"},
			want: chat.ErrUnsupported},
		{name: "target with space", act: chat.Action{Kind: chat.Send, Target: "#ops :x",
			Lines: []string{"x"}}, want: irc.ErrBadTarget},
		{name: "target with line break", act: chat.Action{Kind: chat.Send,
			Target: "#ops\r\nQUIT", Lines: []string{"x"}}, want: irc.ErrBadTarget},
		{name: "empty target", act: chat.Action{Kind: chat.Send, Lines: []string{"x"}},
			want: irc.ErrBadTarget},
		{name: "topic on a nick", act: chat.Action{Kind: chat.Topic, Target: "alice"},
			want: irc.ErrBadTarget},
		{name: "join of a nick", act: chat.Action{Kind: chat.Join, Target: "alice"},
			want: irc.ErrBadTarget},
		{name: "target too long", act: chat.Action{Kind: chat.Send,
			Target: "#" + strings.Repeat("x", 390), Lines: []string{"x"}}, want: irc.ErrBadTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.Perform(ctx, tt.act, nil); !errors.Is(err, tt.want) {
				t.Fatalf("Perform = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLongReplySplits(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	cfg := testConfig(srv.Addr)
	b := startBot(t, cfg)
	b.waitConnected(1)
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#ops")

	// 3000 bytes of text mixing one- to four-byte characters, with and
	// without spaces.
	words := []string{"deploy", "Größe", "€uro", "日本語のテキスト", "𝄞𝄞", "naïve",
		strings.Repeat("ж", 150), "ok"}
	var sb strings.Builder
	for i := 0; sb.Len() < 3000; i++ {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(words[i%len(words)])
	}
	text := sb.String()
	err := b.Perform(context.Background(), chat.Action{Kind: chat.Reply, Target: "#ops",
		User: "alice", Lines: []string{text}}, nil)
	if err != nil {
		t.Fatalf("Perform: %v", err)
	}

	noSpace := func(s string) string { return strings.ReplaceAll(s, " ", "") }
	var joined string
	waitUntil(t, wait, "all of the reply", func() bool {
		joined = ""
		for _, l := range alice.Lines() {
			if l.From == "herald" {
				joined += strings.TrimPrefix(l.Text, "alice: ")
			}
		}
		return len(noSpace(joined)) >= len(noSpace(text))
	})
	if noSpace(joined) != noSpace(text) {
		t.Fatalf("reassembled text differs:\n got %q\nwant %q", joined, text)
	}
	lines := alice.Lines()
	for _, l := range lines {
		sent := "PRIVMSG #ops :" + l.Text + "\r\n"
		if !utf8.ValidString(l.Text) || !strings.HasPrefix(l.Text, "alice: ") ||
			len(sent) > cfg.MaxLine {
			t.Fatalf("bad line (%d bytes sent): %q", len(sent), l.Text)
		}
	}
	t.Logf("%d bytes arrived in %d lines", len(text), len(lines))
}

func TestNoCommandInjection(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	b := startBot(t, testConfig(srv.Addr))
	b.waitConnected(1)
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#ops")
	ctx := context.Background()

	err := b.Perform(ctx, chat.Action{Kind: chat.Reply, Target: "#ops", User: "alice",
		Lines: []string{"hello\r\nQUIT :bye", "a\x00b\rJOIN #evil\nPART #ops"}}, nil)
	if err != nil {
		t.Fatalf("Perform: %v", err)
	}
	for _, want := range []string{"hello", "QUIT :bye", "ab", "JOIN #evil", "PART #ops"} {
		if _, ok := alice.WaitFor(wait, saidBy("herald", "#ops", "alice: "+want)); !ok {
			t.Fatalf("alice did not get %q as text", want)
		}
	}

	// Still connected and in #ops: a later line arrives.
	if err := b.Perform(ctx, chat.Action{Kind: chat.Send, Target: "#ops",
		Lines: []string{"still here"}}, nil); err != nil {
		t.Fatalf("Perform: %v", err)
	}
	if _, ok := alice.WaitFor(wait, saidBy("herald", "#ops", "still here")); !ok {
		t.Fatal("bot is gone after the injection attempt")
	}
	if d := b.disconnects(); len(d) != 0 {
		t.Fatalf("bot disconnected: %v", d)
	}
}

func TestNickInUseAndRegain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		shared  bool // the holder is in the bot's channel, so the bot sees it go
		release func(holder *ircdtest.Client)
		// within is under the 4s of the periodic attempt when the bot can
		// see the holder go, and above it when it cannot.
		within time.Duration
	}{
		{name: "holder quits", shared: true, within: 3 * time.Second,
			release: func(h *ircdtest.Client) { h.Close() }},
		{name: "holder changes nick", shared: true, within: 3 * time.Second,
			release: func(h *ircdtest.Client) { h.Send("NICK someone") }},
		{name: "holder quits unseen", within: 10 * time.Second,
			release: func(h *ircdtest.Client) { h.Close() }},
		{name: "holder hangs until the server's ping timeout", shared: true,
			within: 20 * time.Second, release: func(h *ircdtest.Client) { h.Hang() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ircdtest.Start(t, ircdtest.Options{PingTimeout: 5 * time.Second,
				PongTimeout: 5 * time.Second})
			holder := ircdtest.Dial(t, srv.Addr, "herald") // the dead master's connection
			if tt.shared {
				holder.Join("#ops")
			}
			b := startBot(t, testConfig(srv.Addr))
			b.waitConnected(1)
			if b.Nick() != "herald_" {
				t.Fatalf("Nick() = %q while herald is taken, want herald_", b.Nick())
			}

			// Addressing the configured nick works while on the alternative.
			alice := ircdtest.Dial(t, srv.Addr, "alice")
			alice.Join("#ops")
			alice.Say("#ops", "herald: status")
			m := b.waitMessage(func(m chat.Message) bool { return m.Text == "status" })
			if !m.Addressed {
				t.Fatalf("not addressed: %+v", m)
			}

			start := time.Now()
			tt.release(holder)
			waitUntil(t, tt.within, "nick regained", func() bool { return b.Nick() == "herald" })
			t.Logf("nick regained %v after the holder let go", time.Since(start))
			if _, ok := alice.WaitFor(wait, func(m irc.Message) bool {
				return m.Command == "NICK" && m.Nick() == "herald_" && m.Param(0) == "herald"
			}); !ok {
				t.Fatal("alice did not see the nick change")
			}
		})
	}
}

func TestAltNickTakenToo(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	ircdtest.Dial(t, srv.Addr, "herald")
	ircdtest.Dial(t, srv.Addr, "herald_")
	b := startBot(t, testConfig(srv.Addr))
	b.waitConnected(1)
	if b.Nick() != "herald_1" {
		t.Fatalf("Nick() = %q, want herald_1", b.Nick())
	}
}

func TestReconnectAfterServerRestart(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	b := startBot(t, testConfig(srv.Addr))
	b.waitConnected(1)
	ctx := context.Background()
	if err := b.Perform(ctx, chat.Action{Kind: chat.Join, Target: "#dev"}, nil); err != nil {
		t.Fatalf("Perform join: %v", err)
	}

	srv.Restart()
	waitUntil(t, wait, "disconnect reported", func() bool { return len(b.disconnects()) == 1 })
	b.waitConnected(2)

	// Rejoined on its own, the configured channel and the one joined later.
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	for _, ch := range []string{"#ops", "#dev"} {
		if !inChannel(alice, ch, "herald") {
			t.Fatalf("herald is not back in %s", ch)
		}
	}
	alice.Join("#ops")
	if err := b.Perform(ctx, chat.Action{Kind: chat.Send, Target: "#ops",
		Lines: []string{"back"}}, nil); err != nil {
		t.Fatalf("Perform after reconnect: %v", err)
	}
	if _, ok := alice.WaitFor(wait, saidBy("herald", "#ops", "back")); !ok {
		t.Fatal("alice did not get a line after the reconnect")
	}
}

func TestPingTimeout(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	cfg := testConfig(srv.Addr)
	cfg.PingInterval = time.Second
	b := startBot(t, cfg)
	b.waitConnected(1)

	srv.Pause()
	waitUntil(t, wait, "dead connection noticed", func() bool { return len(b.disconnects()) > 0 })
	if err := b.disconnects()[0]; !errors.Is(err, irc.ErrPingTimeout) {
		t.Fatalf("Disconnected(%v), want ErrPingTimeout", err)
	}
	if b.Connected() {
		t.Fatal("Connected() true after the connection died")
	}
	srv.Resume()
	b.waitConnected(2)
}

func TestRunReturnsQuicklyAfterCancel(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#ops")
	b := startBot(t, testConfig(srv.Addr))
	b.waitConnected(1)

	took := b.stop()
	t.Logf("Run returned %v after cancel", took)
	if took > time.Second {
		t.Fatalf("Run took %v to return", took)
	}
	if _, ok := alice.WaitFor(wait, func(m irc.Message) bool {
		return m.Command == "QUIT" && m.Nick() == "herald"
	}); !ok {
		t.Fatal("alice did not see herald quit")
	}
	if d := b.disconnects(); len(d) != 1 || d[0] != nil {
		t.Fatalf("Disconnected calls %v, want one with nil", d)
	}
}

func TestRunReturnsQuicklyWhileRedialling(t *testing.T) {
	t.Parallel()

	// A listener that hangs up at once: every attempt fails and backs off.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepts atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })

	cfg := testConfig(l.Addr().String())
	cfg.ReconnectMax = 30 * time.Second
	b := startBot(t, cfg)
	waitUntil(t, wait, "three attempts", func() bool { return accepts.Load() >= 3 })
	if took := b.stop(); took > time.Second {
		t.Fatalf("Run took %v to return", took)
	}
}

func TestPasswordRefused(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{Password: "sesame"})
	cfg := testConfig(srv.Addr)
	cfg.Password = "wrong"
	a, err := irc.New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Run(ctx, chat.Events{}); !errors.Is(err, irc.ErrPasswordRefused) {
		t.Fatalf("Run = %v, want ErrPasswordRefused", err)
	}

	cfg.Password = "sesame"
	b := startBot(t, cfg)
	b.waitConnected(1)
}

func TestPacing(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{Penalties: true})
	cfg := testConfig(srv.Addr)
	cfg.Rate, cfg.Burst = 5, 2
	b := startBot(t, cfg)
	b.waitConnected(1)
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	alice.Join("#ops")

	// Two actions of ten lines each, performed at the same time.
	lines := func(tag string) []string {
		var out []string
		for i := 0; i < 10; i++ {
			out = append(out, tag+" "+string(rune('a'+i)))
		}
		return out
	}
	ctx := context.Background()
	start := time.Now()
	errs := make(chan error, 2)
	for _, tag := range []string{"one", "two"} {
		go func() {
			errs <- b.Perform(ctx, chat.Action{Kind: chat.Send, Target: "#ops", Lines: lines(tag)}, nil)
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Perform: %v", err)
		}
	}
	took := time.Since(start)
	t.Logf("20 lines at rate 5 burst 2 took %v", took)
	if took < 3400*time.Millisecond {
		t.Fatalf("20 lines took %v, want at least 3.6s less scheduling slack", took)
	}

	// All arrive, and the lines of one action stay together.
	waitUntil(t, wait, "20 lines", func() bool { return len(alice.Lines()) >= 20 })
	got := alice.Lines()
	for i := 1; i < 20; i++ {
		if i != 10 && strings.Fields(got[i].Text)[0] != strings.Fields(got[i-1].Text)[0] {
			t.Fatalf("actions interleaved at line %d: %q after %q", i, got[i].Text, got[i-1].Text)
		}
	}
	if d := b.disconnects(); len(d) != 0 {
		t.Fatalf("bot disconnected: %v", d)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{TLS: true})
	cfg := testConfig(srv.TLSAddr)
	cfg.TLS, cfg.TLSSkipVerify = true, true // the certificate is self-signed
	b := startBot(t, cfg)
	b.waitConnected(1)
	alice := ircdtest.Dial(t, srv.Addr, "alice")
	if !inChannel(alice, "#ops", "herald") {
		t.Fatal("herald is not in #ops over TLS")
	}
}
