package raftq

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// MinSecret is the shortest cluster.secret accepted, in bytes.
const MinSecret = 16

// peerForm is shown in every error about cluster.peers.
const peerForm = "HOST:PORT or ID=HOST:PORT, for example 127.0.0.1:7001 or n1=127.0.0.1:7001"

// ErrPeers is wrapped by every error about the peer list.
var ErrPeers = errors.New("raftq: bad cluster.peers")

// Config holds the raft mode settings of one node. They come from three
// YAML sections; each field's koanf tag is relative to its section, noted
// in its comment, so the node can unmarshal `cluster`, `raft` and `node`
// onto the same Config.
type Config struct {
	// ID is this node's server id (node.id). Empty means: find this
	// node in Peers by Addr, or take the only peer of a one-node list.
	ID string `koanf:"id"`
	// DataDir holds the raft log, stable store and snapshots
	// (node.data_dir). Required; no default.
	DataDir string `koanf:"data_dir"`
	// Peers is the cluster (cluster.peers): entries HOST:PORT, whose id
	// is the address itself, or ID=HOST:PORT. Required; no default.
	Peers []string `koanf:"peers"`
	// Secret authenticates every connection between nodes
	// (cluster.secret), at least MinSecret bytes. Required when Peers
	// has more than one entry. It never travels on the network.
	Secret string `koanf:"secret"`
	// Addr is this node's raft address (raft.addr): it listens there for
	// raft and for requests forwarded to the leader. Empty means the
	// address of this node's entry in Peers.
	Addr string `koanf:"addr"`
	// HeartbeatTimeout is how long a follower goes without hearing from
	// the leader before it starts an election (raft.heartbeat_timeout).
	// Default 1s.
	HeartbeatTimeout time.Duration `koanf:"heartbeat_timeout"`
	// ElectionTimeout is how long a candidate waits for votes
	// (raft.election_timeout). At least HeartbeatTimeout. Default 1s.
	ElectionTimeout time.Duration `koanf:"election_timeout"`
	// LeaderLeaseTimeout is how long a leader keeps its role without
	// hearing from a quorum, and how long the master acts after the last
	// confirmation (raft.leader_lease_timeout). At most
	// HeartbeatTimeout. Default 500ms.
	LeaderLeaseTimeout time.Duration `koanf:"leader_lease_timeout"`
	// SnapshotThreshold is how many new log entries cause a snapshot
	// (raft.snapshot_threshold). Default 8192.
	SnapshotThreshold uint64 `koanf:"snapshot_threshold"`
	// SnapshotInterval is how often the threshold is checked
	// (raft.snapshot_interval). Default 2m.
	SnapshotInterval time.Duration `koanf:"snapshot_interval"`
	// TrailingLogs is how many entries are kept in the log after a
	// snapshot, so a follower only slightly behind catches up without
	// one (raft.trailing_logs). Default 10240.
	TrailingLogs uint64 `koanf:"trailing_logs"`
}

// DefaultConfig returns the documented defaults. ID, DataDir, Peers,
// Secret and Addr have none.
func DefaultConfig() Config {
	return Config{
		HeartbeatTimeout:   time.Second,
		ElectionTimeout:    time.Second,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   2 * time.Minute,
		TrailingLogs:       10240,
	}
}

// minTimeout is the shortest raft timing hashicorp/raft accepts.
const minTimeout = 5 * time.Millisecond

// Validate refuses settings that cannot work, naming the YAML keys. It
// checks everything hashicorp/raft's own validation would refuse, so raft
// never sees a bad value.
func (c Config) Validate() error {
	if err := c.validateTiming(); err != nil {
		return err
	}
	if c.DataDir == "" {
		return errors.New("node.data_dir must be set in raft mode")
	}
	peers, _, err := c.Self()
	if err != nil {
		return err
	}
	return c.validateSecret(len(peers))
}

// validateTiming checks the raft timing against each other.
func (c Config) validateTiming() error {
	switch {
	case c.HeartbeatTimeout < minTimeout:
		return fmt.Errorf("raft.heartbeat_timeout (%v) must be at least %v",
			c.HeartbeatTimeout, minTimeout)
	case c.ElectionTimeout < c.HeartbeatTimeout:
		return fmt.Errorf("raft.election_timeout (%v) must be at least "+
			"raft.heartbeat_timeout (%v)", c.ElectionTimeout, c.HeartbeatTimeout)
	case c.LeaderLeaseTimeout < minTimeout:
		return fmt.Errorf("raft.leader_lease_timeout (%v) must be at least %v",
			c.LeaderLeaseTimeout, minTimeout)
	case c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return fmt.Errorf("raft.leader_lease_timeout (%v) must be at most "+
			"raft.heartbeat_timeout (%v)", c.LeaderLeaseTimeout, c.HeartbeatTimeout)
	case c.SnapshotThreshold < 1:
		return errors.New("raft.snapshot_threshold (0) must be at least 1")
	case c.SnapshotInterval < minTimeout:
		return fmt.Errorf("raft.snapshot_interval (%v) must be at least %v",
			c.SnapshotInterval, minTimeout)
	}
	return nil
}

// validateSecret requires a secret in a cluster of more than one node.
func (c Config) validateSecret(npeers int) error {
	switch {
	case c.Secret == "" && npeers > 1:
		return fmt.Errorf("cluster.secret must be set (at least %d bytes) when "+
			"cluster.peers names %d peers", MinSecret, npeers)
	case c.Secret != "" && len(c.Secret) < MinSecret:
		return fmt.Errorf("cluster.secret (%d bytes) must be at least %d bytes",
			len(c.Secret), MinSecret)
	}
	return nil
}

