package chattest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"testing"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/chattest"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/timer"
	"github.com/herald-chatops/herald/chat/webroute"
)

// registerCounter is a small handler of the kind the README shows: a
// route, the store, a timer, an HTTP route and an event hook.
func registerCounter(k *handler.Kit) error {
	counts := k.Scope("counter")
	err := k.Route(chat.Route{Name: "count", Pattern: `(?i)^count$`, Addressed: true,
		Help: "count - counts", Handler: func(ctx context.Context, req *chat.Request) error {
			n, err := counts.Incr(ctx, "n", 1)
			if err != nil {
				return err
			}
			req.Reply(strconv.FormatInt(n, 10))
			return nil
		}})
	if err != nil {
		return err
	}
	err = k.Route(chat.Route{Name: "reset", Pattern: `^reset$`, Addressed: true,
		Group: "counters", Handler: func(ctx context.Context, req *chat.Request) error {
			req.Reply("reset")
			return counts.Delete(ctx, "n")
		}})
	if err != nil {
		return err
	}
	err = k.Every("count-report", timer.MinEvery*100, func(ctx context.Context,
		t *timer.Tick) error {
		n, err := counts.Get(ctx, "n")
		if err != nil {
			n = "0"
		}
		t.Send("#ops", "count is "+n)
		return nil
	})
	if err != nil {
		return err
	}
	err = k.Handle("counter", "POST", "/add/{n}", func(ctx context.Context,
		r *webroute.Request) (webroute.Response, error) {
		n, err := strconv.ParseInt(r.HTTP.PathValue("n"), 10, 64)
		if err != nil {
			return webroute.Response{}, webroute.Fail(http.StatusBadRequest, "not a number")
		}
		total, err := counts.Incr(ctx, "n", n)
		if err != nil {
			return webroute.Response{}, err
		}
		r.Send("#ops", fmt.Sprintf("count is now %d", total))
		return webroute.Text(http.StatusOK, "ok"), nil
	})
	if err != nil {
		return err
	}
	return k.On(events.ChatConnected, "counter-hello", func(_ context.Context,
		ev events.Event, out *chat.Outbox) error {
		out.Send("#ops", "counter is back on "+ev.Adapter)
		return nil
	})
}

func TestCounter(t *testing.T) {
	bot := chattest.New(t, chattest.WithAdmins("root"))
	bot.Use(registerCounter)
	bot.Run(t, []chattest.Case{
		{Name: "first", User: "alice", Text: "herald: count",
			Want: []string{"reply #test alice: 1"}},
		{Name: "again, any case", User: "bob", Text: "Herald, COUNT",
			Want: []string{"reply #test bob: 2"}},
		{Name: "not addressed", User: "bob", Text: "count"},
		{Name: "private", User: "carol", Text: "count", Private: true,
			Want: []string{"send carol: 3"}},
		{Name: "reset refused", User: "bob", Text: "herald: reset",
			Want: []string{`reply #test bob: you need to be in group "counters" to do that`}},
		{Name: "admin grants", User: "root", Text: "herald: auth add bob counters",
			Want: []string{"reply #test root: bob is now in counters"}},
		{Name: "reset allowed", User: "bob", Text: "herald: reset",
			Want: []string{"reply #test bob: reset"}},
		{Name: "from zero", User: "alice", Text: "herald: count",
			Want: []string{"reply #test alice: 1"}},
	})

	if got := bot.Tick("count-report"); !reflect.DeepEqual(got,
		[]string{"send #ops: count is 1"}) {
		t.Errorf("tick = %q", got)
	}
	rec, acts := bot.Serve("POST", "/handlers/counter/add/41", "")
	if rec.Code != http.StatusOK || !reflect.DeepEqual(acts,
		[]string{"send #ops: count is now 42"}) {
		t.Errorf("http = %d %q", rec.Code, acts)
	}
	if rec, _ := bot.Serve("POST", "/handlers/counter/add/x", ""); rec.Code != 400 {
		t.Errorf("bad number answered %d", rec.Code)
	}
	got := bot.Emit(events.Event{Kind: events.ChatConnected, Adapter: "irc"})
	if !reflect.DeepEqual(got, []string{"send #ops: counter is back on irc"}) {
		t.Errorf("event = %q", got)
	}
}

func TestIgnoreAndOwnNick(t *testing.T) {
	bot := chattest.New(t, chattest.WithIgnored("gitbot"))
	cases := map[string]bool{"alice": true, "GitBot": false, "herald": false}
	for user, want := range cases {
		if got := bot.Keeps(user, "hello"); got != want {
			t.Errorf("Keeps(%s) = %v, want %v", user, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	got := chattest.Format(
		chat.Action{Kind: chat.Reply, Target: "#a", User: "u", Lines: []string{"x", "y"}},
		chat.Action{Kind: chat.Send, Target: "bob", Lines: []string{"hi"}},
		chat.Action{Kind: chat.Topic, Target: "#a", Text: "t"},
		chat.Action{Kind: chat.Join, Target: "#b"},
		chat.Action{Kind: chat.Part, Target: "#b", Text: "bye"},
	)
	want := []string{"reply #a u: x", "reply #a u: y", "send bob: hi", "topic #a: t",
		"join #b", "part #b bye"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func TestHandlerErrorCase(t *testing.T) {
	bot := chattest.New(t)
	bot.Use(func(k *handler.Kit) error {
		return k.Route(chat.Route{Name: "fail", Pattern: "^fail$", Addressed: true,
			Handler: func(context.Context, *chat.Request) error { return errors.New("down") }})
	})
	bot.Run(t, []chattest.Case{{Name: "fails", User: "a", Text: "herald: fail", WantErr: true}})
}
