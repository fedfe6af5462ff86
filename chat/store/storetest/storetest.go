// Package storetest is the conformance suite of store.Store: every
// backend runs Run against itself, so that a handler behaves the same on
// Redis, on raft and in memory.
package storetest

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/store"
)

// Open returns a new, empty store for one subtest. It may register its
// own cleanup with t.
type Open func(t *testing.T) store.Store

// shortTTL is the TTL of the expiry checks: long enough to read the key
// back before it lapses on a loaded machine, short enough for a fast test.
const shortTTL = 300 * time.Millisecond

// Run runs every conformance check against stores made by open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"GetMissing", testGetMissing},
		{"SetGetOverwrite", testSetGetOverwrite},
		{"Delete", testDelete},
		{"HandlersApart", testHandlersApart},
		{"TTL", testTTL},
		{"SetClearsTTL", testSetClearsTTL},
		{"Incr", testIncr},
		{"IncrKeepsTTL", testIncrKeepsTTL},
		{"IncrNotInteger", testIncrNotInteger},
		{"IncrConcurrent", testIncrConcurrent},
		{"Keys", testKeys},
		{"KeysSkipExpired", testKeysSkipExpired},
		{"Invalid", testInvalid},
		{"Cancelled", testCancelled},
		{"OddKeys", testOddKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustSet(t *testing.T, s store.Store, h, k, v string, ttl time.Duration) {
	t.Helper()
	if err := s.Set(ctxT(t), h, k, v, ttl); err != nil {
		t.Fatalf("Set(%s, %q): %v", h, k, err)
	}
}

func wantValue(t *testing.T, s store.Store, h, k, want string) {
	t.Helper()
	got, err := s.Get(ctxT(t), h, k)
	if err != nil || got != want {
		t.Fatalf("Get(%s, %q) = %q, %v; want %q", h, k, got, err, want)
	}
}

func wantMissing(t *testing.T, s store.Store, h, k string) {
	t.Helper()
	if got, err := s.Get(ctxT(t), h, k); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s, %q) = %q, %v; want ErrNotFound", h, k, got, err)
	}
}

