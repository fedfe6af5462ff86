package irc

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/herald-chatops/herald/chat"
)

func testAdapter(t *testing.T) *Adapter {
	cfg := DefaultConfig()
	cfg.Server, cfg.Nick = "127.0.0.1:6667", "herald"
	a, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBuildLinesFit(t *testing.T) {
	a := testAdapter(t)
	tests := []struct {
		name string
		act  chat.Action
	}{
		{name: "ascii words", act: chat.Action{Kind: chat.Send, Target: "#ops",
			Lines: []string{strings.Repeat("word ", 300)}}},
		{name: "no spaces, four-byte characters", act: chat.Action{Kind: chat.Reply,
			Target: "#ops", User: "alice", Lines: []string{strings.Repeat("𝄞", 500)}}},
		{name: "long target", act: chat.Action{Kind: chat.Send,
			Target: "#" + strings.Repeat("c", 49), Lines: []string{strings.Repeat("ü", 999)}}},
		{name: "topic", act: chat.Action{Kind: chat.Topic, Target: "#ops",
			Text: strings.Repeat("€", 300)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := a.build(tt.act)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				wire := m.String() + "\r\n"
				if len(wire) > a.cfg.MaxLine || !utf8.ValidString(wire) {
					t.Fatalf("line of %d bytes (max %d), valid %v", len(wire), a.cfg.MaxLine,
						utf8.ValidString(wire))
				}
			}
		})
	}
}

func TestBreakLines(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{name: "plain", in: []string{"a", "b"}, want: []string{"a", "b"}},
		{name: "CRLF, CR and LF", in: []string{"a\r\nb\rc\nd"}, want: []string{"a", "b", "c", "d"}},
		{name: "empty lines dropped", in: []string{"", "a\n\n", "\r\n"}, want: []string{"a"}},
		{name: "NUL dropped", in: []string{"a\x00b"}, want: []string{"ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := breakLines(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("breakLines(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitPayload(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want []string
	}{
		{name: "fits", in: "hello", n: 5, want: []string{"hello"}},
		{name: "at a space", in: "hello world", n: 8, want: []string{"hello", "world"}},
		{name: "space right at the cut", in: "abcd efgh", n: 4, want: []string{"abcd", "efgh"}},
		{name: "no space", in: "abcdefgh", n: 3, want: []string{"abc", "def", "gh"}},
		{name: "space too early", in: "a bcdefghij", n: 8, want: []string{"a bcdefg", "hij"}},
		{name: "multibyte not split", in: "ééé", n: 5, want: []string{"éé", "é"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitPayload(tt.in, tt.n); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("splitPayload(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestBucket(t *testing.T) {
	b := newBucket(20, 3)
	for i := 0; i < 3; i++ {
		if !b.tryTake() {
			t.Fatalf("burst token %d missing", i)
		}
	}
	if b.tryTake() {
		t.Fatal("token beyond the burst")
	}
	b.take() // into debt: the next wait is two intervals away

	start := time.Now()
	if err := b.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 80*time.Millisecond {
		t.Fatalf("wait after debt took %v, want about 100ms", took)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a cancelled context = %v", err)
	}
}

func TestAnswersTakeTheTurnBeforeNotices(t *testing.T) {
	ts := newTurnstile()
	ctx := context.Background()
	if err := ts.take(ctx, true); err != nil { // someone writes now
		t.Fatal(err)
	}
	got := make(chan string, 2)
	waiter := func(name string, urgent bool) {
		if ts.take(ctx, urgent) == nil {
			got <- name
			ts.give()
		}
	}
	go waiter("notice", false)
	time.Sleep(20 * time.Millisecond) // the notice waits first
	go waiter("answer", true)
	for {
		ts.mu.Lock()
		n := ts.urgent
		ts.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ts.give() // the writer is done
	if first := <-got; first != "answer" {
		t.Fatalf("%s took the turn first, want the answer", first)
	}
	if second := <-got; second != "notice" {
		t.Fatalf("then %s, want the notice", second)
	}
}

func TestCancelledAnswerLetsNoticesGo(t *testing.T) {
	ts := newTurnstile()
	if err := ts.take(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	answer := make(chan error, 1)
	go func() { answer <- ts.take(ctx, true) }()
	notice := make(chan error, 1)
	go func() { notice <- ts.take(context.Background(), false) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-answer; err == nil {
		t.Fatal("a cancelled answer took the turn")
	}
	ts.give()
	select {
	case err := <-notice:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the notice never got the turn")
	}
}

func TestRepliesCarryNoCTCPOrBell(t *testing.T) {
	got := breakLines([]string{"\x01ACTION waves\x01 \x07ding\x00", "a\r\nb"})
	want := []string{"ACTION waves ding", "a", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("breakLines = %q, want %q", got, want)
	}
}
