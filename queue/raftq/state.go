package raftq

import (
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// stateVersion is the snapshot encoding version.
const stateVersion = 1

// How long the state machine remembers what it needs for a while only.
// All of it is measured with the leader's clock carried in the entries.
const (
	// pruneEvery is how often expired claims, sessions and nodes go.
	pruneEvery = time.Minute
	// sessionTTL is how long a client that sends nothing is remembered.
	// Its requests are retried within seconds; an idle node still sends a
	// heartbeat every queue.heartbeat.
	sessionTTL = 10 * time.Minute
	// nodeForget is how long a lapsed heartbeat is kept, for Reap.
	nodeForget = 10 * time.Minute
)

// state is everything the raft state machine holds. It is the snapshot,
// as JSON. Times are Unix nanoseconds of the leader's clock.
type state struct {
	V int `json:"v"`
	// Lists are the lists of queue.Lists, by name.
	Lists map[string]*deque `json:"lists"`
	// Leases are the envelopes popped and not yet ended, by lease id.
	Leases map[uint64]*lease `json:"leases"`
	// NextLease is the id of the next lease.
	NextLease uint64 `json:"next_lease"`
	// Dead are the dead letters, oldest first.
	Dead []deadLetter `json:"dead"`
	// Claims are the claim keys.
	Claims map[string]claim `json:"claims"`
	// Nodes are the heartbeats, by node id.
	Nodes map[string]nodeRec `json:"nodes"`
	// Fence is the current term's fencing token: the log index of the
	// entry that started the term. Zero until a term starts.
	Fence uint64 `json:"fence"`
	// Sessions hold the results that make retried requests idempotent.
	Sessions map[string]*session `json:"sessions"`
	// Pruned is when the last prune ran.
	Pruned int64 `json:"pruned"`
	// KV is the key-value space of the handler store, by space (handler)
	// name. Snapshots of builds without it restore to no keys.
	KV map[string]kvSpace `json:"kv"`
}

// lease is one envelope leased to a node.
type lease struct {
	Node  string          `json:"node"`
	List  string          `json:"list"`
	Data  json.RawMessage `json:"data"`
	Since int64           `json:"since"`
}

// deadLetter is an envelope on the dead-letter list.
type deadLetter struct {
	List string          `json:"list"`
	Data json.RawMessage `json:"data"`
	Died int64           `json:"died"`
}

// claim is one claim key.
type claim struct {
	Node    string `json:"node"`
	Expires int64  `json:"expires"`
}

// nodeRec is one node's last heartbeat.
type nodeRec struct {
	Info    queue.NodeInfo `json:"info"`
	Expires int64          `json:"expires"`
}

// session is what the state machine remembers of one client (one Queue
// of one process): the results of its requests that changed the state,
// kept until the client's floor passes them.
type session struct {
	Seen    int64               `json:"seen"`
	Floor   uint64              `json:"floor"`
	Results map[uint64]response `json:"results"`
}

// newState returns the empty state.
func newState() *state {
	s := &state{
		V:        stateVersion,
		Lists:    map[string]*deque{},
		Leases:   map[uint64]*lease{},
		Claims:   map[string]claim{},
		Nodes:    map[string]nodeRec{},
		Sessions: map[string]*session{},
		KV:       map[string]kvSpace{},
	}
	s.fill()
	return s
}

// fill creates what a decoded snapshot may lack.
func (s *state) fill() {
	for _, l := range queue.Lists {
		if s.Lists[l] == nil {
			s.Lists[l] = &deque{}
		}
	}
	if s.Leases == nil {
		s.Leases = map[uint64]*lease{}
	}
	if s.Claims == nil {
		s.Claims = map[string]claim{}
	}
	if s.Nodes == nil {
		s.Nodes = map[string]nodeRec{}
	}
	if s.Sessions == nil {
		s.Sessions = map[string]*session{}
	}
	if s.KV == nil {
		s.KV = map[string]kvSpace{}
	}
}

// applied is one entry being applied: the op, its log index, and what it
// changed that waiters care about.
type applied struct {
	c     *op
	index uint64
	now   int64
	// grew lists the lists that got an envelope.
	grew []string
	// fence is true when the fence moved.
	fence bool
}

// handler applies one op. It returns the result and whether the state
// changed, in which case a retry of the same request must get this
// result instead of running again.
type handler func(s *state, a *applied) (response, bool)

// handlers are the ops that are raft log entries. A new kind of state
// adds its ops here, and its reads to Node.answer.
var handlers = map[string]handler{
	opPush:      (*state).push,
	opPop:       (*state).pop,
	opAck:       (*state).ack,
	opRelease:   (*state).release,
	opRetry:     (*state).retry,
	opRequeue:   (*state).requeue,
	opClaim:     (*state).claim,
	opUnclaim:   (*state).unclaim,
	opHeartbeat: (*state).heartbeat,
	opReap:      (*state).reap,
	opTerm:      (*state).term,
	opAbandon:   (*state).abandon,
	opKVSet:     (*state).kvSet,
	opKVDelete:  (*state).kvDelete,
	opKVIncr:    (*state).kvIncr,
}

// run applies a.c, answering a retried request from its session.
func (s *state) run(a *applied) response {
	h, ok := handlers[a.c.Op]
	if !ok {
		return response{Code: codeBadRequest, Msg: "unknown op " + a.c.Op}
	}
	s.prune(a.now)
	sess := s.session(a.c, a.now)
	if sess != nil && a.c.Seq != 0 {
		if r, ok := sess.Results[a.c.Seq]; ok {
			return s.replay(r)
		}
		if a.c.Seq < sess.Floor {
			return response{Code: codeBadRequest, Msg: "request below its client's floor"}
		}
	}
	res, changed := h(s, a)
	if changed && sess != nil && a.c.Seq != 0 {
		kept := res
		kept.Data = nil
		sess.Results[a.c.Seq] = kept
	}
	return res
}

// session returns the session of c's client, raising its floor; nil for
// an op without a client.
func (s *state) session(c *op, now int64) *session {
	if c.Client == "" {
		return nil
	}
	sess := s.Sessions[c.Client]
	if sess == nil {
		sess = &session{Results: map[uint64]response{}}
		s.Sessions[c.Client] = sess
	}
	sess.Seen = now
	if c.Floor > sess.Floor {
		sess.Floor = c.Floor
		for seq := range sess.Results {
			if seq < c.Floor {
				delete(sess.Results, seq)
			}
		}
	}
	return sess
}

// replay returns a remembered result. A pop's envelope is read from its
// lease, which may have been reaped since: then the pop found nothing.
func (s *state) replay(r response) response {
	if r.Lease == 0 || r.Code != "" {
		return r
	}
	l := s.Leases[r.Lease]
	if l == nil {
		return response{Code: codeEmpty}
	}
	r.Data = l.Data
	return r
}

// prune drops what expired (claims, idle sessions, forgotten nodes,
// key-value entries), once per pruneEvery of leader time (or when
// the clock of a new leader is far behind the last prune).
func (s *state) prune(now int64) {
	every := int64(pruneEvery)
	if now-s.Pruned < every && s.Pruned-now < every {
		return
	}
	s.Pruned = now
	for k, c := range s.Claims {
		if c.Expires <= now {
			delete(s.Claims, k)
		}
	}
	for id, sess := range s.Sessions {
		if now-sess.Seen > int64(sessionTTL) {
			delete(s.Sessions, id)
		}
	}
	for id, n := range s.Nodes {
		if now-n.Expires > int64(nodeForget) {
			delete(s.Nodes, id)
		}
	}
	s.kvPurge(now)
}

// list returns the list named by a.c, or nil for an unknown name.
func (s *state) list(name string) *deque {
	if !slices.Contains(queue.Lists, name) {
		return nil
	}
	return s.Lists[name]
}

// fenced reports whether a fenced write must be refused.
func (s *state) fenced(f uint64) bool { return f != 0 && f != s.Fence }

// push appends an envelope to the back of a list.
func (s *state) push(a *applied) (response, bool) {
	l := s.list(a.c.List)
	switch {
	case l == nil:
		return response{Code: codeUnknownList, List: a.c.List}, false
	case s.fenced(a.c.Fence):
		return response{Code: codeFenced}, false
	case len(a.c.Data) == 0:
		return response{Code: codeBadRequest, Msg: "push without envelope"}, false
	}
	l.PushBack(a.c.Data)
	a.grew = append(a.grew, a.c.List)
	return response{}, true
}

// pop leases the front envelope of a list to a node.
func (s *state) pop(a *applied) (response, bool) {
	l := s.list(a.c.List)
	if l == nil {
		return response{Code: codeUnknownList, List: a.c.List}, false
	}
	data, ok := l.PopFront()
	if !ok {
		return response{Code: codeEmpty}, false
	}
	s.NextLease++
	id := s.NextLease
	s.Leases[id] = &lease{Node: a.c.Node, List: a.c.List, Data: data, Since: a.now}
	return response{Lease: id, List: a.c.List, Data: data}, true
}

// ack ends a lease. OK is false when it was gone already.
func (s *state) ack(a *applied) (response, bool) {
	if s.Leases[a.c.Lease] == nil {
		return response{}, false
	}
	delete(s.Leases, a.c.Lease)
	return response{OK: true}, true
}

// release puts a leased envelope back at the front of its list.
func (s *state) release(a *applied) (response, bool) {
	l := s.Leases[a.c.Lease]
	if l == nil {
		return response{}, false
	}
	s.unlease(a, a.c.Lease)
	return response{OK: true}, true
}

// unlease returns lease id to the front of its list.
func (s *state) unlease(a *applied, id uint64) {
	l := s.Leases[id]
	delete(s.Leases, id)
	s.Lists[l.List].PushFront(l.Data)
	a.grew = append(a.grew, l.List)
}

// retry puts a leased envelope at the back of its list with one more
// attempt, or on the dead-letter list once it failed a.c.Max times.
func (s *state) retry(a *applied) (response, bool) {
	l := s.Leases[a.c.Lease]
	if l == nil {
		return response{}, false
	}
	// Push stores only envelopes it encoded; bytes that do not decode
	// anyway go to the dead letters unchanged rather than loop.
	var e queue.Envelope
	bad := json.Unmarshal(l.Data, &e) != nil
	e.Attempts++
	e.Error = a.c.Cause
	data := l.Data
	if !bad {
		data = marshalOr(e, l.Data)
	}
	delete(s.Leases, a.c.Lease)
	if bad || e.Attempts >= a.c.Max {
		s.Dead = append(s.Dead, deadLetter{List: l.List, Data: data, Died: a.now})
		return response{OK: true, N: 1}, true
	}
	s.Lists[l.List].PushBack(data)
	a.grew = append(a.grew, l.List)
	return response{OK: true}, true
}

// marshalOr encodes e, or returns fallback if it cannot.
func marshalOr(e queue.Envelope, fallback json.RawMessage) json.RawMessage {
	b, err := json.Marshal(e)
	if err != nil {
		return fallback
	}
	return b
}

// requeue moves the dead letters with envelope id a.c.ID (all of them
// for an empty id) to the back of their lists, attempts and error reset.
func (s *state) requeue(a *applied) (response, bool) {
	kept := s.Dead[:0]
	var n int64
	for _, d := range s.Dead {
		var e queue.Envelope
		err := json.Unmarshal(d.Data, &e)
		l := s.list(d.List)
		if err != nil || l == nil || (a.c.ID != "" && e.ID != a.c.ID) {
			kept = append(kept, d)
			continue
		}
		e.Attempts, e.Error = 0, ""
		l.PushBack(marshalOr(e, d.Data))
		a.grew = append(a.grew, d.List)
		n++
	}
	clear(s.Dead[len(kept):])
	s.Dead = kept
	return response{N: n}, n > 0
}

// claim takes a claim key for a.c.TTL unless a live claim holds it.
func (s *state) claim(a *applied) (response, bool) {
	if s.fenced(a.c.Fence) {
		return response{Code: codeFenced}, false
	}
	if c, ok := s.Claims[a.c.Key]; ok && a.now < c.Expires {
		return response{}, false
	}
	s.Claims[a.c.Key] = claim{Node: a.c.Node, Expires: a.now + int64(a.c.TTL)}
	return response{OK: true}, true
}

// unclaim forgets a claim that a.c.Node made.
func (s *state) unclaim(a *applied) (response, bool) {
	c, ok := s.Claims[a.c.Key]
	if !ok || c.Node != a.c.Node {
		return response{}, false
	}
	delete(s.Claims, a.c.Key)
	return response{OK: true}, true
}

// heartbeat records a node as alive for a.c.TTL.
func (s *state) heartbeat(a *applied) (response, bool) {
	if a.c.Info == nil {
		return response{Code: codeBadRequest, Msg: "heartbeat without info"}, false
	}
	info := *a.c.Info
	info.Seen = time.Unix(0, a.now).UTC()
	s.Nodes[info.ID] = nodeRec{Info: info, Expires: a.now + int64(a.c.TTL)}
	return response{}, true
}

// alive reports whether node's heartbeat holds at now.
func (s *state) alive(node string, now int64) bool {
	n, ok := s.Nodes[node]
	return ok && now < n.Expires
}

// reap returns the leases of nodes whose heartbeat lapsed to the front of
// their lists, oldest lease in front.
func (s *state) reap(a *applied) (response, bool) {
	var ids []uint64
	for id, l := range s.Leases {
		if !s.alive(l.Node, a.now) {
			ids = append(ids, id)
		}
	}
	// Pushing the newest to the front first leaves the oldest in front.
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	for _, id := range ids {
		s.unlease(a, id)
	}
	return response{N: int64(len(ids))}, len(ids) > 0
}

// term starts a term: its fence is this entry's log index, which only
// grows, so every earlier term's writes are refused from now on.
func (s *state) term(a *applied) (response, bool) {
	s.Fence = a.index
	a.fence = true
	return response{Fence: a.index}, true
}

// abandon ends requests a client gave up on: a pop among them that leased
// an envelope releases it, and one not applied yet will do nothing when
// it comes.
func (s *state) abandon(a *applied) (response, bool) {
	sess := s.Sessions[a.c.Client]
	if sess == nil {
		return response{}, false
	}
	for _, seq := range a.c.Seqs {
		if r, ok := sess.Results[seq]; ok && r.Lease != 0 && s.Leases[r.Lease] != nil {
			s.unlease(a, r.Lease)
		}
		sess.Results[seq] = response{Code: codeAbandoned}
	}
	return response{}, true
}

// depths returns the length of each list and of the dead letters.
func (s *state) depths() map[string]int64 {
	out := map[string]int64{queue.Dead: int64(len(s.Dead))}
	for _, l := range queue.Lists {
		out[l] = int64(s.Lists[l].Len())
	}
	return out
}

// deadLetters returns up to limit dead letters, oldest first; all of
// them for a limit of zero or less.
func (s *state) deadLetters(limit int) []queue.DeadLetter {
	n := len(s.Dead)
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]queue.DeadLetter, 0, n)
	for _, d := range s.Dead[:n] {
		var e queue.Envelope
		_ = json.Unmarshal(d.Data, &e)
		out = append(out, queue.DeadLetter{List: d.List, Envelope: e,
			Died: time.Unix(0, d.Died).UTC()})
	}
	return out
}

// liveNodes returns the nodes whose heartbeat holds at now, by id.
func (s *state) liveNodes(now int64) []queue.NodeInfo {
	var out []queue.NodeInfo
	for id, n := range s.Nodes {
		if s.alive(id, now) {
			out = append(out, n.Info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
