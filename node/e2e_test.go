package node_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/chat/irc/ircdtest"
	"github.com/herald-chatops/herald/node/clustertest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// e2e is a cluster of three herald processes on one Redis and one real
// IRC server, and a person in #ops.
type e2e struct {
	t      *testing.T
	book   *clustertest.LogBook
	nodes  map[string]*clustertest.Proc
	client *ircdtest.Client
	order  []string
	mode   string
	redis  *redistest.Server // nil in raft mode
	peers  []string          // ID=HOST:PORT in raft mode
	// ircAddr is the IRC server's address, for more people.
	ircAddr string
}

// The cluster part of a node's configuration, by mode. Raft mode has no
// Redis: the lists and the election live in the nodes themselves.
const (
	e2eRedisYAML = `
node: {id: %s}
cluster: {namespace: e2e}
redis: {addr: "%s"}
election: {ttl: 2s, renew: 500ms, retry: 100ms}
queue: {heartbeat: 200ms, node_ttl: 1s}`
	e2eRaftYAML = `
node: {id: %s, data_dir: "%s"}
cluster: {mode: raft, namespace: e2e, peers: [%s], secret: "e2e-cluster-secret-0123456789"}
raft: {heartbeat_timeout: 500ms, election_timeout: 500ms, leader_lease_timeout: 250ms}
queue: {heartbeat: 200ms, node_ttl: 3s}`
)

// The modes every end-to-end test that behaves the same in both runs in.
var e2eModes = []string{"redis", "raft"}

const e2eNodeYAML = `%s
worker: {chat_concurrency: 2}
chat:
  adapter: irc
  test_commands: true
%s
  irc:
    server: "%s"
    nick: herald
    channels: ["#ops"]
    ping_interval: 5s
http: {addr: "%s"}
log: {level: debug}
%s
`

func startE2E(t *testing.T) *e2e { return startE2EWith(t, "") }

// forModes runs test as a subtest in each mode, with a cluster of that
// mode.
func forModes(t *testing.T, test func(t *testing.T, c *e2e)) {
	for _, mode := range e2eModes {
		t.Run(mode, func(t *testing.T) { test(t, startE2EMode(t, mode, "", "")) })
	}
}

// startE2EWith starts the cluster with extra top-level YAML sections and
// HERALD_ variables added to every node's configuration.
func startE2EWith(t *testing.T, extra string, env ...string) *e2e {
	return startE2EChat(t, "", extra, env...)
}

// startE2EChat also adds YAML lines (indented by two spaces) to every
// node's chat section.
func startE2EChat(t *testing.T, chatYAML, extra string, env ...string) *e2e {
	return startE2EMode(t, "redis", chatYAML, extra, env...)
}

// startE2EMode starts three nodes of mode, an IRC server and a person.
func startE2EMode(t *testing.T, mode, chatYAML, extra string, env ...string) *e2e {
	return startCluster(t, mode, (*e2e).clusterYAML, chatYAML, extra, env...)
}

// startCluster starts three nodes whose cluster part of the configuration
// comes from cluster, an IRC server and a person.
func startCluster(t *testing.T, mode string, cluster func(*e2e) func(id string) string,
	chatYAML, extra string, env ...string) *e2e {
	if testing.Short() {
		t.Skip("end-to-end cluster test: skipped with -short")
	}
	ircd := ircdtest.Start(t, ircdtest.Options{})
	c := &e2e{t: t, book: &clustertest.LogBook{}, nodes: map[string]*clustertest.Proc{},
		ircAddr: ircd.Addr, mode: mode, order: []string{"n1", "n2", "n3"}}
	// The person is in #ops first, so that the bot's JOIN is seen.
	c.client = ircdtest.Dial(t, ircd.Addr, "tester")
	c.client.Join("#ops")
	clusterYAML := cluster(c)
	for _, id := range c.order {
		addr := clustertest.FreeAddr(t)
		yaml := fmt.Sprintf(e2eNodeYAML, clusterYAML(id), chatYAML, ircd.Addr, addr, extra)
		c.nodes[id] = clustertest.Start(t, c.book, id, addr, yaml, env...)
	}
	c.waitBotJoined(20 * time.Second)
	c.waitServing(10 * time.Second)
	return c
}

// waitServing waits until every node answers GET /status: a test may
// talk to any of them, not only to the master.
func (c *e2e) waitServing(within time.Duration) {
	c.t.Helper()
	for _, id := range c.order {
		ok := clustertest.Eventually(within, func() bool {
			_, err := c.nodes[id].Status()
			return err == nil
		})
		if !ok {
			c.t.Fatalf("%s does not answer GET /status within %v", id, within)
		}
	}
}

