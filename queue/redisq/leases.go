package redisq

import "sync"

// leases remembers which entries of this node's processing lists this
// Queue handed out, so that Reap can find entries that nobody works on
// although this node is alive: a BLMOVE whose reply was lost with its
// connection, or the leases of an earlier process with the same node id.
//
// An entry this Queue does not hold may still belong to a Pop whose reply
// is on its way. So an entry is only called an orphan when it was already
// unheld at the previous scan and every Pop running then has finished
// since: had one of them moved it, it would be held by now.
//
// Entries are matched by their bytes and counted, since a list may hold
// two equal copies. A mistake in this matching can at worst deliver an
// entry twice, never lose one.
type leases struct {
	mu    sync.Mutex
	seq   uint64
	lists map[string]*leaseList
}

// leaseList is the bookkeeping of one processing list.
type leaseList struct {
	held     map[string]int
	inflight map[uint64]struct{}
	// suspects were unheld at the last scan, when Pops up to suspectSeq
	// had started.
	suspects   map[string]int
	suspectSeq uint64
	scanned    bool
}

func newLeases() *leases {
	return &leases{lists: make(map[string]*leaseList)}
}

// list returns the bookkeeping of list, creating it. Callers hold mu.
func (l *leases) list(name string) *leaseList {
	ll := l.lists[name]
	if ll == nil {
		ll = &leaseList{held: map[string]int{}, inflight: map[uint64]struct{}{}}
		l.lists[name] = ll
	}
	return ll
}

// begin records that a Pop on list is about to move an entry, and returns
// its token for end.
func (l *leases) begin(list string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	l.list(list).inflight[l.seq] = struct{}{}
	return l.seq
}

// end records that Pop tok finished, holding lease when got is true.
func (l *leases) end(list string, tok uint64, lease string, got bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ll := l.list(list)
	delete(ll.inflight, tok)
	if !got {
		return
	}
	ll.held[lease]++
	// The suspect was most likely this very Pop's entry in flight.
	if ll.suspects[lease] > 0 {
		ll.suspects[lease]--
	}
}

// drop forgets a lease that Ack, Release or Retry ended. It is called
// whether or not the server confirmed, so a lease whose end failed is
// treated as abandoned and later returned to its list.
func (l *leases) drop(list, lease string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ll := l.list(list)
	if ll.held[lease] > 1 {
		ll.held[lease]--
		return
	}
	delete(ll.held, lease)
}

// orphans takes the entries found on list's processing list by a scan
// that has just returned, and returns the ones that are orphans by now.
func (l *leases) orphans(list string, present map[string]int) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	ll := l.list(list)
	settled := ll.scanned && ll.oldestInflight() > ll.suspectSeq
	out := map[string]int{}
	next := map[string]int{}
	for item, n := range present {
		unheld := n - ll.held[item]
		if unheld <= 0 {
			continue
		}
		if settled {
			if m := min(unheld, ll.suspects[item]); m > 0 {
				out[item] = m
				unheld -= m
			}
		}
		if unheld > 0 {
			next[item] = unheld
		}
	}
	ll.suspects, ll.suspectSeq, ll.scanned = next, l.seq, true
	return out
}

// oldestInflight returns the token of the oldest running Pop, or the
// largest token when none runs. Callers hold mu.
func (ll *leaseList) oldestInflight() uint64 {
	oldest := ^uint64(0)
	for tok := range ll.inflight {
		oldest = min(oldest, tok)
	}
	return oldest
}
