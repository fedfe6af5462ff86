package chaos_test

import (
	"context"
	"fmt"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/chat/irc/ircdtest"
	"github.com/herald-chatops/herald/node/chaos"
	"github.com/herald-chatops/herald/node/clustertest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// adminToken is http.admin_token of every node of the suite.
const adminToken = "chaos-admin-token-0123456789"

// channel is where the bot and the person meet.
const channel = "#ops"

// nodeYAML is the configuration of one node: the suite's timings (ttl 2s,
// renew 500ms, retry 100ms, heartbeat 200ms, node_ttl 1s), debug logs for
// the checker, and the node id as IRC user name so that every line the
// bot says names its node.
const nodeYAML = `
node: {id: %[1]s}
cluster: {namespace: %[2]s}
redis: {addr: "%[3]s"}
election: {ttl: 2s, renew: 500ms, retry: 100ms}
queue: {heartbeat: 200ms, node_ttl: 1s, max_attempts: 3}
worker: {chat_concurrency: 2}
chat:
  adapter: irc
  test_commands: true
  irc:
    server: "%[4]s"
    nick: herald
    user: %[1]s
    channels: ["%[5]s"]
    ping_interval: 5s
    rate: %[6]g
    burst: %[7]d
http: {addr: "%[8]s", admin_token: "%[9]s"}
log: {level: debug}
`

// clusterOptions change how a test cluster is set up.
type clusterOptions struct {
	// namespace is cluster.namespace.
	namespace string
	// aof turns on Redis persistence.
	aof bool
	// rate and burst pace the bot's lines (chat.irc.rate and burst).
	rate  float64
	burst int
	// verbose logs the nodes' debug lines too.
	verbose bool
}

// cluster is Redis, ngircd, three herald nodes and a person in #ops. Its
// processes are touched only from the test's goroutine.
type cluster struct {
	t      *testing.T
	rds    *redistest.Server
	ircd   *ircdtest.Server
	book   *clustertest.LogBook
	ids    []string
	procs  map[string]*clustertest.Proc
	person *person
	world  *world
}

// world is what the person knows of the faults in progress when it
// decides whether a send can be heard.
type world struct {
	mu        sync.Mutex
	down      map[string]bool // nodes killed, stopping, paused or resuming
	redisDown bool            // Redis down, or back without a renewed master
	lastHeard string          // token of the last heard send
}

// quietTB drops the nodes' debug lines from the test log unless verbose;
// the LogBook keeps them all for the checker.
type quietTB struct {
	testing.TB
	verbose bool
}

// Logf logs the line unless it is a debug line of a quiet run.
func (q quietTB) Logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if !q.verbose && strings.Contains(line, "level=DEBUG") {
		return
	}
	q.TB.Log(line)
}

// startCluster starts everything and waits until the bot answers ping.
func startCluster(t *testing.T, opt clusterOptions) *cluster {
	t.Helper()
	if opt.rate == 0 {
		opt.rate, opt.burst = 20, 20
	}
	c := &cluster{t: t, book: &clustertest.LogBook{}, ids: []string{"n1", "n2", "n3"},
		procs: map[string]*clustertest.Proc{}, world: &world{down: map[string]bool{}}}
	c.rds = redistest.Start(t, redistest.Options{AppendOnly: opt.aof})
	c.ircd = ircdtest.Start(t, ircdtest.Options{})

	// The person is in the channel first, so that every bot JOIN is seen.
	c.person = dialPerson(t, c.ircd.Addr, "tester", channel, c.ids)
	qt := quietTB{TB: t, verbose: opt.verbose || verbose()}
	for _, id := range c.ids {
		addr := clustertest.FreeAddr(t)
		yaml := fmt.Sprintf(nodeYAML, id, opt.namespace, c.rds.Addr, c.ircd.Addr, channel,
			opt.rate, opt.burst, addr, adminToken)
		c.procs[id] = clustertest.Start(qt, c.book, id, addr, yaml)
	}
	if !clustertest.Eventually(20*time.Second, func() bool {
		return len(c.person.botNodes()) > 0
	}) {
		t.Fatal("the bot did not join within 20s")
	}
	if !c.ask("ping", "pong", 10*time.Second) {
		t.Fatal("the bot did not answer ping within 10s")
	}
	return c
}

// ask says text to the bot and waits for one more reply saying want.
func (c *cluster) ask(text, want string, within time.Duration) bool {
	before := c.person.count(want)
	c.person.say("herald: " + text)
	return clustertest.Eventually(within, func() bool {
		return c.person.count(want) > before
	})
}

// echo says `herald: echo token` and returns the send, heard when a live
// bot is in the channel and Redis is up.
func (c *cluster) echo(token string) chaos.Send {
	w := c.world
	w.mu.Lock()
	defer w.mu.Unlock()
	heard := !w.redisDown
	if heard {
		heard = false
		for node := range c.person.botNodes() {
			heard = heard || !w.down[node]
		}
	}
	c.person.say("herald: echo " + token)
	if heard {
		w.lastHeard = token
	}
	return chaos.Send{Token: token, At: time.Now(), Heard: heard}
}

// master returns the node that a live node names as master, or "".
func (c *cluster) master() string {
	for _, id := range c.ids {
		if c.isDown(id) || !c.procs[id].Running() {
			continue
		}
		if s, err := c.procs[id].Status(); err == nil && s.Master != "" {
			return s.Master
		}
	}
	return ""
}

// isDown reports whether a fault currently holds node.
func (c *cluster) isDown(node string) bool {
	c.world.mu.Lock()
	defer c.world.mu.Unlock()
	return c.world.down[node]
}

// setDown marks node as held by a fault, or free again.
func (c *cluster) setDown(node string, down bool) {
	c.world.mu.Lock()
	defer c.world.mu.Unlock()
	c.world.down[node] = down
}

// setRedisDown marks Redis as down, or back with a renewed master.
func (c *cluster) setRedisDown(down bool) {
	c.world.mu.Lock()
	defer c.world.mu.Unlock()
	c.world.redisDown = down
}

// logged reports whether node (any node when "") wrote a line holding
// every one of words, stamped after since.
func (c *cluster) logged(node string, since time.Time, words ...string) bool {
	for _, l := range c.book.Grep(node, words...) {
		if l.Time.After(since) {
			return true
		}
	}
	return false
}

// waitLogged waits up to within for such a line.
func (c *cluster) waitLogged(within time.Duration, node string, since time.Time,
	words ...string) bool {
	return clustertest.Eventually(within, func() bool { return c.logged(node, since, words...) })
}

// healthy waits until node answers GET /healthz.
func (c *cluster) healthy(node string, within time.Duration) bool {
	url := "http://" + c.procs[node].HTTP + "/healthz"
	return clustertest.Eventually(within, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, _ := nethttp.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == nethttp.StatusOK
	})
}

// queuesEmpty reports whether a live node sees inbound and outbound
// empty.
func (c *cluster) queuesEmpty() bool {
	for _, id := range c.ids {
		if c.isDown(id) || !c.procs[id].Running() {
			continue
		}
		if s, err := c.procs[id].Status(); err == nil {
			return s.Queues["inbound"] == 0 && s.Queues["outbound"] == 0
		}
	}
	return false
}

// quitSeen reports whether a connection of node left the server or the
// channel after line index from.
func (c *cluster) quitSeen(node string, from int) bool {
	return c.person.find(from, func(m irc.Message) bool {
		_, n, ok := c.person.botOf(m.Source)
		return ok && n == node && (m.Command == "QUIT" || m.Command == "PART")
	}) >= 0
}
