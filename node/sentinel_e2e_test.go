package node_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/node/clustertest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// sentinelClusterYAML is a node's cluster part with its own redis and
// election sections (%s).
const sentinelClusterYAML = `
node: {id: %s}
cluster: {namespace: e2e}
%s
queue: {heartbeat: 200ms, node_ttl: 1s}`

// startWithRedisYAML starts three nodes whose redis and election
// sections are redisYAML, on a fresh IRC server with a person in #ops,
// paced fast enough for five echoes a second.
func startWithRedisYAML(t *testing.T, redisYAML string) *e2e {
	cluster := func(*e2e) func(string) string {
		return func(id string) string { return fmt.Sprintf(sentinelClusterYAML, id, redisYAML) }
	}
	return startCluster(t, "redis", cluster, "", "", "HERALD_CHAT_IRC_RATE=20",
		"HERALD_CHAT_IRC_BURST=20")
}

// skipShort skips an end-to-end test under -short, before it starts any
// server.
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end cluster test: skipped with -short")
	}
}

// quoted returns addrs as a YAML flow list.
func quoted(addrs []string) string {
	q := make([]string, len(addrs))
	for i, a := range addrs {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// echo is one "herald: echo TOKEN" said by the person.
type echo struct {
	token string
	at    time.Time
}

// sayer says echoes at a steady rate in #ops until it has said n.
type sayer struct {
	mu    sync.Mutex
	said  []echo
	every time.Duration
	n     int
}

// run says the echoes; the test waits for it with a WaitGroup.
func (s *sayer) run(c *e2e) {
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for i := range s.n {
		tok := fmt.Sprintf("s%03d", i)
		s.mu.Lock()
		s.said = append(s.said, echo{token: tok, at: time.Now()})
		s.mu.Unlock()
		c.client.Say("#ops", "herald: echo "+tok)
		<-tick.C
	}
}

// count returns how many echoes were said so far.
func (s *sayer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.said)
}

// SIGKILL of the Redis master under steady chat, with a lease (2s)
// shorter than Sentinel's failover: Sentinel promotes the replica, the
// nodes follow it with the clients they have, a master exists again,
// and every echo said after the cluster answers again is answered
// exactly once. The master's lease lapses during the failover, so what
// it held in memory and what was said while the bot was out of the
// channel is lost; the test reports how much.
func TestE2ESentinelFailover(t *testing.T) {
	r := sentinelFailover(t, "election: {ttl: 2s, renew: 500ms, retry: 100ms}")
	r.check(t, false)
}

// The same with the default lease (5s), which outlasts a fast Sentinel
// failover: when the master kept its role throughout, echoes said during
// the failover are answered late but exactly once.
func TestE2ESentinelFailoverWithinLease(t *testing.T) {
	r := sentinelFailover(t, "election: {ttl: 5s}")
	r.check(t, !r.roleEnded)
}

// sentinelFailover runs a three-node cluster behind Sentinel with the
// election section election, says five echoes a second for fifteen
// seconds, kills the Redis master after four, and returns what became of
// the echoes.
func sentinelFailover(t *testing.T, election string) echoResult {
	skipShort(t)
	master := redistest.Start(t, redistest.Options{})
	k := redistest.StartSentinel(t, master, "herald-redis", 3)
	c := startWithRedisYAML(t, fmt.Sprintf(`redis:
  addr: "192.0.2.1:6379"   # ignored with Sentinel
  sentinel: {master: herald-redis, addrs: %s}
%s`, quoted(k.Addrs), election))
	c.ask("ping", "pong", 10*time.Second)
	before := c.master()

	s := &sayer{every: 200 * time.Millisecond, n: 75}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.run(c) }()
	defer wg.Wait()
	if !clustertest.Eventually(10*time.Second, func() bool { return s.count() >= 20 }) {
		t.Fatal("the person could not say 20 echoes within 10s")
	}
	killed := time.Now()
	k.KillMaster()
	promoted := k.WaitNewMaster(master.Addr, 30*time.Second)
	switched := time.Now()
	t.Logf("redis: sentinels promoted %s %v after SIGKILL of %s", promoted,
		switched.Sub(killed).Round(time.Millisecond), master.Addr)
	wg.Wait()

	r := c.settleEchoes(s.said, switched)
	r.killed = killed
	r.roleEnded = len(c.book.Grep("", "master role ended")) > 0
	t.Logf("herald: answering again %v after the kill (first echo said after the "+
		"switch and answered: %s); master before %s, after %s; a master role ended: %v",
		r.recovered.Sub(killed).Round(time.Millisecond), r.first, before, c.master(),
		r.roleEnded)
	if gap := r.recovered.Sub(killed); gap > 20*time.Second {
		t.Errorf("chat answered again %v after the kill, want within 20s", gap)
	}
	return r
}

