// Package queue defines the durable lists that carry all work between the
// master and the workers, and the promises every backend keeps:
//
//   - At-least-once: Pop moves an envelope into a lease held by this node
//     (a processing list in Redis). It leaves the lease only by Ack, Retry
//     or Release. A node that dies holding leases stops heartbeating, and
//     Reap, run by any live node, returns what it held to the front of the
//     list it came from. Nothing acknowledged by Push is lost while the
//     backend itself keeps its writes.
//   - Bounded retries: Retry puts an envelope back with its attempt count
//     raised and its error recorded; after MaxAttempts it goes to the
//     dead-letter list instead, so one bad message never blocks a list.
//   - Fencing: writes made with a non-zero Fence succeed only while that
//     fence is the cluster's current term, so a master that lost its term
//     without noticing cannot act.
//
// What a backend does not promise: exactly-once processing. A handler can
// run twice for one envelope (its node died after the handler finished
// but before Ack). Claim is the tool that turns that into effectively-once
// effects within a window; see the node package for how replies use it.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The lists. Chat messages and webhook jobs are separate lanes with
// separate worker pools, so a webhook flood never delays a chat reply.
const (
	// Inbound holds chat messages pushed by the master.
	Inbound = "inbound"
	// Outbound holds answers to people for the master to perform in chat.
	Outbound = "outbound"
	// Notices holds notifications (webhook events) for the master; it
	// performs them only while Outbound is empty, and may coalesce them.
	Notices = "notices"
	// Jobs holds webhook deliveries and other background work.
	Jobs = "jobs"
	// Dead holds envelopes that failed MaxAttempts times.
	Dead = "dead"
)

// Lists are the lists a worker may Pop, in display order.
var Lists = []string{Inbound, Outbound, Notices, Jobs}

// Version is the envelope encoding version written by this build.
const Version = 1

// Errors returned by every backend.
var (
	// ErrEmpty is returned by Pop when nothing arrived within the wait.
	ErrEmpty = errors.New("queue: empty")
	// ErrFenced is returned by a fenced write whose fence is no longer
	// the current term: the caller is not master any more.
	ErrFenced = errors.New("queue: fenced off by a newer term")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("queue: closed")
	// ErrUnknownList is returned for a list name not in Lists.
	ErrUnknownList = errors.New("queue: unknown list")
	// ErrPermanent, wrapped in the cause given to Retry, marks a failure
	// that no retry can mend (a body that cannot be decoded): the
	// envelope goes to the dead-letter list at once.
	ErrPermanent = errors.New("queue: permanent failure")
)

// MaxFor returns how many attempts an envelope failing with cause may
// have: max, or 1 for a permanent failure.
func MaxFor(max int, cause error) int {
	if errors.Is(cause, ErrPermanent) {
		return 1
	}
	return max
}

// Fence is the fencing token of a master's term. The zero Fence marks a
// write that any node may make at any time.
type Fence uint64

// Envelope is what a list holds. It is JSON so that other tools can read
// the lists.
type Envelope struct {
	// V is the encoding version.
	V int `json:"v"`
	// ID is the message's id: the chat service's id, a webhook delivery
	// id, or an action id. Dedupe keys are derived from it.
	ID string `json:"id"`
	// Kind says what Body holds, such as "message", "action" or
	// "github".
	Kind string `json:"kind"`
	// Attempts counts failed tries so far.
	Attempts int `json:"attempts,omitempty"`
	// Error is the last failure, kept for dead letters.
	Error string `json:"error,omitempty"`
	// Enqueued is when the envelope was first pushed.
	Enqueued time.Time `json:"enqueued"`
	// Meta carries small routing facts (a webhook's event name).
	Meta map[string]string `json:"meta,omitempty"`
	// Body is the payload itself. It must be valid JSON: backends store
	// it as it is, without parsing it again. It stays the last field.
	Body json.RawMessage `json:"body"`
}

// Delivery is an envelope leased to this node by Pop.
type Delivery struct {
	// List is where the envelope came from.
	List     string
	Envelope Envelope
	// Lease identifies the lease to the backend (the exact stored bytes in
	// Redis). Callers pass the Delivery back unchanged.
	Lease string
}