func wantKeys(t *testing.T, s store.Store, h, prefix string, want ...string) {
	t.Helper()
	got, err := s.Keys(ctxT(t), h, prefix)
	if err != nil {
		t.Fatalf("Keys(%s, %q): %v", h, prefix, err)
	}
	if len(got) != 0 || len(want) != 0 {
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Keys(%s, %q) = %q, want %q", h, prefix, got, want)
		}
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testGetMissing(t *testing.T, s store.Store) {
	wantMissing(t, s, "notes", "nothing")
	wantKeys(t, s, "notes", "")
}

func testSetGetOverwrite(t *testing.T, s store.Store) {
	mustSet(t, s, "notes", "a", "first", 0)
	wantValue(t, s, "notes", "a", "first")
	mustSet(t, s, "notes", "a", "second", 0)
	wantValue(t, s, "notes", "a", "second")
	mustSet(t, s, "notes", "empty", "", 0)
	wantValue(t, s, "notes", "empty", "")
	big := strings.Repeat("x", store.MaxValueLen)
	mustSet(t, s, "notes", "big", big, 0)
	wantValue(t, s, "notes", "big", big)
}

func testDelete(t *testing.T, s store.Store) {
	mustSet(t, s, "notes", "a", "1", 0)
	for range 2 { // the second delete finds nothing, which is fine
		if err := s.Delete(ctxT(t), "notes", "a"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	wantMissing(t, s, "notes", "a")
}

func testHandlersApart(t *testing.T, s store.Store) {
	mustSet(t, s, "one", "k", "1", 0)
	mustSet(t, s, "one.two", "k", "2", 0)
	wantMissing(t, s, "two", "k")
	wantValue(t, s, "one.two", "k", "2")
	wantKeys(t, s, "on", "")
	if err := s.Delete(ctxT(t), "two", "k"); err != nil {
		t.Fatal(err)
	}
	wantValue(t, s, "one", "k", "1")
}

func testTTL(t *testing.T, s store.Store) {
	mustSet(t, s, "notes", "short", "v", shortTTL)
	mustSet(t, s, "notes", "long", "v", time.Hour)
	wantValue(t, s, "notes", "short", "v")
	eventually(t, 5*time.Second, "short key expires", func() bool {
		_, err := s.Get(ctxT(t), "notes", "short")
		return errors.Is(err, store.ErrNotFound)
	})
	wantValue(t, s, "notes", "long", "v")
}

func testSetClearsTTL(t *testing.T, s store.Store) {
	mustSet(t, s, "notes", "k", "old", shortTTL)
	mustSet(t, s, "notes", "k", "new", 0)
	time.Sleep(2 * shortTTL) // a fixed wait: the check is that nothing happens
	wantValue(t, s, "notes", "k", "new")
}

func testIncr(t *testing.T, s store.Store) {
	steps := []struct {
		n, want int64
	}{{5, 5}, {1, 6}, {-10, -4}, {0, -4}}
	for _, st := range steps {
		got, err := s.Incr(ctxT(t), "count", "k", st.n)
		if err != nil || got != st.want {
			t.Fatalf("Incr(%d) = %d, %v; want %d", st.n, got, err, st.want)
		}
	}
	wantValue(t, s, "count", "k", "-4")
	mustSet(t, s, "count", "set", "41", 0)
	if got, err := s.Incr(ctxT(t), "count", "set", 1); err != nil || got != 42 {
		t.Fatalf("Incr on a set value = %d, %v; want 42", got, err)
	}
}

func testIncrKeepsTTL(t *testing.T, s store.Store) {
	mustSet(t, s, "count", "k", "1", shortTTL)
	if _, err := s.Incr(ctxT(t), "count", "k", 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "incremented key keeps its ttl", func() bool {
		_, err := s.Get(ctxT(t), "count", "k")
		return errors.Is(err, store.ErrNotFound)
	})
}

func testIncrNotInteger(t *testing.T, s store.Store) {
	for _, v := range []string{"abc", "1.5", " 1", ""} {
		mustSet(t, s, "count", "k", v, 0)
		if got, err := s.Incr(ctxT(t), "count", "k", 1); !errors.Is(err, store.ErrNotInteger) {
			t.Fatalf("Incr on %q = %d, %v; want ErrNotInteger", v, got, err)
		}
		wantValue(t, s, "count", "k", v)
	}
	if _, err := s.Incr(ctxT(t), "count", "max", math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctxT(t), "count", "max", 1); !errors.Is(err, store.ErrNotInteger) {
		t.Fatalf("overflow: %v, want ErrNotInteger", err)
	}
}

func testIncrConcurrent(t *testing.T, s store.Store) {
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := s.Incr(ctxT(t), "count", "k", 1); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantValue(t, s, "count", "k", "200")
}

func testKeys(t *testing.T, s store.Store) {
	for _, k := range []string{"b/2", "a", "b/1", "c", "b/10", "b"} {
		mustSet(t, s, "notes", k, "v", 0)
	}
	mustSet(t, s, "other", "b/3", "v", 0)
	wantKeys(t, s, "notes", "", "a", "b", "b/1", "b/10", "b/2", "c")
	wantKeys(t, s, "notes", "b/", "b/1", "b/10", "b/2")
	wantKeys(t, s, "notes", "b/1", "b/1", "b/10")
	wantKeys(t, s, "notes", "z")
}

func testKeysSkipExpired(t *testing.T, s store.Store) {
	mustSet(t, s, "notes", "stays", "v", 0)
	mustSet(t, s, "notes", "goes", "v", shortTTL)
	eventually(t, 5*time.Second, "expired key leaves Keys", func() bool {
		keys, err := s.Keys(ctxT(t), "notes", "")
		return err == nil && reflect.DeepEqual(keys, []string{"stays"})
	})
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	long := strings.Repeat("k", store.MaxKeyLen+1)
	calls := map[string]error{
		"bad handler":    s.Set(ctx, "a:b", "k", "v", 0),
		"empty handler":  s.Set(ctx, "", "k", "v", 0),
		"empty key":      s.Set(ctx, "h", "", "v", 0),
		"long key":       s.Set(ctx, "h", long, "v", 0),
		"big value":      s.Set(ctx, "h", "k", strings.Repeat("v", store.MaxValueLen+1), 0),
		"negative ttl":   s.Set(ctx, "h", "k", "v", -time.Second),
		"get empty key":  errOnly(s.Get(ctx, "h", "")),
		"incr bad name":  errOnly(s.Incr(ctx, "h h", "k", 1)),
		"delete bad key": s.Delete(ctx, "h", ""),
		"keys bad name":  errOnly(s.Keys(ctx, "h*", "")),
	}
	for name, err := range calls {
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	wantMissing(t, s, "h", "k")
}

func errOnly[T any](_ T, err error) error { return err }

func testCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]error{
		"get":    errOnly(s.Get(ctx, "h", "k")),
		"set":    s.Set(ctx, "h", "k", "v", 0),
		"delete": s.Delete(ctx, "h", "k"),
		"incr":   errOnly(s.Incr(ctx, "h", "k", 1)),
		"keys":   errOnly(s.Keys(ctx, "h", "")),
	}
	for name, err := range calls {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
	}
}

// testOddKeys uses keys with the characters a backend might treat as
// syntax: glob patterns, separators, spaces, non-ASCII.
func testOddKeys(t *testing.T, s store.Store) {
	odd := []string{"*", "a*", "a?", "[a]", `\`, "x:y", "with space", "é", "a\nb"}
	for _, k := range odd {
		mustSet(t, s, "odd", k, "v:"+k, 0)
	}
	for _, k := range odd {
		wantValue(t, s, "odd", k, "v:"+k)
	}
	wantKeys(t, s, "odd", "a", "a\nb", "a*", "a?")
	wantKeys(t, s, "odd", "*", "*")
	wantKeys(t, s, "odd", "[", "[a]")
	wantKeys(t, s, "odd", `\`, `\`)
}
