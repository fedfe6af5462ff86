// Package node runs one Herald node: the worker role on every node and the
// master role on the node the election picked.
//
// Every node consumes the inbound (chat) and jobs (webhook) lists in two
// separate pools and pushes the replies onto the outbound list. The master
// also holds the one chat connection: it pushes what it hears onto inbound
// and performs what it pops from outbound.
//
// What the node promises on top of the queue and the election:
//   - The master acts only while its lease is valid and its term is
//     current: before each action performed in chat it checks the lease,
//     and it claims the action's id with its term as fence, so a paused
//     master that resumes after a newer term began cannot send.
//   - Effectively-once replies: an action's id is derived from the id of
//     the message that caused it; the master performs an id at most once
//     within queue.dedupe_window. A message handled twice (its node died
//     after replying but before acknowledging) thus gives one reply.
//   - Graceful stop: the master closes chat first, then releases its lease,
//     so another node takes over at once; workers finish what they hold.
//
// What it does not promise: a chat message that reached a master which
// died before pushing it onto inbound is lost with that master (the chat
// service does not redeliver it); the window is the time of one push.
package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/election"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/metrics"
	"github.com/herald-chatops/herald/queue"
)

// JobHandler turns one job from the jobs list into chat actions. It is
// called on any node; the kind of the job's envelope picks the handler.
type JobHandler func(ctx context.Context, e queue.Envelope) ([]chat.Action, error)

// Options are the settings of a node that are not its parts.
type Options struct {
	// ID names the node in the cluster.
	ID string
	// Backend names the queue backend in metrics: "redis" or "raft".
	Backend string
	// Version is the build's version, shown in status and info.
	Version string
	// Addr is this node's HTTP address, shown to other nodes.
	Addr string
	// ChatConcurrency and JobConcurrency size the two worker pools.
	ChatConcurrency int
	JobConcurrency  int
	// Queue holds heartbeat, TTL and dedupe settings.
	Queue queue.Config
	// MaxLines is the most lines one action may put in chat; longer
	// answers are cut with a note. Zero means no limit.
	MaxLines int
	// DrainTimeout bounds how long a stopping node waits for handlers.
	DrainTimeout time.Duration
}

// Parts are what a node runs on, built from the configuration.
type Parts struct {
	Queue   queue.Queue
	Elector election.Elector
	// NewAdapter returns the chat adapter for a new term; nil means the
	// cluster has no chat (webhooks only).
	NewAdapter func() (chat.Adapter, error)
	Router     *chat.Router
	// Kit holds the handlers' events, receive hooks and timers; nil
	// means none.
	Kit *handler.Kit
	// Metrics records what the node does; nil records nothing.
	Metrics *metrics.Metrics
	// Jobs maps an envelope kind (a webhook source name) to its handler.
	Jobs map[string]JobHandler
	Log  *slog.Logger
}

// Node is one running Herald node.
type Node struct {
	opt     Options
	parts   Parts
	log     *slog.Logger
	started time.Time

	m       *metrics.Metrics
	beatNow chan struct{} // asks for a heartbeat now: the role changed

	mu       sync.Mutex
	changes  []heraldhttp.MasterChange
	chatUp   bool
	adapter  string     // the name of the adapter of the last term
	seen     masterSeen // the master as this node last saw it
	seenTime time.Time
}

// masterSeen is who was master in which term.
type masterSeen struct {
	master string
	term   uint64
}

// New returns a node; Run starts it.
func New(opt Options, parts Parts) *Node {
	log := parts.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("node", opt.ID)
	return &Node{opt: opt, parts: parts, log: log, started: time.Now(), m: parts.Metrics,
		beatNow: make(chan struct{}, 1)}
}

// Run runs the node until ctx ends, then stops it gracefully: the master
// role first (chat closed), then the election (lease released), then the
// workers (in-flight handlers finish within the drain timeout).
func (n *Node) Run(ctx context.Context) error {
	elCtx, stopElection := context.WithCancel(context.WithoutCancel(ctx))
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	beatCtx, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	var elWG, workWG, beatWG sync.WaitGroup

	// Event hooks outlive everything else, so that they hear it all.
	stopEvents := n.startEvents()
	defer stopEvents()

	// The election runs on its own context so that it outlives the
	// master role during a graceful stop and releases the lease last.
	elWG.Add(1)
	go func() {
		defer elWG.Done()
		if err := n.parts.Elector.Run(elCtx); err != nil {
			n.log.Error("election stopped", "err", err)
		}
	}()

	// Workers stop popping when ctx ends and finish what they hold;
	// workCtx is cancelled only after the drain timeout. The heartbeat
	// outlives them, so that no reaper takes back what they still hold.
	n.startWorkers(ctx, workCtx, &workWG)
	n.emit(events.WorkerStarted, 0, "")
	beatWG.Add(1)
	go func() { defer beatWG.Done(); n.heartbeat(beatCtx) }()
	last := n.supervise(ctx)

	stopElection()
	elWG.Wait()
	last.waitPumps()
	n.drain(&workWG, stopWork)
	stopBeat()
	beatWG.Wait()
	return nil
}

// backend names the queue backend for metrics.
func (n *Node) backend() string { return n.opt.Backend }

// drain waits for the workers, cancelling their handlers after the drain
// timeout.
func (n *Node) drain(wg *sync.WaitGroup, stop context.CancelFunc) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(n.opt.DrainTimeout):
		n.log.Warn("drain timeout: cancelling handlers", "timeout", n.opt.DrainTimeout)
		stop()
		<-done
	}
	stop()
}
