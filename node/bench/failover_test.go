package bench

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/node/clustertest"
)

// Timing of the failover figures.
const (
	failoverTTL = 2 * time.Second
	// rejoinWithin bounds the wait for the next master in the room.
	rejoinWithin = 20 * time.Second
	// answerWithin bounds the pings after the next master joined; each
	// ping waits pingRetry before the next is sent.
	answerWithin = 10 * time.Second
	pingRetry    = time.Second
	// stopWithin bounds a graceful stop after SIGTERM.
	stopWithin = 15 * time.Second
	// restartSettle lets a restarted node join the cluster before the
	// next run: a settle time, not a wait for a condition.
	restartSettle = 2 * time.Second
)

// failoverResult is the JSON object TestFailoverFigures prints.
type failoverResult struct {
	Test          string                `json:"test"`
	Time          time.Time             `json:"time"`
	Cores         int                   `json:"cores"`
	Nodes         int                   `json:"nodes"`
	Mode          string                `json:"mode"`
	TTLS          float64               `json:"election_ttl_s,omitempty"`
	Raft          *raftSettings         `json:"raft,omitempty"`
	HeraldVersion string                `json:"herald_version"`
	RaceBuild     bool                  `json:"race_build"`
	LoadAvg       map[string][3]float64 `json:"loadavg"`
	Kill          killFigures           `json:"sigkill"`
	Term          termFigures           `json:"sigterm"`
}

// raftSettings is the raft timing of a run in raft mode.
type raftSettings struct {
	HeartbeatMS float64 `json:"heartbeat_timeout_ms"`
	ElectionMS  float64 `json:"election_timeout_ms"`
	LeaseMS     float64 `json:"leader_lease_timeout_ms"`
	NodeTTLMS   float64 `json:"queue_node_ttl_ms"`
}

// killFigures are the SIGKILL runs: until the next master is in the
// room, and until it answers a ping sent the moment it joined.
type killFigures struct {
	ToJoin spread `json:"kill_to_join"`
	ToPong spread `json:"kill_to_pong"`
	// PongOverTTL gives the median and largest ToPong as multiples of
	// election.ttl (Redis mode); PongOverWindow as multiples of
	// raft.heartbeat_timeout + raft.election_timeout (raft mode).
	PongOverTTL    map[string]float64 `json:"kill_to_pong_over_ttl,omitempty"`
	PongOverWindow map[string]float64 `json:"kill_to_pong_over_window,omitempty"`
	// TargetMS is DESIGN.md's 1.2 x ttl + 0.5s, in raft mode with the
	// window in place of the ttl (DESIGN.md states no raft target).
	TargetMS float64 `json:"target_ms"`
	Failures int     `json:"failures"`
}

// termFigures are the SIGTERM runs. ChatGap runs from the signal until
// the next master answers a ping sent the moment it joined: the old
// master stops answering at the signal.
type termFigures struct {
	ToQuit     spread `json:"term_to_quit"`
	QuitToJoin spread `json:"quit_to_join"`
	ChatGap    spread `json:"chat_gap_term_to_pong"`
	// Graceful counts the old masters that exited within 15s.
	Graceful int `json:"graceful_exits"`
	Failures int `json:"failures"`
}

// TestFailoverFigures measures crash failover and graceful handover on
// three nodes: with election.ttl 2s in Redis mode, with the raft timing of
// the settings in raft mode.
func TestFailoverFigures(t *testing.T) {
	s := benchSettings(t)
	version, race := binaryInfo(t)
	res := failoverResult{Test: "failover", Time: time.Now().UTC(), Cores: runtime.NumCPU(),
		Nodes: 3, Mode: s.Mode, HeraldVersion: version, RaceBuild: race,
		LoadAvg: map[string][3]float64{}}
	spec, window := failoverSpec(s, &res)
	c := startCluster(t, spec)
	if _, ok := c.ping(answerWithin); !ok {
		t.Fatal("no pong before the first failover")
	}

	res.LoadAvg["before_kills"] = loadAvg()
	res.Kill = c.killRuns(t, s.FailoverRuns, window, s.Mode == "raft")
	res.LoadAvg["before_terms"] = loadAvg()
	res.Term = c.termRuns(t, s.FailoverRuns)
	emit(t, res, s.FailoverOut)
}

// failoverSpec returns the cluster of the failover figures and its
// failover window (election.ttl, or the raft heartbeat plus election
// timeouts), and notes the mode's settings in res.
func failoverSpec(s settings, res *failoverResult) (clusterSpec, time.Duration) {
	spec := clusterSpec{nodes: 3, jobConcurrency: s.JobConcurrency}
	if s.Mode == "raft" {
		spec.raft = &s.Raft
		res.Raft = &raftSettings{HeartbeatMS: ms(s.Raft.Heartbeat),
			ElectionMS: ms(s.Raft.Election), LeaseMS: ms(s.Raft.Lease),
			NodeTTLMS: ms(s.Raft.nodeTTL())}
		return spec, s.Raft.window()
	}
	spec.election = "election: {ttl: " + failoverTTL.String() + "}"
	res.TTLS = failoverTTL.Seconds()
	return spec, failoverTTL
}

