package handler_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/builtin"
	"github.com/herald-chatops/herald/chat/chattest"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/store/redisstore"
	"github.com/herald-chatops/herald/queue/redistest"
)

// TestTwoNodesShareNotesAndGroups builds the Kits of two nodes, each with
// its own Redis client, on one real redis-server: a note and a group
// membership written through one node are seen through the other.
func TestTwoNodesShareNotesAndGroups(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	var routers []*chat.Router
	for range 2 {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { _ = c.Close() })
		st, err := redisstore.New(c, "herald")
		if err != nil {
			t.Fatal(err)
		}
		s := settings()
		s.Auth.Admins = []string{"root"}
		b := backends()
		b.Store = st
		k, err := handler.New(chat.NewRouter(), s, b)
		if err != nil {
			t.Fatal(err)
		}
		if err := builtin.RegisterNotes(k); err != nil {
			t.Fatal(err)
		}
		routers = append(routers, k.Router)
	}
	say := func(node int, user, text string) []string {
		t.Helper()
		acts, err := routers[node].Dispatch(context.Background(), chat.Message{ID: "m",
			Room: "#ops", User: chat.User{ID: user, Name: user}, Text: text, Addressed: true})
		if err != nil {
			t.Fatal(err)
		}
		return chattest.Format(acts...)
	}
	steps := []struct {
		node       int
		user, text string
		want       string
	}{
		{0, "alice", "note runbook https://wiki/runbook", "reply #ops alice: noted runbook"},
		{1, "bob", "note runbook", "reply #ops bob: runbook: https://wiki/runbook"},
		{1, "root", "auth add bob ops", "reply #ops root: bob is now in ops"},
		{0, "root", "auth list ops", "reply #ops root: ops: bob"},
	}
	for _, st := range steps {
		if got := say(st.node, st.user, st.text); !reflect.DeepEqual(got, []string{st.want}) {
			t.Fatalf("node %d, %s: %q\n got  %q\n want %q", st.node, st.user, st.text, got,
				st.want)
		}
	}
}
