package builtin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/builtin"
	"github.com/herald-chatops/herald/chat/chattest"
)

func TestNotes(t *testing.T) {
	bot := chattest.New(t)
	bot.Use(builtin.RegisterNotes)
	bot.Run(t, []chattest.Case{
		{Name: "empty", User: "a", Text: "herald: notes",
			Want: []string{"reply #test a: no notes"}},
		{Name: "set", User: "a", Text: "herald: note deploy.prod  use the blue button ",
			Want: []string{"reply #test a: noted deploy.prod"}},
		{Name: "set another", User: "b", Text: "herald: note wifi guest / hunter2",
			Want: []string{"reply #test b: noted wifi"}},
		{Name: "get", User: "c", Text: "herald: note deploy.prod",
			Want: []string{"reply #test c: deploy.prod: use the blue button"}},
		{Name: "list", User: "c", Text: "herald: notes",
			Want: []string{"reply #test c: notes: deploy.prod, wifi"}},
		{Name: "list prefix", User: "c", Text: "herald: notes deploy.",
			Want: []string{"reply #test c: notes: deploy.prod"}},
		{Name: "forget", User: "c", Text: "herald: forget wifi",
			Want: []string{"reply #test c: forgot wifi"}},
		{Name: "forget again", User: "c", Text: "herald: forget wifi",
			Want: []string{"reply #test c: no note wifi"}},
		{Name: "missing", User: "c", Text: "herald: note wifi",
			Want: []string{"reply #test c: no note wifi"}},
		{Name: "too long", User: "c", Text: "herald: note k " + strings.Repeat("x", 2001),
			Want: []string{"reply #test c: too long: a key holds 512 bytes and a note 2000"}},
	})
}

func TestTestTimer(t *testing.T) {
	bot := chattest.New(t)
	if err := builtin.RegisterTestTimer(bot.Kit, "#ops", time.Second); err != nil {
		t.Fatal(err)
	}
	got := bot.Tick(builtin.TestTimerName)
	if len(got) != 1 || !strings.HasPrefix(got[0], "send #ops: tick ") {
		t.Fatalf("tick = %q", got)
	}
}
