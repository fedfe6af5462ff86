package builtin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/builtin"
)

func TestBuiltins(t *testing.T) {
	r := chat.NewRouter()
	info := func(context.Context) (builtin.Info, error) {
		return builtin.Info{Version: "v1", Node: "n1", Master: "n2", Term: 7,
			Queues: map[string]int64{"inbound": 1, "outbound": 0}}, nil
	}
	if err := builtin.Register(r, info); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, text, want string }{
		{"ping", "ping", "pong"},
		{"ping any case", "PING", "pong"},
		{"echo", "echo x1 y", "x1 y"},
		{"help", "help", "echo TEXT - says TEXT back"},
		{"help filtered", "help ping", "ping - answers pong"},
		{"help unknown", "help zzz", `no command matches "zzz"`},
		{"info", "info",
			"herald v1 on node n1; master n2, term 7; queues inbound=1 outbound=0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acts, err := r.Dispatch(context.Background(), chat.Message{ID: "m", Room: "#ops",
				User: chat.User{ID: "u", Name: "u"}, Text: tc.text, Addressed: true})
			if err != nil || len(acts) != 1 {
				t.Fatalf("got %+v, %v", acts, err)
			}
			if got := strings.Join(acts[0].Lines, "\n"); !strings.Contains(got, tc.want) {
				t.Fatalf("reply %q does not contain %q", got, tc.want)
			}
		})
	}
}

func TestNotAddressedIsIgnored(t *testing.T) {
	r := chat.NewRouter()
	if err := builtin.Register(r, nil); err != nil {
		t.Fatal(err)
	}
	acts, _ := r.Dispatch(context.Background(), chat.Message{ID: "m", Text: "ping"})
	if len(acts) != 0 {
		t.Fatalf("unaddressed ping answered: %+v", acts)
	}
}
