package redisq

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// aclRules are the least rights a Herald node needs on its Redis, for a
// namespace matching the key pattern: every command but the dangerous
// ones (KEYS, FLUSHALL, CONFIG, DEBUG and the like), on its own keys.
var aclRules = []string{"on", ">s3cret-pass", "resetkeys", "~qt*", "resetchannels",
	"-@all", "+@all", "-@dangerous"}

// startACL starts a Redis whose only usable user is "herald" with
// aclRules, the default user switched off, and returns it with a client
// logged in as herald for looking behind the queue.
func startACL(t *testing.T) (*redistest.Server, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	admin := rawClient(t, srv.Addr)
	args := append([]any{"ACL", "SETUSER", "herald"}, toAny(aclRules)...)
	if err := admin.Do(ctxFor(t), args...).Err(); err != nil {
		t.Fatalf("acl setuser: %v", err)
	}
	if err := admin.Do(ctxFor(t), "ACL", "SETUSER", "default", "off").Err(); err != nil {
		t.Fatalf("acl: default off: %v", err)
	}
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "herald",
		Password: "s3cret-pass"})
	t.Cleanup(func() { _ = raw.Close() })
	return srv, raw
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// The conformance suite as an ACL user restricted to its namespace's
// keys and to commands that are not dangerous.
func TestACLConformance(t *testing.T) {
	t.Parallel() // mostly waits, like the other suites over one transport
	srv, raw := startACL(t)
	cfg := testConfig(srv.Addr)
	cfg.Username, cfg.Password = "herald", "s3cret-pass"
	var ns namespaces
	open := func(t *testing.T, node string) queue.Queue {
		return openQueue(t, cfg, ns.of(t), node)
	}
	setTerm := func(t *testing.T, term uint64) {
		key := ns.of(t) + ":term"
		if err := raw.Set(ctxFor(t), key, strconv.FormatUint(term, 10), 0).Err(); err != nil {
			t.Fatalf("set term: %v", err)
		}
	}
	queuetest.Run(t, open, setTerm)
}

// redis.username is what logs in: without it, or with a wrong password,
// or outside the namespace the user may touch, calls fail.
func TestACLRefusals(t *testing.T) {
	srv, _ := startACL(t)
	tests := []struct {
		name     string
		user, pw string
		ns       string
		want     string
	}{
		{"works", "herald", "s3cret-pass", "qt", ""},
		{"no user", "", "s3cret-pass", "qt", "AUTH"},
		{"wrong password", "herald", "nope", "qt", "WRONGPASS"},
		{"other namespace", "herald", "s3cret-pass", "other", "NOPERM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(srv.Addr)
			cfg.Username, cfg.Password = tc.user, tc.pw
			err := openQueue(t, cfg, tc.ns, "a").Push(ctxFor(t), queue.Jobs, env("j"), 0)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("push: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("push: %v, want %s", err, tc.want)
			}
		})
	}
}
