package node

import (
	"github.com/herald-chatops/herald/chat/store/raftstore"
	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/election/raftelect"
	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/raftq"
)

// raftBackend opens this node's raft server and builds the queue, the
// elector and the store on it. Closing runs in reverse: the queue, then
// raft.
func (b *builder) raftBackend() (queue.Queue, election.Elector, error) {
	rn, err := raftq.Open(b.cfg.raftq(), b.log)
	if err != nil {
		return nil, nil, err
	}
	b.closers = append(b.closers, rn.Close)
	q, err := rn.Queue(b.cfg.Queue, b.cfg.Node.ID)
	if err != nil {
		return nil, nil, err
	}
	b.closers = append(b.closers, q.Close)
	if b.kv, err = raftstore.New(rn); err != nil {
		return nil, nil, err
	}
	return q, raftelect.New(rn, 0, b.log), nil
}
