package bench

import (
	"slices"
	"strings"
	"time"

	"github.com/herald-chatops/herald/chat/irc"
)

// pingTimeout bounds the wait for one pong; a pong later than that is
// counted as a timeout, and then awaited once more so that it is not
// taken for the answer to the next ping.
const pingTimeout = 10 * time.Second

// pingResult sums up one series of pings.
type pingResult struct {
	Sent     int `json:"sent"`
	Answered int `json:"answered"`
	Timeouts int `json:"timeouts"`
	// Skipped pings were not sent because the series ran out of time.
	Skipped    int     `json:"skipped"`
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

// pingSeries sends n pings, one every interval, each after the previous
// pong; after a pong later than the interval the next ping goes at once
// and the pacing starts again from there. Pings not started by until are
// skipped; a zero until never skips.
func (c *cluster) pingSeries(n int, every time.Duration, until time.Time) pingResult {
	res := pingResult{IntervalMS: ms(every)}
	var rtts []time.Duration
	next := time.Now()
	for i := range n {
		if !until.IsZero() && next.After(until) {
			res.Skipped = n - i
			break
		}
		time.Sleep(time.Until(next)) // pacing of the series, not a wait for a condition
		next = next.Add(every)
		res.Sent++
		rtt, ok := c.ping(pingTimeout)
		next = later(next, time.Now())
		if !ok {
			res.Timeouts++
			c.person.WaitFor(pingTimeout, isPong)
			continue
		}
		rtts = append(rtts, rtt)
	}
	res.Answered = len(rtts)
	res.summarize(rtts)
	return res
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
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
