package raftq

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// kvGet reads key in space on r's state at its clock.
func (r *replica) kvGet(space, key string) (string, bool) {
	var v string
	var ok bool
	r.f.read(func(s *state) { v, ok = s.kvGet(space, key, r.now.UnixNano()) })
	return v, ok
}

// kvKeys lists space's keys with prefix on r's state at its clock.
func (r *replica) kvKeys(space, prefix string) []string {
	var keys []string
	r.f.read(func(s *state) { keys = s.kvKeys(space, prefix, r.now.UnixNano()) })
	return keys
}

// wantKV fails t unless key in space holds want ("" and !found for none).
func (r *replica) wantKV(space, key, want string, found bool) {
	r.t.Helper()
	if v, ok := r.kvGet(space, key); v != want || ok != found {
		r.t.Fatalf("get %s/%q = %q, %v; want %q, %v", space, key, v, ok, want, found)
	}
}

// fillKV puts keys in two spaces, one of them expiring and one not UTF-8.
func fillKV(r *replica) {
	r.apply(op{Op: opKVSet, Space: "notes", Name: "a", Value: "plain"})
	r.apply(op{Op: opKVSet, Space: "notes", Name: "bin\xff", Value: "\x00\xfe", TTL: time.Hour})
	r.apply(op{Op: opKVIncr, Space: "count", Name: "k", By: 41})
}

func TestKVSetGetExpire(t *testing.T) {
	r := newReplica(t)
	r.apply(op{Op: opKVSet, Space: "h", Name: "short", Value: "v", TTL: time.Second})
	r.apply(op{Op: opKVSet, Space: "h", Name: "clears", Value: "old", TTL: time.Second})
	r.apply(op{Op: opKVSet, Space: "h", Name: "clears", Value: "new"})
	r.apply(op{Op: opKVSet, Space: "other", Name: "short", Value: "x"})
	r.now = r.now.Add(999 * time.Millisecond)
	r.wantKV("h", "short", "v", true)
	r.now = r.now.Add(time.Millisecond)
	r.wantKV("h", "short", "", false)
	r.wantKV("h", "clears", "new", true)
	r.wantKV("other", "short", "x", true)
	if keys := r.kvKeys("h", ""); !reflect.DeepEqual(keys, []string{"clears"}) {
		t.Fatalf("keys = %q, want the live one", keys)
	}
	if res := r.apply(op{Op: opKVDelete, Space: "h", Name: "clears"}); !res.OK {
		t.Fatalf("delete: %+v", res)
	}
	if res := r.apply(op{Op: opKVDelete, Space: "h", Name: "short"}); res.OK {
		t.Fatal("delete of an expired key found it")
	}
	if _, ok := r.f.st.KV["h"]; ok {
		t.Fatal("an empty space is kept")
	}
}

func TestKVIncr(t *testing.T) {
	r := newReplica(t)
	steps := []struct {
		name  string
		value string // set before, "" for none
		by    int64
		want  int64
		code  string
	}{
		{"missing starts at zero", "", 5, 5, ""},
		{"adds", "", -7, -2, ""},
		{"set decimal", "41", 1, 42, ""},
		{"leading zero", "01", 1, 0, codeNotInteger},
		{"plus sign", "+1", 1, 0, codeNotInteger},
		{"minus zero", "-0", 1, 0, codeNotInteger},
		{"space", " 1", 1, 0, codeNotInteger},
		{"empty", "\x00", 1, 0, codeNotInteger},
		{"overflow", "9223372036854775807", 1, 0, codeNotInteger},
		{"underflow", "-9223372036854775808", -1, 0, codeNotInteger},
	}
	for _, st := range steps {
		if st.value != "" {
			r.apply(op{Op: opKVSet, Space: "c", Name: "k", Value: text(st.value)})
		}
		res := r.apply(op{Op: opKVIncr, Space: "c", Name: "k", By: st.by})
		if res.Code != st.code || (st.code == "" && res.N != st.want) {
			t.Fatalf("%s: %+v, want %d %q", st.name, res, st.want, st.code)
		}
		if st.code != "" {
			r.wantKV("c", "k", st.value, true)
		}
	}
}

