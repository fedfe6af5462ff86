package receive_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/receive"
)

func msg(user, text string) chat.Message {
	return chat.Message{ID: "m-" + user, Room: "#ops", User: chat.User{ID: user, Name: user},
		Text: text}
}

func TestBallot(t *testing.T) {
	var logs bytes.Buffer
	b := receive.NewBallot(slog.New(slog.NewTextHandler(&logs,
		&slog.HandlerOptions{Level: slog.LevelDebug})))
	var seen []string
	mustAdd(t, b, receive.IgnoreHookName, receive.Ignore(
		receive.Config{IgnoreUsers: []string{"GitBot"}}, "herald", "herald_"))
	mustAdd(t, b, "no-shouting", func(_ context.Context, m chat.Message) (bool, string) {
		seen = append(seen, m.User.ID)
		return m.Text != strings.ToUpper(m.Text), "all capitals"
	})
	mustAdd(t, b, "broken", func(context.Context, chat.Message) (bool, string) {
		panic("bug")
	})

	tests := []struct {
		name string
		msg  chat.Message
		keep bool
	}{
		{"ordinary", msg("alice", "herald: ping"), true},
		{"own nick", msg("Herald", "hello"), false},
		{"own fallback nick", msg("herald_", "hello"), false},
		{"ignored user any case", msg("gitbot", "pushed 3 commits"), false},
		{"vetoed by a second hook", msg("bob", "PING!"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := b.Keep(context.Background(), tc.msg); got != tc.keep {
				t.Fatalf("Keep = %v, want %v", got, tc.keep)
			}
		})
	}
	// Every hook voted on every message, vetoed or not.
	if len(seen) != len(tests) {
		t.Errorf("second hook saw %d messages, want %d", len(seen), len(tests))
	}
	st := b.Stats()
	if st.Kept != 1 || st.Dropped != 4 || st.Panicked != 5 {
		t.Errorf("stats = %+v", st)
	}
	for _, want := range []string{"message vetoed", "msg_id=m-gitbot",
		`reason="user is on chat.ignore_users"`, "receive hook panicked"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q", want)
		}
	}
	if strings.Contains(logs.String(), "pushed 3 commits") {
		t.Error("logs hold a message text")
	}
}

func mustAdd(t *testing.T, b *receive.Ballot, name string, h receive.Hook) {
	t.Helper()
	if err := b.Add(name, h); err != nil {
		t.Fatal(err)
	}
}

func TestAddRefuses(t *testing.T) {
	b := receive.NewBallot(nil)
	keep := func(context.Context, chat.Message) (bool, string) { return true, "" }
	mustAdd(t, b, "a", keep)
	for _, tc := range []struct {
		name string
		h    receive.Hook
	}{{"a", keep}, {"", keep}, {"b c", keep}, {"d", nil}} {
		if err := b.Add(tc.name, tc.h); !errors.Is(err, receive.ErrBadHook) {
			t.Errorf("Add(%q): %v", tc.name, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		users []string
		want  string
	}{
		{"none", nil, ""},
		{"fine", []string{"gitbot", "U0123"}, ""},
		{"empty", []string{"a", ""}, `chat.ignore_users[1] ("")`},
		{"space", []string{"a b"}, `chat.ignore_users[0] ("a b") must be a user id`},
		{"repeat", []string{"Bot", "x", "bot"}, `chat.ignore_users[2] ("bot") repeats ` +
			`chat.ignore_users[0]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := receive.Config{IgnoreUsers: tc.users}.Validate()
			if (tc.want == "") != (err == nil) || (err != nil &&
				!strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