// echoResult is what became of each echo.
type echoResult struct {
	said      []echo
	counts    map[string]int
	first     string
	killed    time.Time
	recovered time.Time
	// roleEnded is true when some node's master role ended.
	roleEnded bool
}

// settleEchoes finds when the cluster answered again (the first echo
// said after switched that was answered), waits until every echo said
// from then on is answered, lets duplicates arrive, and counts.
func (c *e2e) settleEchoes(said []echo, switched time.Time) echoResult {
	c.t.Helper()
	r := echoResult{said: said, counts: map[string]int{}}
	r.first, r.recovered = c.firstAnswered(said, switched)
	if r.first == "" {
		c.t.Fatal("no echo said after the failover was ever answered")
	}
	unanswered := func() bool {
		return slices.ContainsFunc(said, func(e echo) bool {
			return !e.at.Before(r.recovered) && c.count(e.token) == 0
		})
	}
	clustertest.Eventually(20*time.Second, func() bool { return !unanswered() })
	time.Sleep(1500 * time.Millisecond) // a settle time for duplicates, not a wait for a condition
	for _, e := range said {
		r.counts[e.token] = c.count(e.token)
	}
	return r
}

// firstAnswered waits up to 20s for an answer to an echo said after from,
// and returns the first such echo that was answered and when it was
// said; "" when none was.
func (c *e2e) firstAnswered(said []echo, from time.Time) (string, time.Time) {
	var tok string
	var at time.Time
	clustertest.Eventually(20*time.Second, func() bool {
		for _, e := range said {
			if !e.at.Before(from) && c.count(e.token) > 0 {
				tok, at = e.token, e.at
				return true
			}
		}
		return false
	})
	return tok, at
}

// check holds echoes said before the kill and after recovery to exactly
// once, and reports what became of those said in between; with
// windowOnce it holds those to exactly once as well.
func (r echoResult) check(t *testing.T, windowOnce bool) {
	t.Helper()
	var lost, once, twice []string
	for _, e := range r.said {
		n := r.counts[e.token]
		inWindow := !e.at.Before(r.killed) && e.at.Before(r.recovered)
		switch {
		case (!inWindow || windowOnce) && n != 1:
			t.Errorf("echo %s said %v after the kill answered %d times, want once",
				e.token, e.at.Sub(r.killed).Round(time.Millisecond), n)
		case !inWindow:
		case n == 0:
			lost = append(lost, e.token)
		case n == 1:
			once = append(once, e.token)
		default:
			twice = append(twice, e.token)
		}
	}
	t.Logf("echoes said during the failover window (%v): %d answered once, %d never "+
		"%v, %d more than once %v", r.recovered.Sub(r.killed).Round(time.Millisecond),
		len(once), len(lost), lost, len(twice), twice)
}

// startACLRedis starts a Redis whose default user is then switched off,
// leaving the user herald, who may use only the e2e namespace and no
// dangerous command (KEYS, FLUSHALL, CONFIG and the like).
func startACLRedis(t *testing.T) *redistest.Server {
	t.Helper()
	s := redistest.Start(t, redistest.Options{})
	rc := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, cmd := range [][]any{
		{"ACL", "SETUSER", "herald", "on", ">e2e-acl-pass", "~e2e:*", "resetchannels",
			"+@all", "-@dangerous"},
		{"ACL", "SETUSER", "default", "off"},
	} {
		if err := rc.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("redis %s: %v: %v", s.Addr, cmd[:3], err)
		}
	}
	return s
}

