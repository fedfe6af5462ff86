package raftq

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The key-value part of the state: named spaces (one per handler), each
// a map of keys to values that may expire. Expiries are measured with the
// leader's clock in the entries, like the claims'; an expired value is
// never returned, is dropped when a write touches its key, and is swept
// by prune.

// kvEntry is one stored value.
type kvEntry struct {
	Value string
	// Expires is when the value lapses, in Unix nanoseconds of the
	// leader's clock; zero for never.
	Expires int64
}

// live reports whether e still holds at now.
func (e kvEntry) live(now int64) bool { return e.Expires == 0 || now < e.Expires }

// kvSpace is the keys of one space. It is encoded as a list of records
// sorted by key, since a JSON object's keys could not keep bytes that are
// not UTF-8.
type kvSpace map[string]kvEntry

// kvRecord is one key of a space in a snapshot.
type kvRecord struct {
	Key     text  `json:"k"`
	Value   text  `json:"v"`
	Expires int64 `json:"exp,omitempty"`
}

// MarshalJSON writes the space as records sorted by key.
func (sp kvSpace) MarshalJSON() ([]byte, error) {
	recs := make([]kvRecord, 0, len(sp))
	for _, k := range slices.Sorted(maps.Keys(sp)) {
		e := sp[k]
		recs = append(recs, kvRecord{Key: text(k), Value: text(e.Value), Expires: e.Expires})
	}
	return json.Marshal(recs)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (sp *kvSpace) UnmarshalJSON(b []byte) error {
	var recs []kvRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return err
	}
	m := make(kvSpace, len(recs))
	for _, r := range recs {
		m[string(r.Key)] = kvEntry{Value: string(r.Value), Expires: r.Expires}
	}
	*sp = m
	return nil
}

// kvRefuse returns the refusal of a key-value write without a space or a
// key, and whether there is one.
func kvRefuse(c *op) (response, bool) {
	switch {
	case c.Space == "":
		return response{Code: codeBadRequest, Msg: "key-value op without space"}, true
	case c.Name == "":
		return response{Code: codeBadRequest, Msg: "key-value op without key"}, true
	case c.TTL < 0:
		return response{Code: codeBadRequest, Msg: "negative ttl"}, true
	}
	return response{}, false
}

// kvLookup returns the live entry under key in space, dropping it if it
// expired. Every replica drops it at the same entry, so they agree.
func (s *state) kvLookup(space, key string, now int64) (kvEntry, bool) {
	e, ok := s.KV[space][key]
	if ok && !e.live(now) {
		s.kvDrop(space, key)
		return kvEntry{}, false
	}
	return e, ok
}

// kvPut stores e under key in space.
func (s *state) kvPut(space, key string, e kvEntry) {
	sp := s.KV[space]
	if sp == nil {
		sp = kvSpace{}
		s.KV[space] = sp
	}
	sp[key] = e
}

// kvDrop removes key from space, and the space once it is empty.
func (s *state) kvDrop(space, key string) {
	sp := s.KV[space]
	delete(sp, key)
	if len(sp) == 0 {
		delete(s.KV, space)
	}
}

// kvSet stores a value, expiring a.c.TTL after the entry's time when the
// TTL is above zero; a set without TTL clears an earlier one.
func (s *state) kvSet(a *applied) (response, bool) {
	if res, bad := kvRefuse(a.c); bad {
		return res, false
	}
	e := kvEntry{Value: string(a.c.Value)}
	if a.c.TTL > 0 {
		e.Expires = expiry(a.now, int64(a.c.TTL))
	}
	s.kvPut(a.c.Space, string(a.c.Name), e)
	return response{}, true
}

// expiry returns now+ttl, or the largest time when that overflows.
func expiry(now, ttl int64) int64 {
	if now > math.MaxInt64-ttl {
		return math.MaxInt64
	}
	return now + ttl
}

// kvDelete removes a key. OK is false when there was none.
func (s *state) kvDelete(a *applied) (response, bool) {
	if res, bad := kvRefuse(a.c); bad {
		return res, false
	}
	if _, ok := s.kvLookup(a.c.Space, string(a.c.Name), a.now); !ok {
		return response{}, false
	}
	s.kvDrop(a.c.Space, string(a.c.Name))
	return response{OK: true}, true
}

// kvIncr adds a.c.By to the integer under a key, from 0 for a missing
// one, keeping the key's expiry. A value that is not in the decimal form
// Incr writes, or a sum that overflows, is refused and left alone.
func (s *state) kvIncr(a *applied) (response, bool) {
	if res, bad := kvRefuse(a.c); bad {
		return res, false
	}
	key := string(a.c.Name)
	e, found := s.kvLookup(a.c.Space, key, a.now)
	v, ok := addInt(e.Value, found, a.c.By)
	if !ok {
		return response{Code: codeNotInteger}, false
	}
	e.Value = strconv.FormatInt(v, 10)
	s.kvPut(a.c.Space, key, e)
	return response{N: v}, true
}

// addInt returns the integer in old (0 when not found) plus n, and false
// when old is not a canonical decimal or the sum overflows.
func addInt(old string, found bool, n int64) (int64, bool) {
	var v int64
	if found {
		var err error
		v, err = strconv.ParseInt(old, 10, 64)
		if err != nil || strconv.FormatInt(v, 10) != old {
			return 0, false
		}
	}
	if (n > 0 && v > math.MaxInt64-n) || (n < 0 && v < math.MinInt64-n) {
		return 0, false
	}
	return v + n, true
}

// kvGet returns the live value under key in space at now. It changes
// nothing, so it runs under the read lock.
func (s *state) kvGet(space, key string, now int64) (string, bool) {
	e, ok := s.KV[space][key]
	if !ok || !e.live(now) {
		return "", false
	}
	return e.Value, true
}

// kvKeys returns the live keys of space that start with prefix at now,
// sorted bytewise.
func (s *state) kvKeys(space, prefix string, now int64) []string {
	var keys []string
	for k, e := range s.KV[space] {
		if strings.HasPrefix(k, prefix) && e.live(now) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// kvPurge drops every value that expired by now.
func (s *state) kvPurge(now int64) {
	for space, sp := range s.KV {
		for k, e := range sp {
			if !e.live(now) {
				delete(sp, k)
			}
		}
		if len(sp) == 0 {
			delete(s.KV, space)
		}
	}
}
