package raftq

import "context"

// A Queue is one client of the state machine: every request that changes
// state carries the queue's client id and a sequence number, and the
// lowest number still in flight (the floor), below which the state
// machine may forget results. A Pop the caller gave up on stays in flight
// until the leader has been told (abandon), so its result is not
// forgotten before the envelope it may have leased is put back.

// begin allocates a sequence number and returns it with the floor.
func (q *Queue) begin() (seq, floor uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	q.inflight[q.seq] = struct{}{}
	return q.seq, q.floorLocked()
}

// floorLocked returns the lowest sequence number in flight. Callers hold
// mu.
func (q *Queue) floorLocked() uint64 {
	floor := q.seq + 1
	for s := range q.inflight {
		floor = min(floor, s)
	}
	return floor
}

// end marks requests finished.
func (q *Queue) end(seqs ...uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, s := range seqs {
		delete(q.inflight, s)
	}
}

// abandon hands seq to the abandon loop.
func (q *Queue) abandon(seq uint64) {
	q.mu.Lock()
	q.abandoned = append(q.abandoned, seq)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// abandonLoop tells the leader about abandoned pops until ctx ends. What
// it could not tell before the queue closed stays leased until Reap finds
// the node gone.
func (q *Queue) abandonLoop(ctx context.Context) {
	defer q.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		q.mu.Lock()
		seqs := q.abandoned
		q.abandoned = nil
		floor := q.floorLocked()
		q.mu.Unlock()
		if len(seqs) == 0 {
			continue
		}
		c := &op{V: cmdVersion, Op: opAbandon, Client: q.client, Floor: floor, Seqs: seqs}
		if _, err := q.n.call(ctx, c); err != nil {
			return
		}
		q.end(seqs...)
	}
}
