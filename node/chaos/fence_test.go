package chaos_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/herald-chatops/herald/node/chaos"
)

// ttl is election.ttl of the suite's nodes.
const ttl = 2 * time.Second

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test against real processes: skipped with -short")
	}
}

// TestFencingPausedMaster pauses the master for three leases while its
// outbound pump holds a claimed reply, and checks that a new master
// serves meanwhile, that the old one sends nothing after its term and
// leaves chat on its own once resumed, that every reply is said exactly
// once (the held one included), and that a message only the paused
// master heard is not pushed with its stale term.
func TestFencingPausedMaster(t *testing.T) {
	skipShort(t)
	c := startCluster(t, clusterOptions{namespace: "fence", rate: 2, burst: 5})
	old := c.master()
	if old == "" {
		t.Fatal("no master")
	}
	tokens := holdReplies(t, c)
	from, paused := c.person.mark(), time.Now()
	c.setDown(old, true)
	c.procs[old].Stop()

	// Only the paused master is in the channel yet: it alone hears this.
	onlyStale := len(c.person.botNodes()) == 1
	if onlyStale {
		c.person.say("herald: echo fence-stale")
	}
	serveWhilePaused(t, c, old, paused)
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
	expectOnce(t, c, tokens)
	if onlyStale && c.person.count("fence-stale") != 0 {
		t.Error("fence-stale, heard only by the paused master, was answered: " +
			"it was pushed with a stale term")
	}
	expectNoStale(t, c, paused)
}

// holdReplies says nine slow commands with the bot pacing two lines a
// second after a burst of five. Six workers finish six of them together;
// five replies go out at once and the master's pump then holds the
// sixth, claimed and waiting for its turn, when holdReplies returns.
func holdReplies(t *testing.T, c *cluster) []string {
	t.Helper()
	var tokens []string
	for i := 1; i <= 9; i++ {
		tokens = append(tokens, fmt.Sprintf("fence-%d", i))
		c.person.say("herald: slow 1 " + tokens[i-1])
	}
	if !eventually(10*time.Second, func() bool { return saidAny(c, tokens) >= 5 }) {
		t.Fatal("five slow replies were not said within 10s")
	}
	return tokens
}

// serveWhilePaused checks that a new term starts and its bot answers
// ping while the old master is paused.
func serveWhilePaused(t *testing.T, c *cluster, old string, paused time.Time) {
	t.Helper()
	if !c.waitLogged(3*ttl, "", paused, "master term started") {
		t.Fatalf("no new term within %v of pausing %s", 3*ttl, old)
	}
	if !eventually(3*ttl, c.liveBotPresent) || !c.ask("ping", "pong", 15*time.Second) {
		t.Fatal("nobody answered ping while the old master was paused")
	}
}

// expectOnce waits for each token to be said, then a settle time for
// late duplicates, and fails t unless each was said exactly once.
func expectOnce(t *testing.T, c *cluster, tokens []string) {
	t.Helper()
	for _, tok := range tokens {
		if !eventually(20*time.Second, func() bool { return c.person.count(tok) > 0 }) {
			t.Errorf("%s was never said", tok)
		}
	}
	pace(settle)
	for _, tok := range tokens {
		if n := c.person.count(tok); n > 1 {
			t.Errorf("%s said %d times, want once", tok, n)
		}
	}
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
// logged, after its node's term had ended, and on any panic.
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