// killRuns kills the master runs times, restarting it after each run.
// window is election.ttl, or the raft window when raft is true.
func (c *cluster) killRuns(t *testing.T, runs int, window time.Duration, raft bool) killFigures {
	var join, pong []time.Duration
	f := killFigures{TargetMS: ms(window*12/10 + 500*time.Millisecond)}
	for i := range runs {
		m := c.master(10 * time.Second)
		c.skipSeen()
		start := time.Now()
		m.Kill()
		h := c.watchHandover(start)
		t.Logf("kill %d of %s: joined after %v, answered after %v", i+1, m.ID, h.join, h.pong)
		if h.ok {
			join, pong = append(join, h.join), append(pong, h.pong)
		} else {
			f.Failures++
		}
		c.restart(m)
	}
	f.ToJoin, f.ToPong = spreadOf(join), spreadOf(pong)
	over := map[string]float64{
		"median": round3(f.ToPong.Median / ms(window)),
		"max":    round3(f.ToPong.Max / ms(window)),
	}
	if raft {
		f.PongOverWindow = over
	} else {
		f.PongOverTTL = over
	}
	return f
}

// termRuns stops the master with SIGTERM runs times, restarting it after
// each run.
func (c *cluster) termRuns(t *testing.T, runs int) termFigures {
	var quit, quitToJoin, gap []time.Duration
	var f termFigures
	for i := range runs {
		m := c.master(10 * time.Second)
		c.skipSeen()
		start := time.Now()
		m.SignalTerm()
		h := c.watchHandover(start)
		if m.Wait(stopWithin) {
			f.Graceful++
		}
		t.Logf("term %d of %s: quit after %v, joined after %v, answered after %v",
			i+1, m.ID, h.quit, h.join, h.pong)
		if h.ok && h.quit > 0 {
			quit, quitToJoin = append(quit, h.quit), append(quitToJoin, h.join-h.quit)
			gap = append(gap, h.pong)
		} else {
			f.Failures++
		}
		c.restart(m)
	}
	f.ToQuit, f.QuitToJoin, f.ChatGap = spreadOf(quit), spreadOf(quitToJoin), spreadOf(gap)
	return f
}

// handover is what the person saw after the master was signalled, as
// times since the signal. Quit is zero when the old bot's QUIT was not
// seen before the next one joined.
type handover struct {
	quit, join, pong time.Duration
	ok               bool
}

// watchHandover waits for the next master to join the room, then pings
// it until it answers. Times are taken as the person's client hands the
// lines over, which is at once when the cores are idle.
func (c *cluster) watchHandover(start time.Time) handover {
	var h handover
	_, joined := c.person.WaitFor(rejoinWithin, func(m irc.Message) bool {
		if isBotQuit(m) && h.quit == 0 {
			h.quit = time.Since(start)
		}
		return isBotJoin(m)
	})
	if !joined {
		return h
	}
	h.join = time.Since(start)
	h.pong, h.ok = c.pingUntilAnswered(start)
	return h
}

// pingUntilAnswered pings every pingRetry until a pong comes, within
// answerWithin, and returns the time since start.
func (c *cluster) pingUntilAnswered(start time.Time) (time.Duration, bool) {
	deadline := time.Now().Add(answerWithin)
	for time.Now().Before(deadline) {
		c.person.Say(room, botNick+": ping")
		if _, ok := c.person.WaitFor(pingRetry, isPong); ok {
			return time.Since(start), true
		}
	}
	return 0, false
}

// skipSeen makes the person's next waits start after everything received
// so far, so that a JOIN or QUIT of a master change before the signal (a
// raft election while the restarted node rejoined) is not counted as the
// handover: it pings the IRC server and waits for the echo of its token.
func (c *cluster) skipSeen() {
	c.t.Helper()
	c.marks++
	token := fmt.Sprintf("bench-mark-%d", c.marks)
	c.person.Send("PING :" + token)
	_, ok := c.person.WaitFor(answerWithin, func(m irc.Message) bool {
		return m.Command == "PONG" && m.Param(len(m.Params)-1) == token
	})
	if !ok {
		c.t.Fatalf("the IRC server did not answer PING %s within %v", token, answerWithin)
	}
}

// restart starts p again and waits until the cluster agrees on a master
// and p answers its status.
func (c *cluster) restart(p *clustertest.Proc) {
	c.t.Helper()
	p.Restart()
	c.waitStatus(upWithin)
	time.Sleep(restartSettle) // a settle time for the heartbeat, not a wait for a condition
}
