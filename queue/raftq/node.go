package raftq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/herald-chatops/herald/queue"
)

// Tuning that is not configuration.
const (
	// ioTimeout bounds one raft RPC, and a request of a Client.
	ioTimeout = 10 * time.Second
	// enqueueTimeout bounds handing an entry to raft on the leader.
	enqueueTimeout = 5 * time.Second
	// snapshotsKept is how many snapshots stay in data_dir.
	snapshotsKept = 2
	// logCache is how many recent entries are kept in memory.
	logCache = 512
)

// ErrClosed is returned by a Node's calls after Close.
var ErrClosed = queue.ErrClosed

// Node is this process's member of the raft cluster: the raft instance
// with its stores under node.data_dir, the listener on raft.addr, and
// the state machine that holds the lists. Queues and the elector are
// views of it. All methods are safe for concurrent use.
type Node struct {
	cfg    Config
	self   Peer
	log    *slog.Logger
	raft   *raft.Raft
	fsm    *fsm
	trans  *raft.NetworkTransport
	mux    *mux
	store  *raftboltdb.BoltStore
	fwd    *forwarder
	obs    *raft.Observer
	obsCh  chan raft.Observation
	change *signal

	stop context.CancelFunc
	done chan struct{}
	// raftDone is closed once raft has shut down: a future still
	// unanswered then never will be.
	raftDone chan struct{}
	closed   atomic.Bool
	// readTerm is the raft term in which this node, as leader, last
	// passed a barrier; reads need one per term.
	readTerm atomic.Uint64
	once     sync.Once
	wg       sync.WaitGroup
}

// Open starts this node's raft member from cfg. On a node with no state
// yet it bootstraps the cluster from cluster.peers, which every node may
// do on every start: a node that has state, or learns it from a leader,
// ignores the bootstrap. A node restarted with its data_dir rejoins with
// its log. A nil log means slog.Default().
func Open(cfg Config, log *slog.Logger) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	peers, self, _ := cfg.Self()
	if log == nil {
		log = slog.Default()
	}
	n := &Node{cfg: cfg, self: self, log: log.With("node", self.ID),
		fsm: newFSM(), change: newSignal(), done: make(chan struct{}),
		raftDone: make(chan struct{})}
	if err := n.start(peers); err != nil {
		n.closeAll()
		return nil, fmt.Errorf("raftq: open: %w", err)
	}
	return n, nil
}

// start opens the stores and the listener, starts raft and bootstraps.
func (n *Node) start(peers []Peer) error {
	hcl := newHclog(n.log, &n.closed)
	snaps, err := n.openStores(hcl)
	if err != nil {
		return err
	}

	// One listener for raft and forwarded requests (see mux.go).
	bind := n.cfg.Addr
	if bind == "" {
		bind = n.self.Addr
	}
	if n.mux, err = newMux(bind, n.self.Addr, []byte(n.cfg.Secret), n.log); err != nil {
		return fmt.Errorf("listen on raft.addr: %w", err)
	}
	n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: raftLayer{n.mux}, MaxPool: 3, Timeout: ioTimeout, Logger: hcl})
	n.fwd = newForwarder(n.forwardTimeout(), func(ctx context.Context,
		addr string) (net.Conn, error) {
		return n.mux.dial(ctx, addr, kindRPC)
	})

	cache, err := raft.NewLogCache(logCache, n.store)
	if err != nil {
		return err
	}
	n.raft, err = raft.NewRaft(n.raftConfig(hcl), n.fsm, cache, n.store, snaps, n.trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.observe()
	n.serve()
	return n.bootstrap(peers)
}