// election.redis_addrs: the lock is held by a majority of three
// independent Redis servers, apart from the queue's Redis. With one of
// them killed the master keeps its lease and a new master can still be
// elected; with two killed there is none. Every server has only an ACL
// user restricted to the cluster's namespace.
func TestE2ELockQuorum(t *testing.T) {
	skipShort(t)
	queueRedis := startACLRedis(t)
	var locks []*redistest.Server
	var addrs []string
	for range 3 {
		l := startACLRedis(t)
		locks, addrs = append(locks, l), append(addrs, l.Addr)
	}
	c := startWithRedisYAML(t, fmt.Sprintf(`redis:
  addr: %q
  username: herald
  password: e2e-acl-pass
election: {ttl: 2s, renew: 500ms, retry: 100ms, redis_addrs: %s}`,
		queueRedis.Addr, quoted(addrs)))
	c.ask("ping", "pong", 10*time.Second)
	first := c.master()
	// The lock is on a majority of the lock servers (a slow one may have
	// missed the campaign), never on the queue's Redis.
	if n := lockHolders(t, addrs); n < 2 {
		t.Fatalf("%d lock servers of 3 hold e2e:master, want a majority", n)
	}
	if n := lockHolders(t, []string{queueRedis.Addr}); n != 0 {
		t.Fatal("the queue's Redis holds e2e:master, want it on the lock servers only")
	}

	// A campaign that lost can leave another node's value on one lock
	// server for up to a lease; the master's renewals take that server
	// over once it lapses. From then on the master holds all three.
	if !clustertest.Eventually(10*time.Second, func() bool { return sameHolder(t, addrs) }) {
		t.Fatal("the master never came to hold the lock on all three lock servers")
	}

	// One lock server gone: the master renews its lease with the two
	// others for longer than a lease, and answers all along.
	victim := killOneLockServer(t, locks)
	lostAt := time.Now()
	renewed := func() bool { return c.renewalsSince(first, lostAt) >= 6 }
	if !clustertest.Eventually(10*time.Second, renewed) {
		t.Fatalf("%s renewed its lease %d times in 10s with two lock servers of three",
			first, c.renewalsSince(first, lostAt))
	}
	c.ask("echo q1", "q1", 5*time.Second)
	if now := c.master(); now != first || len(c.book.Grep(first, "master role ended")) > 0 {
		t.Fatalf("master %s -> %s after one lock server died %v ago, want no change",
			first, now, time.Since(lostAt))
	}

	// Two of three still elect a new master when the master dies.
	c.nodes[first].Kill()
	c.waitBotJoined(15 * time.Second)
	c.ask("echo q-new", "q-new", 10*time.Second)
	second := c.master()
	t.Logf("with two lock servers of three, %s took over from %s", second, first)

	// One of three is no majority: the master steps down.
	for _, l := range locks {
		if l != victim {
			l.Stop()
			break
		}
	}
	ended := func() bool { return len(c.book.Grep(second, "master role ended")) > 0 }
	if !clustertest.Eventually(10*time.Second, ended) {
		t.Fatal("the master kept its role with one lock server of three")
	}
}

// killOneLockServer kills one of locks and returns it: one that missed
// the campaign if any did. An extension does not put the key back on
// such a server, so the master then holds on exactly two, and the loss
// of either would end its term.
func killOneLockServer(t *testing.T, locks []*redistest.Server) *redistest.Server {
	t.Helper()
	victim := locks[0]
	for _, l := range locks {
		if lockHolders(t, []string{l.Addr}) == 0 {
			victim = l
			t.Logf("lock server %s missed the campaign: it is the one killed", l.Addr)
		}
	}
	victim.Stop()
	return victim
}

// renewalsSince counts the lease renewals node logged after from.
func (c *e2e) renewalsSince(node string, from time.Time) int {
	n := 0
	for _, l := range c.book.Grep(node, "lease renewed") {
		if l.Time.After(from) {
			n++
		}
	}
	return n
}

// lockHolders returns how many of the servers at addrs hold the lock key.
func lockHolders(t *testing.T, addrs []string) int {
	t.Helper()
	n := 0
	for _, addr := range addrs {
		rc := redis.NewClient(&redis.Options{Addr: addr, Username: "herald",
			Password: "e2e-acl-pass"})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		got, err := rc.Exists(ctx, "e2e:master").Result()
		cancel()
		_ = rc.Close()
		if err != nil {
			t.Fatalf("exists on %s: %v", addr, err)
		}
		n += int(got)
	}
	return n
}

// sameHolder reports whether every lock server holds e2e:master with one
// and the same value.
func sameHolder(t *testing.T, addrs []string) bool {
	t.Helper()
	var first string
	for i, addr := range addrs {
		rc := redis.NewClient(&redis.Options{Addr: addr, Username: "herald",
			Password: "e2e-acl-pass"})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		got, err := rc.Get(ctx, "e2e:master").Result()
		cancel()
		_ = rc.Close()
		if err != nil || (i > 0 && got != first) {
			return false
		}
		first = got
	}
	return true
}
