package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/node/chaos"
	"github.com/herald-chatops/herald/queue"
)

// ttl is election.ttl of the suite's nodes.
const ttl = 2 * time.Second

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test against real processes: skipped with -short")
	}
}

// TestFencingPausedMaster pauses the master past its lease while its
// outbound pump holds a claimed reply (two lines a second after a burst
// of five),
// and checks that a new master serves meanwhile, that the old one sends
// nothing after its term and leaves on its own once resumed, that every
// reply is said once, and that what only the paused master heard is not
// pushed with its stale term.
func TestFencingPausedMaster(t *testing.T) {
	skipShort(t)
	c := startCluster(t, clusterOptions{namespace: "fence", rate: 2, burst: 5})
	old := c.master()
	if old == "" {
		t.Fatal("no master")
	}

	// Nine slow replies: six workers finish six of them together, five go
	// out at once, and the old master's pump then holds the sixth, claimed
	// and waiting for its turn, when the pause comes.
	var tokens []string
	for i := 1; i <= 9; i++ {
		tokens = append(tokens, fmt.Sprintf("fence-%d", i))
		c.person.say("herald: slow 1 " + tokens[i-1])
	}
	if !eventually(10*time.Second, func() bool { return saidAny(c, tokens) >= 5 }) {
		t.Fatal("five slow replies were not said within 10s")
	}
	from := c.person.mark()
	paused := time.Now()
	c.setDown(old, true)
	c.procs[old].Stop()

	// Only the paused master is in the channel yet: it alone hears this.
	onlyStale := len(c.person.botNodes()) == 1
	if onlyStale {
		c.person.say("herald: echo fence-stale")
	}

	// A new master serves while the old one is paused.
	if !c.waitLogged(3*ttl, "", paused, "master term started") {
		t.Fatalf("no new term within %v of pausing %s", 3*ttl, old)
	}
	if !eventually(3*ttl, c.liveBotPresent) || !c.ask("ping", "pong", 15*time.Second) {
		t.Fatal("nobody answered ping while the old master was paused")
	}
	pace(3*ttl - time.Since(paused)) // the pause lasts three leases
	resumed := time.Now()
	c.procs[old].Cont()
	c.setDown(old, false)
	t.Logf("%s paused for %v", old, resumed.Sub(paused).Round(time.Millisecond))

	// Resumed, it drops its chat connection on its own.
	if !eventually(10*time.Second, func() bool {
		return c.quitSeen(old, from) && c.logged(old, resumed, "master role ended")
	}) {
		t.Errorf("resumed %s did not leave the channel and end its role within 10s", old)
	}

	// Every reply is said once, the one the old master held included.
	for _, tok := range tokens {
		if !eventually(20*time.Second, func() bool { return c.person.count(tok) > 0 }) {
			t.Errorf("%s was never said", tok)
		}
	}
	pace(settle)
	for _, tok := range tokens {
		if n := c.person.count(tok); n != 1 {
			t.Errorf("%s said %d times, want once", tok, n)
		}
	}
	if onlyStale && c.person.count("fence-stale") != 0 {
		t.Errorf("fence-stale, heard only by the paused master, was answered: " +
			"it was pushed with a stale term")
	}
	expectNoStale(t, c, paused)
}

// saidAny returns how many of tokens the bot said at least once.
func saidAny(c *cluster, tokens []string) int {
	n := 0
	for _, tok := range tokens {
		if c.person.count(tok) > 0 {
			n++
		}
	}
	return n
}

// expectNoStale fails t on any line said in the channel, or action
// logged, after its node's term had ended.
func expectNoStale(t *testing.T, c *cluster, start time.Time) {
	t.Helper()
	rep := chaos.Check(chaos.Input{Start: start, End: time.Now(),
		Replies: c.person.replies(""), Logs: chaos.ParseLogs(c.book.Lines())})
	for _, s := range rep.StaleReplies {
		t.Errorf("%s said %q at %s, %v after its term ended", s.Node, s.What,
			s.At.Format("15:04:05.000"), s.Late)
	}
	for _, s := range rep.StaleActions {
		t.Errorf("%s performed %s with term %d at %s, %v after that term ended", s.Node,
			s.What, s.Term, s.At.Format("15:04:05.000"), s.Late)
	}
	if rep.Panics > 0 {
		t.Errorf("%d panics in the node logs", rep.Panics)
	}
}

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

