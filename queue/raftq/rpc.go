package raftq

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// The ops. Those with a handler in fsm.go are raft log entries; the
// others are answered by the node that receives them.
const (
	opPush      = "push"
	opPop       = "pop"
	opAck       = "ack"
	opRelease   = "release"
	opRetry     = "retry"
	opRequeue   = "requeue"
	opClaim     = "claim"
	opUnclaim   = "unclaim"
	opHeartbeat = "heartbeat"
	opReap      = "reap"
	opTerm      = "term"
	opAbandon   = "abandon"
	opKVSet     = "kv_set"
	opKVDelete  = "kv_delete"
	opKVIncr    = "kv_incr"

	opPing     = "ping"
	opDepths   = "depths"
	opDead     = "dead"
	opNodes    = "nodes"
	opMembers  = "members"
	opAddVoter = "add_voter"
	opRemove   = "remove_server"
	opKVGet    = "kv_get"
	opKVKeys   = "kv_keys"
)

// cmdVersion is the encoding version of log entries and requests.
const cmdVersion = 1

// op is one request. The same value travels from a follower to the leader
// and, for the ops that change state, is the raft log entry the leader
// applies, with Time set to the leader's clock. Every replica applies it
// with that time, never its own, so all of them agree on expiries.
type op struct {
	V    int    `json:"v"`
	Op   string `json:"op"`
	Time int64  `json:"time,omitempty"`
	// Client, Seq and Floor make a retried request idempotent: the state
	// machine remembers the result of (Client, Seq) until the client says,
	// with Floor, that it has no request below Floor in flight.
	Client string          `json:"client,omitempty"`
	Seq    uint64          `json:"seq,omitempty"`
	Floor  uint64          `json:"floor,omitempty"`
	Node   string          `json:"node,omitempty"`
	List   string          `json:"list,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	Fence  uint64          `json:"fence,omitempty"`
	Lease  uint64          `json:"lease,omitempty"`
	Cause  string          `json:"cause,omitempty"`
	Max    int             `json:"max,omitempty"`
	Key    string          `json:"key,omitempty"`
	TTL    time.Duration   `json:"ttl,omitempty"`
	Wait   time.Duration   `json:"wait,omitempty"`
	Limit  int             `json:"limit,omitempty"`
	ID     string          `json:"id,omitempty"`
	Addr   string          `json:"addr,omitempty"`
	Info   *queue.NodeInfo `json:"info,omitempty"`
	Seqs   []uint64        `json:"seqs,omitempty"`
	// Retry marks a request sent again after an attempt whose outcome is
	// unknown: a pop must then go through the log even on an empty list,
	// to find the result of the first attempt if it was applied.
	Retry bool `json:"retry,omitempty"`
	// Space, Name, Value and By are a key-value op's space (one per
	// handler), key (or prefix, for kv_keys), value and increment. Name
	// and Value keep bytes that are not UTF-8.
	Space string `json:"space,omitempty"`
	Name  text   `json:"name,omitempty"`
	Value text   `json:"value,omitempty"`
	By    int64  `json:"by,omitempty"`

	// deadline, when set, bounds a Pop's long poll across retries.
	deadline time.Time
}

// The result codes of a response. The empty code is success.
const (
	codeEmpty       = "empty"
	codeFenced      = "fenced"
	codeUnknownList = "unknown_list"
	codeNotLeader   = "not_leader"
	codeBadRequest  = "bad_request"
	codeAbandoned   = "abandoned"
	codeError       = "error"
	codeNoKey       = "no_key"
	codeNotInteger  = "not_integer"
)

// response is the answer to an op, and the result of applying one.
type response struct {
	Code    string             `json:"code,omitempty"`
	Msg     string             `json:"msg,omitempty"`
	Leader  string             `json:"leader,omitempty"`
	Lease   uint64             `json:"lease,omitempty"`
	List    string             `json:"list,omitempty"`
	Data    json.RawMessage    `json:"data,omitempty"`
	OK      bool               `json:"ok,omitempty"`
	N       int64              `json:"n,omitempty"`
	Fence   uint64             `json:"fence,omitempty"`
	Depths  map[string]int64   `json:"depths,omitempty"`
	Dead    []queue.DeadLetter `json:"dead,omitempty"`
	Nodes   []queue.NodeInfo   `json:"nodes,omitempty"`
	Members []Member           `json:"members,omitempty"`
	// Value and Names answer kv_get and kv_keys.
	Value text   `json:"value,omitempty"`
	Names []text `json:"names,omitempty"`
}

// Errors of the forwarding protocol.
var (
	// ErrBadRequest is returned for a request the leader refused as
	// malformed; it is a bug in the sender, not a passing failure.
	ErrBadRequest = errors.New("raftq: bad request")
	// ErrNotLeader is returned by StartTerm on a node that is not the
	// raft leader.
	ErrNotLeader = errors.New("raftq: not the raft leader")
	// ErrNoKey is returned by KV.Get for a key that is missing or has
	// expired.
	ErrNoKey = errors.New("raftq: no such key")
	// ErrNotInteger is returned by KV.Incr when the value is not an
	// integer in the decimal form Incr writes, or the sum would overflow
	// an int64. The value is left as it was.
	ErrNotInteger = errors.New("raftq: value is not an integer or would overflow")
	// errRemote wraps a failure the leader reported in words.
	errRemote = errors.New("raftq: leader")
)

// err turns a failed response into its error; nil for success.
func (r response) err() error {
	switch r.Code {
	case "":
		return nil
	case codeEmpty, codeAbandoned:
		return queue.ErrEmpty
	case codeFenced:
		return queue.ErrFenced
	case codeUnknownList:
		return fmt.Errorf("%w %q", queue.ErrUnknownList, r.List)
	case codeNotLeader:
		return ErrNotLeader
	case codeBadRequest:
		return fmt.Errorf("%w: %s", ErrBadRequest, r.Msg)
	case codeNoKey:
		return ErrNoKey
	case codeNotInteger:
		return ErrNotInteger
	}
	return fmt.Errorf("%w: %s", errRemote, r.Msg)
}

// maxFrame bounds one message on a forwarding connection: a webhook body
// is at most a few MiB, and a dead-letter listing a few of those.
const maxFrame = 64 << 20

// writeFrame writes v as a length-prefixed JSON frame in one write.
func writeFrame(w io.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(body) > maxFrame {
		return fmt.Errorf("%w: message of %d bytes exceeds %d", ErrBadRequest, len(body), maxFrame)
	}
	buf := make([]byte, 4, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	_, err = w.Write(append(buf, body...))
	return err
}

// readFrame reads one frame into v.
func readFrame(r io.Reader, v any) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return fmt.Errorf("frame of %d bytes exceeds %d", n, maxFrame)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}
