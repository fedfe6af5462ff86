package handler_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/external"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/receive"
	"github.com/herald-chatops/herald/chat/store/memstore"
	"github.com/herald-chatops/herald/chat/webroute"
	"github.com/herald-chatops/herald/queue"
)

type claims struct{}

func (claims) Claim(context.Context, string, time.Duration, queue.Fence) (bool, error) {
	return true, nil
}

func push(context.Context, []chat.Action) error { return nil }

func settings() handler.Settings {
	return handler.Settings{Events: events.DefaultConfig(), HTTP: webroute.DefaultConfig(),
		MaxBody: 1 << 20, Nicks: []string{"herald"}}
}

func backends() handler.Backends {
	return handler.Backends{Store: memstore.New(), Claims: claims{}, Push: push}
}

func TestNewWiresTheParts(t *testing.T) {
	s := settings()
	s.Auth.Admins = []string{"root"}
	s.Ignore.IgnoreUsers = []string{"gitbot"}
	s.Commands = external.Commands{{Name: "uptime", Pattern: `^uptime$`, Addressed: true,
		Help: "uptime - how long the host runs", Exec: []string{"true"}}}
	r := chat.NewRouter()
	k, err := handler.New(r, s, backends())
	if err != nil {
		t.Fatal(err)
	}
	help := strings.Join(r.Help(""), "\n")
	for _, want := range []string{"auth add USER GROUP", "uptime - how long"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	msg := chat.Message{ID: "1", User: chat.User{ID: "gitbot"}}
	if k.Receive.Keep(context.Background(), msg) {
		t.Error("ignored user kept")
	}
	if ok, _ := k.Auth.InGroup(context.Background(), "root", "admins"); !ok {
		t.Error("configured admin not in admins")
	}
	if err := k.Every("tick", time.Second, nil); err == nil {
		t.Error("timer without handler accepted")
	}
	if got := k.Timers.Names(); !reflect.DeepEqual(got, []string(nil)) {
		t.Errorf("timers = %q", got)
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(*handler.Settings, *handler.Backends)
		want string
	}{
		{"no store", func(_ *handler.Settings, b *handler.Backends) { b.Store = nil }, ""},
		{"no push", func(_ *handler.Settings, b *handler.Backends) { b.Push = nil }, ""},
		{"bad admins", func(s *handler.Settings, _ *handler.Backends) {
			s.Auth.Admins = []string{""}
		}, "auth.admins[0]"},
		{"bad ignore", func(s *handler.Settings, _ *handler.Backends) {
			s.Ignore = receive.Config{IgnoreUsers: []string{"a b"}}
		}, "chat.ignore_users[0]"},
		{"bad events", func(s *handler.Settings, _ *handler.Backends) {
			s.Events.Backlog = 0
		}, "chat.events.backlog"},
		{"bad http", func(s *handler.Settings, _ *handler.Backends) {
			s.HTTP.Secret = "short"
		}, "http.handlers.secret"},
		{"bad command", func(s *handler.Settings, _ *handler.Backends) {
			s.Commands = external.Commands{{Name: "x"}}
		}, "chat.commands[0].pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, b := settings(), backends()
			tc.edit(&s, &b)
			_, err := handler.New(chat.NewRouter(), s, b)
			if err == nil || (tc.want == "" && !errors.Is(err, handler.ErrNoBackend)) ||
				!strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want %q", err, tc.want)
			}
		})
	}
}