// DeadLetter is an envelope on the dead-letter list and the list it
// failed on.
type DeadLetter struct {
	List     string    `json:"list"`
	Envelope Envelope  `json:"envelope"`
	Died     time.Time `json:"died"`
}

// NodeInfo is what a node says about itself in its heartbeat.
type NodeInfo struct {
	ID      string    `json:"id"`
	Addr    string    `json:"addr"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	// Seen is set by the backend to the time of the last heartbeat.
	Seen time.Time `json:"seen"`
	// Master is true while the node holds the master role.
	Master bool   `json:"master"`
	Term   uint64 `json:"term,omitempty"`
}

// ManyClaimer is implemented by backends that claim many keys in one
// round trip, as Claim would one by one. The master uses it when one line
// stands for many deliveries (a summary of coalesced notices).
type ManyClaimer interface {
	ClaimAll(ctx context.Context, keys []string, ttl time.Duration, f Fence) ([]bool, error)
}

// Queue is the durable lists, the cluster membership they need for
// leases, and the claim keys used for deduplication.
type Queue interface {
	// Push appends e to list. With a non-zero fence it fails with
	// ErrFenced unless f is the current term.
	Push(ctx context.Context, list string, e Envelope, f Fence) error
	// Pop waits up to wait for the next envelope on list and leases it to
	// this node. It returns ErrEmpty when nothing came.
	Pop(ctx context.Context, list string, wait time.Duration) (*Delivery, error)
	// Ack ends the lease: the work is done.
	Ack(ctx context.Context, d *Delivery) error
	// Release ends the lease and puts the envelope back at the front of
	// its list unchanged, for work this node must not do after all.
	Release(ctx context.Context, d *Delivery) error
	// Retry ends the lease and puts the envelope back with one more
	// attempt and cause recorded, or on the dead-letter list once it has
	// failed MaxAttempts times, or at once when cause wraps ErrPermanent.
	// dead reports which.
	Retry(ctx context.Context, d *Delivery, cause error) (dead bool, err error)
	// Depths returns the length of each list in Lists and of Dead.
	Depths(ctx context.Context) (map[string]int64, error)
	// DeadLetters returns up to limit dead letters, oldest first.
	DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error)
	// Requeue moves the dead letter with envelope id (all of them when id
	// is empty) back to its list with attempts reset, and returns how
	// many moved.
	Requeue(ctx context.Context, id string) (int, error)
	// Claim returns true the first time key is claimed within ttl and
	// false after. With a non-zero fence it fails with ErrFenced unless f
	// is the current term.
	Claim(ctx context.Context, key string, ttl time.Duration, f Fence) (bool, error)
	// Unclaim forgets a claim, for an effect that did not happen after
	// all (an action claimed but refused by a closed connection), so that
	// a later delivery of the same id can claim it again.
	Unclaim(ctx context.Context, key string) error
	// Heartbeat records this node as alive for ttl.
	Heartbeat(ctx context.Context, info NodeInfo, ttl time.Duration) error
	// Nodes returns the nodes whose heartbeat has not lapsed.
	Nodes(ctx context.Context) ([]NodeInfo, error)
	// Reap returns to their lists the leases held by nodes whose
	// heartbeat lapsed, and reports how many envelopes moved.
	Reap(ctx context.Context) (int, error)
	// Ping checks that the backend can be reached.
	Ping(ctx context.Context) error
	// Close releases connections; leases stay for Reap.
	Close() error
}

// CheckCall refuses a call on a closed queue, with a done context, or for
// an unknown list ("" for calls without one). Backends call it first;
// backend names the package in the error, op the call.
func CheckCall(ctx context.Context, backend, op, list string, closed bool) error {
	if closed {
		return fmt.Errorf("%s: %s: %w", backend, op, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %s: %w", backend, op, err)
	}
	if list != "" && !slices.Contains(Lists, list) {
		return fmt.Errorf("%s: %s: %w %q", backend, op, ErrUnknownList, list)
	}
	return nil
}