// ValidateQueue refuses queue settings that a raft failover would break:
// no heartbeat commits while the cluster elects a leader, so a node must
// stay alive (queue.node_ttl) across two election rounds and a heartbeat,
// or its leases would be reaped although it is alive.
func (c Config) ValidateQueue(q queue.Config) error {
	need := 2*(c.HeartbeatTimeout+c.ElectionTimeout) + q.Heartbeat
	if q.NodeTTL < need {
		return fmt.Errorf("queue.node_ttl (%v) must be at least 2 × (raft.heartbeat_timeout "+
			"+ raft.election_timeout) + queue.heartbeat (%v) in raft mode", q.NodeTTL, need)
	}
	return nil
}

// Self parses Peers and finds this node in them by ID or Addr.
func (c Config) Self() ([]Peer, Peer, error) {
	peers, err := ParsePeers(c.Peers)
	if err != nil {
		return nil, Peer{}, err
	}
	self, err := FindSelf(peers, c.ID, c.Addr)
	if err != nil {
		return nil, Peer{}, err
	}
	return peers, self, nil
}

// Peer is one server of the cluster.
type Peer struct {
	// ID is the raft server id: the ID= part, or the address.
	ID string
	// Addr is HOST:PORT where the peer listens for raft.
	Addr string
}

// String returns the peer in the form cluster.peers accepts.
func (p Peer) String() string {
	if p.ID == p.Addr {
		return p.Addr
	}
	return p.ID + "=" + p.Addr
}

// ParsePeers parses cluster.peers. An entry may itself be a comma list,
// as an environment variable gives it. It refuses an empty list, a
// malformed entry and a duplicate id or address.
func ParsePeers(list []string) ([]Peer, error) {
	var peers []Peer
	for _, item := range list {
		for _, entry := range strings.Split(item, ",") {
			p, err := parsePeer(strings.TrimSpace(entry))
			if err != nil {
				return nil, err
			}
			peers = append(peers, p)
		}
	}
	if len(peers) == 0 {
		return nil, fmt.Errorf("%w: the list is empty; want %s", ErrPeers, peerForm)
	}
	if err := checkDuplicates(peers); err != nil {
		return nil, err
	}
	return peers, nil
}

// parsePeer parses one entry.
func parsePeer(entry string) (Peer, error) {
	id, addr, named := strings.Cut(entry, "=")
	if !named {
		id, addr = entry, entry
	}
	if named && strings.TrimSpace(id) == "" {
		return Peer{}, fmt.Errorf("%w: entry %q has an empty id; want %s",
			ErrPeers, entry, peerForm)
	}
	if err := checkHostPort(addr); err != nil {
		return Peer{}, fmt.Errorf("%w: entry %q: %v; want %s", ErrPeers, entry, err, peerForm)
	}
	return Peer{ID: strings.TrimSpace(id), Addr: addr}, nil
}

// checkHostPort accepts HOST:PORT with a non-empty host and a port in
// 1..65535.
func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("not HOST:PORT")
	}
	if host == "" {
		return errors.New("the host is empty")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}

// checkDuplicates refuses two peers with one id or one address.
func checkDuplicates(peers []Peer) error {
	ids := map[string]bool{}
	addrs := map[string]bool{}
	for _, p := range peers {
		if ids[p.ID] {
			return fmt.Errorf("%w: id %q appears twice; want one entry per peer, %s",
				ErrPeers, p.ID, peerForm)
		}
		if addrs[p.Addr] {
			return fmt.Errorf("%w: address %q appears twice; want one entry per peer, %s",
				ErrPeers, p.Addr, peerForm)
		}
		ids[p.ID], addrs[p.Addr] = true, true
	}
	return nil
}

// FindSelf finds this node in peers: by id (node.id) when given, else by
// addr (raft.addr), else the only peer of a one-node list. It refuses a
// list with a duplicate, and one in which the node is not found.
func FindSelf(peers []Peer, id, addr string) (Peer, error) {
	if err := checkDuplicates(peers); err != nil {
		return Peer{}, err
	}
	for _, p := range peers {
		switch {
		case id != "" && p.ID == id && addr != "" && addr != p.Addr:
			return Peer{}, fmt.Errorf("%w: raft.addr %q differs from %q, the address "+
				"cluster.peers gives node.id %q", ErrPeers, addr, p.Addr, id)
		case id != "" && p.ID == id, id == "" && addr != "" && p.Addr == addr:
			return p, nil
		}
	}
	if id == "" && addr == "" && len(peers) == 1 {
		return peers[0], nil
	}
	return Peer{}, notFound(peers, id, addr)
}

// notFound says why FindSelf found nothing.
func notFound(peers []Peer, id, addr string) error {
	var have []string
	for _, p := range peers {
		have = append(have, p.String())
	}
	switch {
	case id != "":
		return fmt.Errorf("%w: node.id %q is not in cluster.peers [%s]; name this node "+
			"there as ID=HOST:PORT", ErrPeers, id, strings.Join(have, ","))
	case addr != "":
		return fmt.Errorf("%w: raft.addr %q is not in cluster.peers [%s]; entries are %s",
			ErrPeers, addr, strings.Join(have, ","), peerForm)
	}
	return fmt.Errorf("%w: cannot tell which of cluster.peers [%s] is this node; "+
		"set node.id or raft.addr", ErrPeers, strings.Join(have, ","))
}
