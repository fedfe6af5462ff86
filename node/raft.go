package node

import (
	"errors"

	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/queue"
)

// raftBackend builds the raft queue and elector.
func (b *builder) raftBackend() (queue.Queue, election.Elector, error) {
	return nil, nil, errors.New("cluster.mode raft: not built yet")
}
