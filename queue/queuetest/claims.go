package queuetest

import (
	"errors"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// claim: the first claim of a key wins on every node, until it expires.
func (s suite) claim(t *testing.T) {
	a, b := s.open(t, "a"), s.open(t, "b")
	const ttl = 300 * time.Millisecond
	wantClaim(t, a, "k", ttl, true)
	wantClaim(t, a, "k", ttl, false)
	wantClaim(t, b, "k", ttl, false)
	wantClaim(t, b, "other", ttl, true)
	eventually(t, 5*time.Second, "claim k again after its ttl", func() bool {
		ok, err := b.Claim(ctxFor(t), "k", time.Minute, 0)
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		return ok
	})
	wantClaim(t, a, "k", ttl, false)
}

// wantClaim checks the result of an unfenced Claim.
func wantClaim(t *testing.T, q queue.Queue, key string, ttl time.Duration, want bool) {
	t.Helper()
	ok, err := q.Claim(ctxFor(t), key, ttl, 0)
	if err != nil || ok != want {
		t.Fatalf("claim %q = %v, %v; want %v", key, ok, err, want)
	}
}

// unclaim: a forgotten claim can be claimed again at once.
func (s suite) unclaim(t *testing.T) {
	q := s.open(t, "a")
	wantClaim(t, q, "k", time.Minute, true)
	if err := q.Unclaim(ctxFor(t), "k"); err != nil {
		t.Fatalf("unclaim: %v", err)
	}
	wantClaim(t, q, "k", time.Minute, true)
	if err := q.Unclaim(ctxFor(t), "never claimed"); err != nil {
		t.Fatalf("unclaim of a free key: %v", err)
	}
}

// fenced: fenced writes succeed only with the current term; unfenced
// writes always do.
func (s suite) fenced(t *testing.T) {
	q := s.open(t, "a")
	s.setTerm(t, 5)
	wantFenced(t, q, 5, nil)
	s.setTerm(t, 6)
	wantFenced(t, q, 5, queue.ErrFenced)
	wantFenced(t, q, 7, queue.ErrFenced)
	wantFenced(t, q, 6, nil)
	push(t, q, queue.Outbound, "unfenced")
	wantDepths(t, q, map[string]int64{queue.Outbound: 3})
}

// wantFenced pushes and claims with fence f and checks both results.
func wantFenced(t *testing.T, q queue.Queue, f queue.Fence, want error) {
	t.Helper()
	err := q.Push(ctxFor(t), queue.Outbound, envelope("fenced"), f)
	if !errors.Is(err, want) {
		t.Fatalf("push with fence %d: %v, want %v", f, err, want)
	}
	ok, err := q.Claim(ctxFor(t), "fenced-claim", time.Minute, f)
	if !errors.Is(err, want) {
		t.Fatalf("claim with fence %d: %v, want %v", f, err, want)
	}
	if want != nil && ok {
		t.Fatalf("claim with fence %d: claimed although fenced off", f)
	}
}
