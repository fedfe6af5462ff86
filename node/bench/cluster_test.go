package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/chat/irc/ircdtest"
	"github.com/herald-chatops/herald/node/clustertest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// What every benchmark cluster shares.
const (
	room       = "#ops"
	personNick = "tester"
	botNick    = "herald"
	hookSecret = "bench-webhook-secret-0123456789"
	// ircRate and ircBurst are the bot's chat.irc.rate and burst: far
	// above the default 2 lines/s, so that the bucket does not decide the
	// ping figures. ngircd runs without flood penalties to take them.
	ircRate  = 100
	ircBurst = 20
	// chatConcurrency is every node's worker.chat_concurrency: one
	// handler per core.
	chatConcurrency = 2
	// upWithin bounds the start of a cluster until the bot is in the room.
	upWithin = 30 * time.Second
)

// nodeYAML is a node's configuration; the tests fill in the rest.
const nodeYAML = `
%s
worker: {chat_concurrency: %d, job_concurrency: %d}
chat:
  adapter: irc
  irc:
    server: "%s"
    nick: %s
    channels: ["%s"]
    rate: %d
    burst: %d
http: {addr: "%s"}
log: {level: info}
webhooks: {github: {secret: %q, room: "%s"}}
`

// redisYAML is a node's cluster part in Redis mode.
const redisYAML = `node: {id: %s}
cluster: {namespace: bench}
redis: {addr: "%s"}
%s`

// raftYAML is a node's cluster part in raft mode, without Redis.
const raftYAML = `node: {id: %s, data_dir: "%s"}
cluster: {mode: raft, namespace: bench, peers: [%s], secret: "bench-cluster-secret-0123456789"}
raft: {heartbeat_timeout: %v, election_timeout: %v, leader_lease_timeout: %v}
queue: {node_ttl: %v}`

// clusterSpec is what differs between the clusters of the tests.
type clusterSpec struct {
	nodes          int
	jobConcurrency int
	// election is a YAML line for the election section, "" for the
	// defaults. Redis mode only.
	election string
	// raft, when set, runs the nodes in raft mode with this timing, and
	// no Redis at all.
	raft *raftTiming
}

// cluster is what a benchmark runs on: one Redis (none in raft mode), one
// ngircd without flood penalties, a person in the room and the herald
// nodes.
type cluster struct {
	t      *testing.T
	book   *clustertest.LogBook
	nodes  []*clustertest.Proc
	person *ircdtest.Client
	redis  *redistest.Server
	ircd   *ircdtest.Server
	// marks counts the person's PING tokens (see skipSeen).
	marks int
}

// startCluster starts everything and waits until the bot is in the room
// and every node answers its status.
func startCluster(t *testing.T, spec clusterSpec) *cluster {
	t.Helper()
	ircd := ircdtest.Start(t, ircdtest.Options{Penalties: false})
	c := &cluster{t: t, book: &clustertest.LogBook{}, ircd: ircd}
	clusterPart := c.clusterYAML(spec)

	// The person joins first, so that it sees the bot's JOIN.
	c.person = ircdtest.Dial(t, ircd.Addr, personNick)
	c.person.Join(room)
	for i := range spec.nodes {
		id := fmt.Sprintf("n%d", i+1)
		addr := clustertest.FreeAddr(t)
		yaml := fmt.Sprintf(nodeYAML, clusterPart(id), chatConcurrency,
			spec.jobConcurrency, ircd.Addr, botNick, room, ircRate, ircBurst, addr,
			hookSecret, room)
		c.nodes = append(c.nodes, clustertest.Start(t, c.book, id, addr, yaml))
	}
	if _, ok := c.person.WaitFor(upWithin, isBotJoin); !ok {
		t.Fatalf("the bot did not join %s within %v", room, upWithin)
	}
	c.waitStatus(upWithin)
	return c
}

// clusterYAML returns each node's cluster part: in Redis mode it starts
// the Redis server; in raft mode it picks the peers' raft ports and gives
// every node its own data folder, which a restart keeps.
func (c *cluster) clusterYAML(spec clusterSpec) func(id string) string {
	if spec.raft == nil {
		c.redis = redistest.Start(c.t, redistest.Options{})
		return func(id string) string {
			return fmt.Sprintf(redisYAML, id, c.redis.Addr, spec.election)
		}
	}
	var peers []string
	for i := range spec.nodes {
		peers = append(peers, fmt.Sprintf("%q", fmt.Sprintf("n%d=%s", i+1,
			clustertest.FreeAddr(c.t))))
	}
	dir, rt := c.t.TempDir(), *spec.raft
	return func(id string) string {
		return fmt.Sprintf(raftYAML, id, filepath.Join(dir, id), strings.Join(peers, ", "),
			rt.Heartbeat, rt.Election, rt.Lease, rt.nodeTTL())
	}
}

// waitStatus waits until every running node answers GET /status and
// names a master.
func (c *cluster) waitStatus(within time.Duration) {
	c.t.Helper()
	ok := clustertest.Eventually(within, func() bool {
		for _, p := range c.nodes {
			if !p.Running() {
				continue
			}
			if s, err := p.Status(); err != nil || s.Master == "" {
				return false
			}
		}
		return true
	})
	if !ok {
		c.t.Fatalf("not every node answered its status with a master within %v", within)
	}
}

// master returns the node that the running nodes agree is master.
func (c *cluster) master(within time.Duration) *clustertest.Proc {
	c.t.Helper()
	var m *clustertest.Proc
	clustertest.Eventually(within, func() bool {
		m = c.agreedMaster()
		return m != nil
	})
	if m == nil {
		c.t.Fatalf("the nodes did not agree on a running master within %v", within)
	}
	return m
}

// agreedMaster returns the master every running node names, or nil.
func (c *cluster) agreedMaster() *clustertest.Proc {
	id := ""
	for _, p := range c.nodes {
		if !p.Running() {
			continue
		}
		s, err := p.Status()
		if err != nil || s.Master == "" || (id != "" && s.Master != id) {
			return nil
		}
		id = s.Master
	}
	for _, p := range c.nodes {
		if p.ID == id && p.Running() {
			return p
		}
	}
	return nil
}

// addrs returns the HTTP addresses of the nodes.
func (c *cluster) addrs() []string {
	var out []string
	for _, p := range c.nodes {
		out = append(out, p.HTTP)
	}
	return out
}

// memory returns each node's resident and peak memory in MiB.
func (c *cluster) memory() (rss, peak []float64) {
	for _, p := range c.nodes {
		r, h := procMemMB(p.Pid())
		rss, peak = append(rss, r), append(peak, h)
	}
	return rss, peak
}

// pids names the processes of the run whose CPU time is measured: the
// nodes, Redis, ngircd and this test process (the person and the pings).
func (c *cluster) pids() map[string]int {
	out := map[string]int{"ngircd": c.ircd.Pid(), "bench": os.Getpid()}
	for _, p := range c.nodes {
		out[p.ID] = p.Pid()
	}
	if c.redis == nil {
		return out
	}
	if pid, err := redisPid(c.redis.Addr); err == nil {
		out["redis"] = pid
	} else {
		c.t.Logf("redis cpu not measured: %v", err)
	}
	return out
}

// isBotJoin matches the bot (under any of its nicks) joining the room.
func isBotJoin(m irc.Message) bool {
	return m.Command == "JOIN" && strings.HasPrefix(m.Nick(), botNick) &&
		strings.EqualFold(m.Param(0), room)
}

// isBotQuit matches the bot leaving the server.
func isBotQuit(m irc.Message) bool {
	return m.Command == "QUIT" && strings.HasPrefix(m.Nick(), botNick)
}
