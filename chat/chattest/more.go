package chattest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/webroute"
)

// Case is one line of a table test: what a user says and the actions
// expected, written as Format writes them.
type Case struct {
	Name string
	// User says Text; Room defaults to the Bot's room; Private sends it
	// as a private message instead.
	User, Room, Text string
	Private          bool
	// Want are the expected actions; nil expects none.
	Want []string
	// WantErr expects the handlers to fail (the node would retry).
	WantErr bool
}

// Run runs the cases in order as subtests; state in the store carries
// from one case to the next.
func (b *Bot) Run(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			room := c.Room
			if room == "" {
				room = b.Room
			}
			if c.Private {
				room = ""
			}
			acts, err := b.Dispatch(b.Message(room, c.User, c.Text))
			if (err != nil) != c.WantErr {
				t.Fatalf("%s said %q: err = %v, want error %v", c.User, c.Text, err, c.WantErr)
			}
			if got := Format(acts...); !reflect.DeepEqual(got, c.Want) {
				t.Fatalf("%s said %q:\n got  %q\n want %q", c.User, c.Text, got, c.Want)
			}
		})
	}
}

// Tick fires the timer name once, as if its slot came now, and returns
// its actions as text.
func (b *Bot) Tick(name string) []string {
	b.t.Helper()
	acts, err := b.Timers.Fire(context.Background(), name, time.Now())
	if err != nil {
		b.t.Fatalf("chattest: tick %s: %v", name, err)
	}
	return Format(acts...)
}

// Emit delivers ev to its hooks now and returns the actions they asked
// for as text.
func (b *Bot) Emit(ev events.Event) []string {
	b.takePushed()
	b.Events.Deliver(context.Background(), ev)
	return Format(b.takePushed()...)
}

// Keeps reports whether the master_receive hooks let a message from user
// through.
func (b *Bot) Keeps(user, text string) bool {
	return b.Receive.Keep(context.Background(), b.Message(b.Room, user, text))
}

// Serve sends a request to the handler routes (path starts with
// /handlers/) and returns the answer and the actions it queued as text.
func (b *Bot) Serve(method, path, body string) (*httptest.ResponseRecorder, []string) {
	b.takePushed()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if !strings.HasPrefix(path, webroute.Prefix) {
		rec.WriteHeader(http.StatusNotFound)
		return rec, nil
	}
	b.Kit.HTTP.ServeHTTP(rec, req)
	return rec, Format(b.takePushed()...)
}
