package bench

import (
	"slices"
	"strings"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/node/clustertest"
)

// pongWait bounds the wait, after the last ping of a series, for the
// pongs still missing; those that do not come count as timeouts.
const pongWait = 30 * time.Second

// pingResult sums up one series of pings.
type pingResult struct {
	Sent     int `json:"sent"`
	Answered int `json:"answered"`
	// Timeouts are pings without a pong within 30s of the last ping.
	// Pongs are matched to pings in order, so after a lost one the later
	// round trips are off by an interval: trust a series without any.
	Timeouts   int     `json:"timeouts"`
	IntervalMS float64 `json:"interval_ms"`
	P50MS      float64 `json:"p50_ms"`
	P90MS      float64 `json:"p90_ms"`
	P99MS      float64 `json:"p99_ms"`
	MaxMS      float64 `json:"max_ms"`
	MeanMS     float64 `json:"mean_ms"`
}

// ping says `herald: ping` in the room and waits up to within for the
// pong; it returns the round trip and whether the pong came.
func (c *cluster) ping(within time.Duration) (time.Duration, bool) {
	start := time.Now()
	c.person.Say(room, botNick+": ping")
	_, ok := c.person.WaitFor(within, isPong)
	return time.Since(start), ok
}

// pingSeries says `herald: ping` n times, one every interval whatever
// the answers (so a slow answer delays no later ping, and the figures
// show what a person sees), then waits for the pongs. The bot answers
// one person's pings in the order they were said (one inbound list, one
// outbound list), and all pongs read alike, so the i-th pong is taken as
// the answer to the i-th ping; times are those at which the person's
// client read each pong.
func (c *cluster) pingSeries(n int, every time.Duration) pingResult {
	res := pingResult{Sent: n, IntervalMS: ms(every)}
	first := time.Now()
	sent := make([]time.Time, 0, n)
	for i := range n {
		time.Sleep(time.Until(first.Add(time.Duration(i) * every))) // pacing, not a wait
		sent = append(sent, time.Now())
		c.person.Say(room, botNick+": ping")
	}
	var pongs []time.Time
	clustertest.Eventually(pongWait, func() bool {
		pongs = c.pongsSince(first)
		return len(pongs) >= n
	})
	pongs = pongs[:min(len(pongs), n)]
	rtts := make([]time.Duration, len(pongs))
	for i, at := range pongs {
		rtts[i] = at.Sub(sent[i])
	}
	res.Answered, res.Timeouts = len(rtts), n-len(rtts)
	res.summarize(rtts)
	return res
}

// pongsSince returns when the person read each pong from since on.
func (c *cluster) pongsSince(since time.Time) []time.Time {
	var out []time.Time
	for _, l := range c.person.Lines() {
		if !l.At.Before(since) && l.Target == room && strings.HasPrefix(l.From, botNick) &&
			l.Text == personNick+": pong" {
			out = append(out, l.At)
		}
	}
	return out
}

// summarize fills in the percentiles of rtts.
func (r *pingResult) summarize(rtts []time.Duration) {
	if len(rtts) == 0 {
		return
	}
	slices.Sort(rtts)
	var sum time.Duration
	for _, d := range rtts {
		sum += d
	}
	r.P50MS = ms(percentile(rtts, 50))
	r.P90MS = ms(percentile(rtts, 90))
	r.P99MS = ms(percentile(rtts, 99))
	r.MaxMS = ms(rtts[len(rtts)-1])
	r.MeanMS = ms(sum / time.Duration(len(rtts)))
}

// isPong matches the bot's answer to the person's ping in the room.
func isPong(m irc.Message) bool {
	return m.Command == "PRIVMSG" && strings.HasPrefix(m.Nick(), botNick) &&
		m.Param(0) == room && m.Param(1) == personNick+": pong"
}
