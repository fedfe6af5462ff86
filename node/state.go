package node

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/chat/builtin"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

// maxChanges is how many master changes a node remembers for status.
const maxChanges = 20

func (n *Node) recordChange(term uint64, event, reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.changes = append(n.changes, MasterChange{Time: time.Now().UTC(), Term: term,
		Master: n.opt.ID, Event: event, Reason: reason})
	if len(n.changes) > maxChanges {
		n.changes = n.changes[len(n.changes)-maxChanges:]
	}
}

func (n *Node) setChatUp(up bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.chatUp = up
}

// Status gathers the node's view of the cluster for GET /status.
func (n *Node) Status(ctx context.Context) (heraldhttp.Status, error) {
	st := n.parts.Elector.State()
	s := heraldhttp.Status{Node: n.opt.ID, Version: n.opt.Version, Master: st.Master,
		Term: st.Term}
	var err error
	if s.Nodes, err = n.parts.Queue.Nodes(ctx); err != nil {
		return s, fmt.Errorf("status: nodes: %w", err)
	}
	if s.Queues, err = n.parts.Queue.Depths(ctx); err != nil {
		return s, fmt.Errorf("status: queues: %w", err)
	}
	s.DeadLetters = s.Queues[queue.Dead]
	return s, nil
}

// Info is the status in the form the info command shows.
func (n *Node) Info(ctx context.Context) (builtin.Info, error) {
	st := n.parts.Elector.State()
	depths, err := n.parts.Queue.Depths(ctx)
	if err != nil {
		return builtin.Info{}, err
	}
	return builtin.Info{Version: n.opt.Version, Node: n.opt.ID, Master: st.Master,
		Term: st.Term, Queues: depths}, nil
}