// clusterYAML returns the cluster part of each node's configuration,
// starting the Redis server in Redis mode.
func (c *e2e) clusterYAML() func(id string) string {
	if c.mode == "redis" {
		c.redis = redistest.Start(c.t, redistest.Options{})
		return func(id string) string { return fmt.Sprintf(e2eRedisYAML, id, c.redis.Addr) }
	}
	var peers []string
	for _, id := range c.order {
		c.peers = append(c.peers, id+"="+clustertest.FreeAddr(c.t))
		peers = append(peers, fmt.Sprintf("%q", c.peers[len(c.peers)-1]))
	}
	dir := c.t.TempDir()
	return func(id string) string {
		return fmt.Sprintf(e2eRaftYAML, id, dir+"/"+id, strings.Join(peers, ", "))
	}
}

// waitBotJoined waits until the bot is in #ops as seen by the person.
func (c *e2e) waitBotJoined(within time.Duration) time.Time {
	c.t.Helper()
	m, ok := c.client.WaitFor(within, func(m irc.Message) bool {
		return m.Command == "JOIN" && strings.HasPrefix(m.Source, "herald!")
	})
	if !ok {
		c.t.Fatalf("the bot did not join #ops within %v", within)
	}
	_ = m
	return time.Now()
}

// master returns the id of the node that says it is master.
func (c *e2e) master() string {
	c.t.Helper()
	var id string
	ok := clustertest.Eventually(10*time.Second, func() bool {
		for _, n := range c.order {
			if !c.nodes[n].Running() {
				continue
			}
			if s, err := c.nodes[n].Status(); err == nil && s.Master != "" {
				id = s.Master
				return c.nodes[id] != nil && c.nodes[id].Running()
			}
		}
		return false
	})
	if !ok {
		c.t.Fatal("no master within 10s")
	}
	return id
}

// ask says text to the bot in #ops and waits for a reply line.
func (c *e2e) ask(text, reply string, within time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	c.client.Say("#ops", "herald: "+text)
	if _, ok := c.client.WaitFor(within, isReply(reply)); !ok {
		c.t.Fatalf("no %q in answer to %q within %v", reply, text, within)
	}
	return time.Since(start)
}

func isReply(reply string) func(irc.Message) bool {
	return func(m irc.Message) bool {
		return m.Command == "PRIVMSG" && len(m.Params) == 2 && m.Params[1] == "tester: "+reply
	}
}

// count returns how often the bot said reply in #ops so far.
func (c *e2e) count(reply string) int {
	n := 0
	for _, l := range c.client.Lines() {
		if l.Target == "#ops" && l.Text == "tester: "+reply {
			n++
		}
	}
	return n
}

// countText returns how often the bot said exactly text in #ops.
func (c *e2e) countText(text string) int {
	n := 0
	for _, l := range c.client.Lines() {
		if l.Target == "#ops" && l.Text == text {
			n++
		}
	}
	return n
}

// expectOnce waits a little longer for late duplicates, then checks
// that each reply was said exactly once.
func (c *e2e) expectOnce(replies ...string) {
	c.t.Helper()
	time.Sleep(1500 * time.Millisecond) // a settle time for duplicates, not a wait for a condition
	for _, r := range replies {
		if n := c.count(r); n != 1 {
			c.t.Errorf("%q said %d times, want exactly once", r, n)
		}
	}
}

// failover waits for the bot to rejoin after the master went away at
// from, and returns the chat gap: until a ping is answered again.
func (c *e2e) failover(from time.Time, within time.Duration) time.Duration {
	c.t.Helper()
	c.waitBotJoined(within)
	c.ask("ping", "pong", 5*time.Second)
	return time.Since(from)
}

func TestE2EPingEcho(t *testing.T) { forModes(t, testPingEcho) }

func testPingEcho(t *testing.T, c *e2e) {
	c.ask("ping", "pong", 5*time.Second)
	c.ask("echo x1", "x1", 5*time.Second)
	c.expectOnce("pong", "x1")
}

func TestE2EKillMaster(t *testing.T) { forModes(t, testKillMaster) }

