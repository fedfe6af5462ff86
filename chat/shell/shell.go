// Package shell is the chat adapter for a terminal: each line typed is a
// message addressed to the bot, and every action is printed. It is meant
// for one node (`make run`); on a cluster only the master reads the
// terminal, which is rarely what anyone wants.
package shell

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// Room is the room name every shell message comes from.
const Room = "shell"

// Adapter reads messages from an input and prints actions to an output.
type Adapter struct {
	nick  string
	user  string
	out   io.Writer
	outMu sync.Mutex
	lines chan string
	eof   chan struct{}
}

var _ chat.Adapter = (*Adapter)(nil)

// New returns a shell adapter for the bot named nick, reading lines typed
// by user from in. The reading goroutine lives as long as in is open: a
// terminal cannot be read with a deadline.
func New(nick, user string, in io.Reader, out io.Writer) *Adapter {
	a := &Adapter{nick: nick, user: user, out: out,
		lines: make(chan string), eof: make(chan struct{})}
	go a.read(in)
	return a
}

// Name returns "shell".
func (a *Adapter) Name() string { return "shell" }

// EOF is closed when the input ended (Ctrl-D).
func (a *Adapter) EOF() <-chan struct{} { return a.eof }

func (a *Adapter) read(in io.Reader) {
	defer close(a.eof)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		a.lines <- sc.Text()
	}
}

// Run delivers typed lines until ctx ends. At the end of the input it
// stays, so that answers still on their way are printed; the node watches
// EOF to stop.
func (a *Adapter) Run(ctx context.Context, ev chat.Events) error {
	if ev.Connected != nil {
		ev.Connected()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case line := <-a.lines:
			if msg, ok := a.message(line); ok && ev.Receive != nil {
				ev.Receive(msg)
			}
		}
	}
}

func (a *Adapter) message(line string) (chat.Message, bool) {
	text := strings.TrimSpace(line)
	for _, sep := range []string{":", ",", " "} {
		if rest, ok := strings.CutPrefix(text, a.nick+sep); ok {
			text = strings.TrimSpace(rest)
			break
		}
	}
	if text == "" {
		return chat.Message{}, false
	}
	return chat.Message{
		ID:        newID(),
		Room:      Room,
		User:      chat.User{ID: a.user, Name: a.user},
		Text:      text,
		Addressed: true,
		Time:      time.Now(),
	}, true
}

// Perform prints the action, once gate lets it.
func (a *Adapter) Perform(_ context.Context, act chat.Action, gate chat.Gate) error {
	a.outMu.Lock()
	defer a.outMu.Unlock()
	if act.Kind != chat.Send && act.Kind != chat.Reply && act.Kind != chat.Topic &&
		act.Kind != chat.Join && act.Kind != chat.Part {
		return chat.ErrUnsupported
	}
	if gate != nil {
		if err := gate(true); err != nil {
			return err
		}
	}
	switch act.Kind {
	case chat.Send, chat.Reply:
		for _, l := range act.Lines {
			for _, part := range strings.Split(l, "\n") {
				fmt.Fprintf(a.out, "%s> %s\n", a.nick, strings.TrimRight(part, "\r"))
			}
		}
	case chat.Topic:
		fmt.Fprintf(a.out, "* topic of %s is now: %s\n", act.Target, act.Text)
	case chat.Join, chat.Part:
		fmt.Fprintf(a.out, "* %s %s\n", act.Kind, act.Target)
	default:
		return chat.ErrUnsupported
	}
	return nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
