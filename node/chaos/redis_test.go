package chaos_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/herald-chatops/herald/node/chaos"
)

func TestRedisRestart(t *testing.T) {
	skipShort(t)
	c := startCluster(t, clusterOptions{namespace: "rrestart", aof: true})
	redisOutage(t, c, "rr-", c.rds.Stop, c.rds.Restart)
}

func TestRedisPause(t *testing.T) {
	skipShort(t)
	c := startCluster(t, clusterOptions{namespace: "rpause"})
	redisOutage(t, c, "rp-", c.rds.Pause, c.rds.Resume)
}

// redisOutage takes Redis away for three leases under traffic (ten
// echoes a second) while workers hold slow messages, and checks that the
// master steps down and leaves chat, that no term starts while Redis is
// away, that a master serves again after, that every echo said while
// Redis was up (and every slow message) is answered exactly once, and
// that every node still runs.
func redisOutage(t *testing.T, c *cluster, prefix string, down, up func()) {
	old := c.master()
	since := time.Now()
	slow := holdSlow(t, c, prefix)
	s := startSender(c, prefix, 10, 6*ttl)
	from := c.person.mark()
	c.setRedisDown(true)
	downAt := time.Now()
	down()

	// The master cannot renew: it ends its term and closes chat.
	if !c.waitLogged(2*ttl, old, downAt, "master term ended") {
		t.Errorf("%s did not end its term within %v of losing Redis", old, 2*ttl)
	}
	if !eventually(2*ttl, func() bool { return c.quitSeen(old, from) }) {
		t.Errorf("%s did not leave chat within %v of its term's end", old, 2*ttl)
	}
	pace(3*ttl - time.Since(downAt))
	if c.logged("", downAt, "master term started") {
		t.Error("a term started while Redis was away")
	}
	upAt := time.Now()
	up()
	serveAgain(t, c)
	c.setRedisDown(false)
	t.Logf("redis away for %v", upAt.Sub(downAt).Round(time.Millisecond))
	checkRun(t, c, prefix, append(slow, s.wait()...), since)
}

// holdSlow says three slow commands and returns once workers hold them.
func holdSlow(t *testing.T, c *cluster, prefix string) []chaos.Send {
	t.Helper()
	since := time.Now()
	var slow []chaos.Send
	for i := 1; i <= 3; i++ {
		tok := fmt.Sprintf("%sslow-%d", prefix, i)
		c.person.say("herald: slow 1 " + tok)
		slow = append(slow, chaos.Send{Token: tok, At: time.Now(), Heard: true})
	}
	if !eventually(5*time.Second, func() bool {
		return len(grepAfter(c, since, "handling message", "slow")) >= 3
	}) {
		t.Fatal("the slow messages were not taken by workers within 5s")
	}
	return slow
}

// serveAgain checks that a term starts and a bot answers ping once Redis
// is back.
func serveAgain(t *testing.T, c *cluster) {
	t.Helper()
	back := time.Now()
	if !c.waitLogged(15*time.Second, "", back, "master term started") {
		t.Fatal("no master within 15s of Redis coming back")
	}
	if !eventually(15*time.Second, c.liveBotPresent) || !c.ask("ping", "pong", 15*time.Second) {
		t.Fatal("no bot answering in the channel within 30s of Redis coming back")
	}
}

// checkRun drains, checks every send of a fault test, and that every
// node still runs.
func checkRun(t *testing.T, c *cluster, prefix string, sends []chaos.Send, start time.Time) {
	t.Helper()
	drain(c, sends, prefix, 30*time.Second)
	rep := chaos.Check(chaos.Input{Start: start, End: time.Now(), Sends: sends,
		Replies: c.person.replies(prefix), Logs: chaos.ParseLogs(c.book.Lines()),
		Presence: c.person.presenceLog()})
	t.Log("\n" + rep.Text())
	for _, p := range rep.Problems() {
		t.Error(p)
	}
	for _, id := range c.ids {
		if !c.procs[id].Running() {
			t.Errorf("%s is not running", id)
		}
	}
}

// grepAfter returns the log lines holding every one of words read after
// since.
func grepAfter(c *cluster, since time.Time, words ...string) []string {
	var out []string
	for _, l := range c.book.Grep("", words...) {
		if l.Time.After(since) {
			out = append(out, l.Text)
		}
	}
	return out
}