func testKillMaster(t *testing.T, c *e2e) {
	c.ask("ping", "pong", 5*time.Second)
	master := c.master()

	// Messages the master took in just before it died are answered once
	// by the next master: slow ones are still being handled at the kill.
	var tokens []string
	for i := range 4 {
		tok := fmt.Sprintf("k%d", i)
		tokens = append(tokens, tok)
		c.client.Say("#ops", "herald: slow 1 "+tok)
	}
	time.Sleep(300 * time.Millisecond) // let the master push them: part of the scenario
	killed := time.Now()
	c.nodes[master].Kill()
	joined := c.waitBotJoined(15 * time.Second)
	t.Logf("failover after SIGKILL of %s: bot back in #ops after %v", master,
		joined.Sub(killed))
	if limit := 2900 * time.Millisecond; joined.Sub(killed) > limit {
		t.Errorf("failover took %v, want at most 1.2 x ttl + 0.5s = %v", joined.Sub(killed), limit)
	}
	for _, tok := range tokens {
		if !clustertest.Eventually(15*time.Second, func() bool { return c.count(tok) > 0 }) {
			t.Errorf("%s never answered", tok)
		}
	}
	c.ask("echo after", "after", 10*time.Second)
	c.expectOnce(append(tokens, "after")...)
	if now := c.master(); now == master {
		t.Fatalf("master is still the killed node %s", master)
	}
}

func TestE2ETermMaster(t *testing.T) { forModes(t, testTermMaster) }

func testTermMaster(t *testing.T, c *e2e) {
	c.ask("ping", "pong", 5*time.Second)
	master := c.master()
	start := time.Now()
	c.nodes[master].SignalTerm()
	gap := c.failover(start, 5*time.Second)
	if !c.nodes[master].Wait(10 * time.Second) {
		t.Errorf("%s did not stop gracefully within 10s", master)
	}
	t.Logf("handover gap after SIGTERM of %s: %v", master, gap)
	if gap > time.Second {
		t.Errorf("handover gap %v, want below 1s", gap)
	}
}

func TestE2EKillHandlingNode(t *testing.T) { forModes(t, testKillHandlingNode) }

func testKillHandlingNode(t *testing.T, c *e2e) {
	c.ask("ping", "pong", 5*time.Second)

	// A slow message is held by whichever worker popped it; find that
	// node from its log and kill it while it holds the message.
	c.client.Say("#ops", "herald: slow 3 held1")
	var holder string
	ok := clustertest.Eventually(5*time.Second, func() bool {
		lines := c.book.Grep("", "handling message", "slow")
		if len(lines) > 0 {
			holder = lines[0].Node
		}
		return holder != ""
	})
	if !ok {
		t.Fatal("no node logged handling the slow message")
	}
	c.nodes[holder].Kill()
	t.Logf("killed %s while it held the message", holder)
	if _, ok := c.client.WaitFor(20*time.Second, isReply("held1")); !ok {
		t.Fatal("the held message was never answered")
	}
	c.expectOnce("held1")
}

// TestE2ERaftRestartRejoins kills the raft leader and restarts it with
// its data folder: it rejoins as a follower and catches up.
func TestE2ERaftRestartRejoins(t *testing.T) {
	c := startE2EMode(t, "raft", "", "")
	master := c.master()
	c.nodes[master].Kill()
	c.waitBotJoined(15 * time.Second)
	c.ask("echo during", "during", 10*time.Second)
	c.nodes[master].Restart()
	now := c.master()
	ok := clustertest.Eventually(20*time.Second, func() bool {
		s, err := c.nodes[master].Status()
		return err == nil && s.Master == now && len(s.Nodes) == 3
	})
	if !ok {
		t.Fatalf("the restarted %s did not rejoin with master %s and 3 nodes", master, now)
	}
	c.ask("echo after", "after", 10*time.Second)
}

// TestE2EPeersCommand lists the raft servers with `herald peers`, removes
// a dead one and adds it back.
func TestE2EPeersCommand(t *testing.T) {
	c := startE2EMode(t, "raft", "", "")
	peers := func(args ...string) string {
		t.Helper()
		args = append([]string{"peers"}, args...)
		args = append(args, "--peers", strings.Join(c.peers, ","))
		cmd := exec.Command(clustertest.Binary(t), args...)
		cmd.Env = append(os.Environ(), "HERALD_CLUSTER_SECRET=e2e-cluster-secret-0123456789")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	list := peers()
	if strings.Count(list, "leader") != 1 || strings.Count(list, "voter") != 3 {
		t.Fatalf("herald peers shows:\n%s", list)
	}
	victim := c.follower()
	c.nodes[victim].Kill()
	peers("remove", victim)
	if strings.Contains(peers(), victim+" ") {
		t.Fatalf("%s still listed after remove", victim)
	}
	var entry string
	for _, p := range c.peers {
		if strings.HasPrefix(p, victim+"=") {
			entry = p
		}
	}
	c.nodes[victim].Restart()
	peers("add", entry)
	ok := clustertest.Eventually(20*time.Second, func() bool {
		return strings.Count(peers(), "voter") == 3
	})
	if !ok {
		t.Fatalf("%s not back among the voters:\n%s", victim, peers())
	}
	c.ask("echo still", "still", 10*time.Second)
}
