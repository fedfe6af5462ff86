package node

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/chat/builtin"
	"github.com/herald-chatops/herald/election"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

// maxChanges is how many master changes a node remembers for status.
const maxChanges = 20

// recordChange remembers one master change for the status page. n.mu
// must be held.
func (n *Node) recordChange(c heraldhttp.MasterChange) {
	n.changes = append(n.changes, c)
	if len(n.changes) > maxChanges {
		n.changes = n.changes[len(n.changes)-maxChanges:]
	}
}

// roleEnded records the end of this node's own term and why.
func (n *Node) roleEnded(term uint64, reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.recordChange(heraldhttp.MasterChange{Time: time.Now().UTC(), Term: term,
		Master: n.opt.ID, Event: "ended", Reason: reason})
}

// observe records a change of master or term as this node sees it, its
// own terms and other nodes' alike.
func (n *Node) observe(st election.State) {
	n.m.SetMaster(st.Leader, st.Term)
	now := masterSeen{master: st.Master, term: st.Term}
	n.mu.Lock()
	defer n.mu.Unlock()
	if now == n.seen {
		return
	}
	n.seen, n.seenTime = now, time.Now().UTC()
	n.m.MasterChanged(n.seenTime)
	event := "started"
	if st.Master == "" {
		event = "no master"
	}
	n.recordChange(heraldhttp.MasterChange{Time: n.seenTime, Term: st.Term,
		Master: st.Master, Event: event})
}

func (n *Node) setChatUp(up bool) {
	n.m.SetChatConnected(up)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.chatUp = up
}

// Status gathers the node's view of the cluster for GET /status.
func (n *Node) Status(ctx context.Context) (heraldhttp.Status, error) {
	st := n.parts.Elector.State()
	s := heraldhttp.Status{Node: n.opt.ID, Version: n.opt.Version, Master: st.Master,
		Term: st.Term, Started: n.started, IsMaster: st.Leader}
	n.mu.Lock()
	s.ChatConnected = n.chatUp
	s.MasterSince = n.seenTime
	s.Changes = append([]heraldhttp.MasterChange(nil), n.changes...)
	n.mu.Unlock()
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

// Settle waits, up to limit, until nothing waits for a worker or for chat:
// the chat lists are found empty three times in a row, 100ms apart. The
// shell adapter uses it at the end of its input, so that lines piped into
// a node are answered before it stops.
func (n *Node) Settle(ctx context.Context, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); {
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return
		}
		d, err := n.parts.Queue.Depths(ctx)
		if err == nil && d[queue.Inbound]+d[queue.Outbound]+d[queue.Notices] == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}