func TestKVIncrTTL(t *testing.T) {
	r := newReplica(t)
	r.apply(op{Op: opKVSet, Space: "c", Name: "k", Value: "1", TTL: time.Second})
	r.apply(op{Op: opKVIncr, Space: "c", Name: "k", By: 1})
	r.now = r.now.Add(time.Second)
	r.wantKV("c", "k", "", false)

	// An expired value counts as missing: Incr starts over, with no TTL.
	if res := r.apply(op{Op: opKVIncr, Space: "c", Name: "k", By: 3}); res.N != 3 {
		t.Fatalf("incr after expiry = %+v, want 3", res)
	}
	r.now = r.now.Add(time.Hour)
	r.wantKV("c", "k", "3", true)
}

func TestKVRetriedIncrAppliesOnce(t *testing.T) {
	r := newReplica(t)
	incr := op{Op: opKVIncr, Space: "c", Name: "k", By: 2, Client: "kv", Seq: 1, Floor: 1}
	if a, b := r.apply(incr), r.apply(incr); a.N != 2 || b.N != 2 {
		t.Fatalf("retried incr: %d then %d, want 2 both times", a.N, b.N)
	}
	r.wantKV("c", "k", "2", true)
}

func TestKVRefusals(t *testing.T) {
	r := newReplica(t)
	for name, c := range map[string]op{
		"no space":     {Op: opKVSet, Name: "k"},
		"no key":       {Op: opKVIncr, Space: "h"},
		"negative ttl": {Op: opKVSet, Space: "h", Name: "k", TTL: -1},
	} {
		if res := r.apply(c); res.Code != codeBadRequest {
			t.Errorf("%s: %+v, want bad request", name, res)
		}
	}
	r.apply(op{Op: opKVSet, Space: "h", Name: "far", Value: "v", TTL: math.MaxInt64})
	r.wantKV("h", "far", "v", true)
}

// TestKVPruneSweeps: expired values are dropped by the periodic prune
// even when no write touches them again.
func TestKVPruneSweeps(t *testing.T) {
	r := newReplica(t)
	r.apply(op{Op: opKVSet, Space: "h", Name: "goes", Value: "v", TTL: time.Second})
	r.apply(op{Op: opKVSet, Space: "h", Name: "stays", Value: "v"})
	r.now = r.now.Add(pruneEvery + time.Second)
	r.apply(op{Op: opReap})
	if got := r.f.st.KV["h"]; len(got) != 1 || got["stays"].Value != "v" {
		t.Fatalf("after prune: %+v, want only the key without TTL", got)
	}
}

// TestKVSnapshot: keys in any bytes survive a snapshot; UTF-8 ones stay
// readable in it; a snapshot of a build without keys restores to none.
func TestKVSnapshot(t *testing.T) {
	r := newReplica(t)
	fillKV(r)
	b := snapshotBytes(t, r.f)
	if !bytes.Contains(b, []byte(`{"k":"a","v":"plain"}`)) {
		t.Fatalf("snapshot does not show a plain key as text:\n%s", b)
	}
	back := &replica{t: t, f: newFSM(), now: r.now}
	if err := back.f.Restore(io.NopCloser(bytes.NewReader(b))); err != nil {
		t.Fatal(err)
	}
	back.wantKV("notes", "bin\xff", "\x00\xfe", true)
	back.wantKV("count", "k", "41", true)

	old := bytes.Replace(b, []byte(`"kv":`), []byte(`"unknown":`), 1)
	if err := back.f.Restore(io.NopCloser(bytes.NewReader(old))); err != nil {
		t.Fatal(err)
	}
	back.wantKV("notes", "a", "", false)
	if res := back.apply(op{Op: opKVIncr, Space: "count", Name: "k", By: 1}); res.N != 1 {
		t.Fatalf("incr after an old snapshot = %+v, want 1", res)
	}
}

// FuzzText: any string goes through JSON unchanged, alone and in a list.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "é", "\xff", "a\x00b", `{"b64":"eA=="}`, "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal([]text{text(s)})
		if err != nil {
			t.Fatalf("marshal %q: %v", s, err)
		}
		var back []text
		if err := json.Unmarshal(b, &back); err != nil || len(back) != 1 || string(back[0]) != s {
			t.Fatalf("round trip of %q through %s = %q, %v", s, b, back, err)
		}
		if asObject := b[1] == '{'; asObject == utf8.ValidString(s) {
			t.Fatalf("%q written as %s", s, b)
		}
	})
}
