package handler_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/chattest"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/timer"
)

// registerKarma counts "NAME++" said anywhere, in the store the whole
// cluster shares, and says every Monday how many people have points.
func registerKarma(k *handler.Kit) error {
	karma := k.Scope("karma")
	err := k.Route(chat.Route{Name: "karma", Pattern: `^(?P<name>\w+)\+\+$`,
		Help: "NAME++ - gives NAME a point",
		Handler: func(ctx context.Context, req *chat.Request) error {
			n, err := karma.Incr(ctx, req.Match[1], 1)
			if err != nil {
				return err
			}
			req.Reply(fmt.Sprintf("%s has %d points", req.Match[1], n))
			return nil
		}})
	if err != nil {
		return err
	}
	return k.Cron("karma-weekly", "0 9 * * 1", func(ctx context.Context, t *timer.Tick) error {
		names, err := karma.Keys(ctx, "")
		if err != nil {
			return err
		}
		t.Send("#team", fmt.Sprintf("%d people have karma points", len(names)))
		return nil
	})
}

// A handler is a function that registers what it needs with the Kit.
func Example() {
	_ = registerKarma // node.Env would take it; chattest.Bot.Use runs it in a test
}

// TestKarma is the guide's test of its handler.
func TestKarma(t *testing.T) {
	bot := chattest.New(t)
	bot.Use(registerKarma)
	bot.Run(t, []chattest.Case{
		{Name: "first", User: "alice", Text: "bob++",
			Want: []string{"reply #test alice: bob has 1 points"}},
		{Name: "second", User: "carol", Text: "bob++",
			Want: []string{"reply #test carol: bob has 2 points"}},
		{Name: "not a karma", User: "carol", Text: "c++ is hard"},
	})
	if got := bot.Tick("karma-weekly"); !reflect.DeepEqual(got,
		[]string{"send #team: 1 people have karma points"}) {
		t.Fatalf("tick = %q", got)
	}
}