// redisOutage takes Redis away for three leases under traffic (10
// echoes a second) while workers hold slow messages, and checks that the
// master steps down and leaves chat, that no term starts while Redis is
// away, that a master serves again after, that every echo said while
// Redis was up is answered exactly once, and that every node still runs.
func redisOutage(t *testing.T, c *cluster, prefix string, down, up func()) {
	old := c.master()
	since := time.Now()
	slow := []chaos.Send{}
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

	// A master exists again and serves.
	if !c.waitLogged(15*time.Second, "", upAt, "master term started") {
		t.Fatal("no master within 15s of Redis coming back")
	}
	if !eventually(15*time.Second, c.liveBotPresent) || !c.ask("ping", "pong", 15*time.Second) {
		t.Fatal("no bot answering in the channel within 30s of Redis coming back")
	}
	c.setRedisDown(false)
	t.Logf("redis away for %v", upAt.Sub(downAt).Round(time.Millisecond))
	checkRun(t, c, prefix, append(slow, s.wait()...), since)
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

// deadList is the answer of GET /admin/dead-letters.
type deadList struct {
	Count       int                `json:"count"`
	DeadLetters []queue.DeadLetter `json:"dead_letters"`
}

// TestDeadLetters follows a message whose handler always fails onto the
// dead-letter list, lists it and requeues it through the admin API, and
// checks that it blocked nothing meanwhile.
func TestDeadLetters(t *testing.T) {
	skipShort(t)
	c := startCluster(t, clusterOptions{namespace: "dead"})
	c.person.say("herald: fail dl-one")
	if !c.ask("echo still-served", "still-served", 10*time.Second) {
		t.Fatal("an echo after the failing message was not answered")
	}

	// It lands on the dead list after queue.max_attempts (3) with its
	// error.
	var letter queue.DeadLetter
	if !eventually(15*time.Second, func() bool {
		var ok bool
		letter, ok = findDead(t, c, "fail dl-one")
		return ok
	}) {
		t.Fatal("the failing message is not on the dead-letter list within 15s")
	}
	id := letter.Envelope.ID
	if letter.List != queue.Inbound || letter.Envelope.Attempts != 3 ||
		!strings.Contains(letter.Envelope.Error, "fail command always fails") {
		t.Errorf("dead letter %+v: want list inbound, 3 attempts and the handler's error",
			letter)
	}
	if n := len(c.book.Grep("", `msg="dead letter"`, "msg_id="+id)); n != 1 {
		t.Errorf("%d dead-letter log lines for %s, want 1", n, id)
	}
	if n := len(c.book.Grep("", "handler failed, will retry", "msg_id="+id)); n != 2 {
		t.Errorf("%d retry log lines for %s, want 2", n, id)
	}

	// The admin calls need the token.
	if code, _ := admin(t, c, "GET", "/admin/dead-letters", ""); code != 401 {
		t.Errorf("dead-letter list without token: %d, want 401", code)
	}
	if code, _ := admin(t, c, "GET", "/admin/dead-letters", "wrong-token-0123456789"); code != 401 {
		t.Errorf("dead-letter list with a wrong token: %d, want 401", code)
	}

	// Requeued, it is handled again from attempt one, and dies again.
	code, body := admin(t, c, "POST", "/admin/dead-letters/requeue?id="+id, adminToken)
	if code != 200 || !strings.Contains(body, `"requeued":1`) {
		t.Fatalf("requeue: %d %s", code, body)
	}
	if !eventually(15*time.Second, func() bool {
		return len(c.book.Grep("", `msg="dead letter"`, "msg_id="+id)) == 2
	}) {
		t.Fatal("the requeued message did not fail its way back onto the dead list")
	}
	if n := len(c.book.Grep("", "handler failed, will retry", "msg_id="+id)); n != 4 {
		t.Errorf("%d retry log lines for %s after the requeue, want 4", n, id)
	}
	if _, ok := findDead(t, c, "fail dl-one"); !ok {
		t.Error("the requeued message is not back on the dead list")
	}
	if n := len(c.person.replies("dl-one")); n != 0 {
		t.Errorf("the bot said %d lines about the failing message", n)
	}
}

// findDead lists the dead letters with their bodies and returns the one
// whose chat message says text.
func findDead(t *testing.T, c *cluster, text string) (queue.DeadLetter, bool) {
	code, body := admin(t, c, "GET", "/admin/dead-letters?body=1", adminToken)
	if code != 200 {
		return queue.DeadLetter{}, false
	}
	var list deadList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Errorf("dead-letter list: %v in %s", err, body)
		return queue.DeadLetter{}, false
	}
	for _, d := range list.DeadLetters {
		var m chat.Message
		if json.Unmarshal(d.Envelope.Body, &m) == nil && m.Text == text {
			return d, true
		}
	}
	return queue.DeadLetter{}, false
}

// admin makes an admin call to a running node with token ("" for none)
// and returns the status and body.
func admin(t *testing.T, c *cluster, method, path, token string) (int, string) {
	t.Helper()
	var node string
	for _, id := range c.ids {
		if c.procs[id].Running() && !c.isDown(id) {
			node = id
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := nethttp.NewRequestWithContext(ctx, method, "http://"+c.procs[node].HTTP+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
