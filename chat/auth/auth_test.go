package auth_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/herald-chatops/herald/chat/auth"
	"github.com/herald-chatops/herald/chat/chattest"
	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/chat/store/memstore"
)

func TestAuthorizer(t *testing.T) {
	ctx := context.Background()
	a, err := auth.New(auth.Config{Admins: []string{"Root"}}, memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	check := func(user, group string, want bool) {
		t.Helper()
		if got, err := a.InGroup(ctx, user, group); err != nil || got != want {
			t.Fatalf("InGroup(%s, %s) = %v, %v; want %v", user, group, got, err, want)
		}
	}
	check("root", "admins", true)
	check("ROOT", "Admins", true)
	check("root", "deployers", false)
	check("bob", "admins", false)
	check("bob", "not a group", false)

	if err := a.Add(ctx, "Bob", "deployers"); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(ctx, "carol", "admins"); err != nil {
		t.Fatal(err)
	}
	check("bob", "deployers", true)
	check("carol", "admins", true)
	if err := a.Add(ctx, "bob", "no:colons"); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("bad group: %v", err)
	}

	groups, err := a.Groups(ctx)
	want := map[string][]string{"admins": {"carol", "root"}, "deployers": {"bob"}}
	if err != nil || !reflect.DeepEqual(groups, want) {
		t.Fatalf("Groups = %v, %v", groups, err)
	}
	if _, err := a.Remove(ctx, "root", "admins"); !errors.Is(err, auth.ErrConfigured) {
		t.Fatalf("removing a configured admin: %v", err)
	}
	if was, err := a.Remove(ctx, "bob", "deployers"); !was || err != nil {
		t.Fatalf("Remove = %v, %v", was, err)
	}
	if was, err := a.Remove(ctx, "bob", "deployers"); was || err != nil {
		t.Fatalf("second Remove = %v, %v", was, err)
	}
	check("bob", "deployers", false)
}

// broken is a store whose every call fails.
type broken struct{ store.Store }

func (broken) Get(context.Context, string, string) (string, error) {
	return "", errors.New("redis down")
}

func TestStoreFailureIsAnError(t *testing.T) {
	a, _ := auth.New(auth.Config{}, broken{})
	if _, err := a.InGroup(context.Background(), "bob", "ops"); err == nil {
		t.Fatal("a failed lookup answered")
	}
}

func TestCommands(t *testing.T) {
	bot := chattest.New(t, chattest.WithAdmins("root"))
	bot.Run(t, []chattest.Case{
		{Name: "not an admin", User: "bob", Text: "herald: auth add bob admins",
			Want: []string{`reply #test bob: you need to be in group "admins" to do that`}},
		{Name: "no groups but admins", User: "root", Text: "herald: auth list",
			Want: []string{"reply #test root: admins: root"}},
		{Name: "add", User: "root", Text: "herald: auth add bob Deployers",
			Want: []string{"reply #test root: bob is now in deployers"}},
		{Name: "add admin", User: "root", Text: "herald: auth add carol admins",
			Want: []string{"reply #test root: carol is now in admins"}},
		{Name: "new admin adds", User: "carol", Text: "herald: auth add dave deployers",
			Want: []string{"reply #test carol: dave is now in deployers"}},
		{Name: "bad group", User: "root", Text: "herald: auth add bob a:b",
			Want: []string{`reply #test root: "a:b" is not a group name: use letters, ` +
				`digits, '_', '.' or '-'`}},
		{Name: "list", User: "root", Text: "herald: auth list", Want: []string{
			"reply #test root: admins: carol, root",
			"reply #test root: deployers: bob, dave"}},
		{Name: "list one", User: "root", Text: "herald: auth list deployers",
			Want: []string{"reply #test root: deployers: bob, dave"}},
		{Name: "list empty", User: "root", Text: "herald: auth list nobody",
			Want: []string{"reply #test root: nobody: no members"}},
		{Name: "remove", User: "root", Text: "herald: auth remove bob deployers",
			Want: []string{"reply #test root: bob is no longer in deployers"}},
		{Name: "remove again", User: "root", Text: "herald: auth remove bob deployers",
			Want: []string{"reply #test root: bob was not in deployers"}},
		{Name: "remove configured", User: "carol", Text: "herald: auth remove root admins",
			Want: []string{"reply #test carol: root is an admin by configuration " +
				"(auth.admins); change the configuration to remove them"}},
	})
	// Memberships are in the store, under the auth namespace.
	keys, _ := bot.Memory.Keys(context.Background(), auth.StoreHandler, "")
	want := []string{"member:admins:carol", "member:deployers:dave"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys = %q, want %q", keys, want)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		admins []string
		want   string
	}{
		{"none", nil, ""},
		{"fine", []string{"root", "U012AB"}, ""},
		{"empty", []string{""}, `auth.admins[0] ("") must be a user id`},
		{"space", []string{"a", "b c"}, `auth.admins[1] ("b c")`},
		{"repeat", []string{"Root", "root"}, `auth.admins[1] ("root") repeats auth.admins[0]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := auth.Config{Admins: tc.admins}.Validate()
			if (tc.want == "") != (err == nil) || (err != nil &&
				!strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
