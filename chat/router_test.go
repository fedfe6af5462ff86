package chat_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/herald-chatops/herald/chat"
)

type groups map[string]bool

func (g groups) InGroup(_ context.Context, user, group string) (bool, error) {
	return g[user+"/"+group], nil
}

func newRouter(t *testing.T) *chat.Router {
	t.Helper()
	r := chat.NewRouter()
	r.SetAuthorizer(groups{"alice/admins": true})
	routes := []chat.Route{
		{Name: "hello", Pattern: `(?i)^hello (\w+)$`, Addressed: true, Help: "hello NAME",
			Handler: func(_ context.Context, req *chat.Request) error {
				req.Reply("hi " + req.Match[1])
				return nil
			}},
		{Name: "coffee", Pattern: `coffee`, Help: "mentions of coffee",
			Handler: func(_ context.Context, req *chat.Request) error {
				req.Send("#kitchen", "someone wants coffee")
				return nil
			}},
		{Name: "deploy", Pattern: `^deploy$`, Addressed: true, Group: "admins", Help: "deploy",
			Handler: func(_ context.Context, req *chat.Request) error {
				req.SetTopic(req.Message.Room, "deploying")
				return nil
			}},
		{Name: "boom", Pattern: `^boom$`, Addressed: true,
			Handler: func(context.Context, *chat.Request) error { panic("kaboom") }},
	}
	for _, rt := range routes {
		if err := r.Add(rt); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestDispatch(t *testing.T) {
	msg := func(user, text string, addressed bool) chat.Message {
		return chat.Message{ID: "m1", Room: "#ops", User: chat.User{ID: user, Name: user},
			Text: text, Addressed: addressed}
	}
	tests := []struct {
		name    string
		msg     chat.Message
		want    []chat.Action
		wantErr error
	}{
		{"addressed route", msg("bob", "hello world", true), []chat.Action{{ID: "m1/0",
			Kind: chat.Reply, Target: "#ops", User: "bob", Lines: []string{"hi world"}}}, nil},
		{"addressed route not addressed", msg("bob", "hello world", false), nil, nil},
		{"overheard", msg("bob", "need coffee", false), []chat.Action{{ID: "m1/0",
			Kind: chat.Send, Target: "#kitchen", Lines: []string{"someone wants coffee"}}}, nil},
		{"group member", msg("alice", "deploy", true), []chat.Action{{ID: "m1/0",
			Kind: chat.Topic, Target: "#ops", Text: "deploying"}}, nil},
		{"group refused", msg("bob", "deploy", true), []chat.Action{{ID: "m1/0",
			Kind: chat.Reply, Target: "#ops", User: "bob",
			Lines: []string{`you need to be in group "admins" to do that`}}}, nil},
		{"panic becomes error", msg("bob", "boom", true), nil, chat.ErrHandlerPanic},
		{"no match", msg("bob", "nothing", true), nil, nil},
	}
	r := newRouter(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Dispatch(context.Background(), tc.msg)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("actions = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPrivateReplyGoesToSender(t *testing.T) {
	r := newRouter(t)
	got, err := r.Dispatch(context.Background(), chat.Message{ID: "p", Room: "bob",
		User: chat.User{ID: "bob", Name: "bob"}, Text: "hello you", Private: true,
		Addressed: true})
	if err != nil || len(got) != 1 || got[0].Kind != chat.Send || got[0].Target != "bob" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestAddRefusesBadRoutes(t *testing.T) {
	r := newRouter(t)
	nop := func(context.Context, *chat.Request) error { return nil }
	bad := []chat.Route{
		{Name: "x", Pattern: `(`, Handler: nop},
		{Name: "hello", Pattern: `x`, Handler: nop},
		{Name: "nohandler", Pattern: `x`},
	}
	for _, rt := range bad {
		if err := r.Add(rt); err == nil {
			t.Errorf("Add(%q) accepted", rt.Name)
		}
	}
}

func TestHelpListsRoutesWithGroups(t *testing.T) {
	got := newRouter(t).Help("")
	want := []string{"deploy (admins only)", "hello NAME", "mentions of coffee"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("help = %q, want %q", got, want)
	}
}