// openStores opens the log and stable store and the snapshot store
// under data_dir.
func (n *Node) openStores(hcl *hclogger) (raft.SnapshotStore, error) {
	if err := os.MkdirAll(n.cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	store, err := raftboltdb.New(raftboltdb.Options{
		Path: filepath.Join(n.cfg.DataDir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("log store: %w", err)
	}
	n.store = store
	snaps, err := raft.NewFileSnapshotStoreWithLogger(n.cfg.DataDir, snapshotsKept, hcl)
	if err != nil {
		return nil, fmt.Errorf("snapshot store: %w", err)
	}
	return snaps, nil
}

// forwardTimeout is how long a follower waits for the leader's answer
// beyond a request's own wait before it tries again: a leader that is
// reachable answers within its lease (it steps down after that without a
// quorum), so twice the election round is ample, at least a second.
func (n *Node) forwardTimeout() time.Duration {
	return max(2*(n.cfg.HeartbeatTimeout+n.cfg.ElectionTimeout), time.Second)
}

// raftConfig turns Config into raft's.
func (n *Node) raftConfig(hcl *hclogger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.self.ID)
	rc.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	rc.ElectionTimeout = n.cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = n.cfg.LeaderLeaseTimeout
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.SnapshotInterval = n.cfg.SnapshotInterval
	rc.TrailingLogs = n.cfg.TrailingLogs
	// BatchApplyCh stays off: with it, an entry handed to raft just
	// before Shutdown can sit in the buffer with its future never
	// answered, and its caller would wait forever.
	rc.BatchApplyCh = false
	rc.NoLegacyTelemetry = true
	rc.Logger = hcl
	return rc
}

// bootstrap proposes the configured peers as the first configuration.
func (n *Node) bootstrap(peers []Peer) error {
	var servers []raft.Server
	for _, p := range peers {
		servers = append(servers, raft.Server{Suffrage: raft.Voter,
			ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
	}
	err := n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	switch {
	case errors.Is(err, raft.ErrCantBootstrap):
		n.log.Info("raft started with existing state", "addr", n.self.Addr)
		return nil
	case err != nil:
		return fmt.Errorf("bootstrap: %w", err)
	}
	n.log.Info("raft bootstrapped", "addr", n.self.Addr, "peers", len(peers))
	return nil
}

// observe follows raft's leadership changes with an observer that never
// blocks raft, and fires change for each, and for each new fence.
func (n *Node) observe() {
	n.fsm.onFence = n.change.fire
	n.obsCh = make(chan raft.Observation, 16)
	n.obs = raft.NewObserver(n.obsCh, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.LeaderObservation, raft.RaftState:
			return true
		}
		return false
	})
	n.raft.RegisterObserver(n.obs)
	n.wg.Add(1)
	go n.observeLoop()
}

// observeLoop turns observations into change signals. A dropped
// observation is harmless: readers look at raft's current state.
func (n *Node) observeLoop() {
	defer n.wg.Done()
	var leader raft.ServerID
	for {
		select {
		case <-n.done:
			return
		case o := <-n.obsCh:
			if lo, ok := o.Data.(raft.LeaderObservation); ok && lo.LeaderID != leader {
				leader = lo.LeaderID
				n.logLeader(lo)
			}
			n.change.fire()
		}
	}
}

// logLeader logs a change of raft leader once.
func (n *Node) logLeader(lo raft.LeaderObservation) {
	if lo.LeaderID == "" {
		n.log.Info("raft leader lost", "term", n.raft.CurrentTerm())
		return
	}
	n.log.Info("raft leader elected", "leader", string(lo.LeaderID),
		"term", n.raft.CurrentTerm())
}

// serve starts answering forwarded requests.
func (n *Node) serve() {
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	n.mux.start(func(c net.Conn) { n.serveConn(ctx, c) })
}

// Close stops this node abruptly, as a crash would look to the others
// except that the data is flushed: raft stops without handing over
// leadership, every connection closes, and the stores close. Queues of
// the node return ErrClosed from then on. Hand over first with
// TransferLeadership (the elector does on Run's return) for a graceful
// stop.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() { err = n.closeAll() })
	return err
}

// closeAll stops whatever start got to.
func (n *Node) closeAll() error {
	n.closed.Store(true)
	if n.stop != nil {
		n.stop()
	}
	var errs []error
	if n.obs != nil {
		n.raft.DeregisterObserver(n.obs)
	}
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	close(n.raftDone)
	if n.trans != nil {
		errs = append(errs, n.trans.Close())
	}
	if n.mux != nil {
		n.mux.close()
	}
	close(n.done)
	n.wg.Wait()
	if n.fwd != nil {
		n.fwd.close()
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	n.change.fire()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("raftq: close: %w", err)
	}
	return nil
}

// ID returns this node's server id.
func (n *Node) ID() string { return n.self.ID }

// Addr returns this node's raft address as the peers know it.
func (n *Node) Addr() string { return n.self.Addr }

// Config returns the configuration the node runs with.
func (n *Node) Config() Config { return n.cfg }

// IsLeader reports whether this node is the raft leader now.
func (n *Node) IsLeader() bool {
	return !n.closed.Load() && n.raft.State() == raft.Leader
}

// Leader returns the id and address of the raft leader as this node
// knows it, both empty while there is none.
func (n *Node) Leader() (id, addr string) {
	if n.closed.Load() {
		return "", ""
	}
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// Changed returns a channel closed at the next change of raft leader or
// state, or of the fence. Take it before reading the state it announces.
func (n *Node) Changed() <-chan struct{} { return n.change.wait() }

// Fence returns the current term's fencing token as this node's state
// machine has it: zero before the first term.
func (n *Node) Fence() queue.Fence { return queue.Fence(n.fsm.currentFence()) }

// Raft returns the raft instance, for status pages and tests. Changing
// the cluster through it bypasses the checks of this package.
func (n *Node) Raft() *raft.Raft { return n.raft }

// wait returns the result of a raft future, or ErrRaftShutdown once raft
// has shut down without answering it. Raft can leave a future unanswered
// at shutdown (one that was queued for its state machine loop), and a
// caller of Error would then wait forever. The goroutine that waits for
// such a future stays blocked; one per stranded future, at shutdown only.
func (n *Node) wait(f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-n.raftDone:
		select {
		case err := <-done:
			return err
		default:
			return raft.ErrRaftShutdown
		}
	}
}
