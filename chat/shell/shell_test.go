package shell_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/shell"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestShellRoundTrip(t *testing.T) {
	in, w := io.Pipe()
	out := &syncBuf{}
	a := shell.New("herald", "you", in, out)
	got := make(chan chat.Message, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx, chat.Events{Receive: func(m chat.Message) { got <- m }}) }()

	_, _ = io.WriteString(w, "herald: ping\n\necho hi\n")
	for _, want := range []string{"ping", "echo hi"} {
		select {
		case m := <-got:
			if m.Text != want || !m.Addressed || m.Room != shell.Room || m.ID == "" {
				t.Fatalf("message %+v, want text %q", m, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no message %q", want)
		}
	}
	err := a.Perform(ctx, chat.Action{Kind: chat.Reply, Target: shell.Room,
		Lines: []string{"pong\r\nsecond"}}, nil)
	if err != nil || !strings.Contains(out.String(), "herald> pong\nherald> second\n") {
		t.Fatalf("output %q, err %v", out.String(), err)
	}
	if err := a.Perform(ctx, chat.Action{Kind: "wave"}, nil); err != chat.ErrUnsupported {
		t.Fatalf("unknown kind: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	select {
	case <-a.EOF():
	case <-time.After(5 * time.Second):
		t.Fatal("EOF not seen")
	}
}
