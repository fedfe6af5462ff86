package bench

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/herald-chatops/herald/chat/irc/ircdtest"
	"github.com/herald-chatops/herald/node/clustertest"
)

// drainLimit bounds the wait, after the load, for every accepted webhook
// to be accounted for in chat.
const drainLimit = 5 * time.Minute

// How the bot says the recorded push: a first line per webhook (and a
// commit line after it), or a summary standing for many.
var (
	pushFirstLine = "[Codertocat/Hello-World] "
	summaryRE     = regexp.MustCompile(`^\.\.\. and (\d+) more notifications? \(coalesced`)
)

// chatResult is what reached the room from the webhooks.
type chatResult struct {
	// Lines the bot said in the room from the start of the load on,
	// answers to the person left out.
	Lines        int `json:"lines"`
	SummaryLines int `json:"summary_lines"`
	// LinesDuringLoad were said while wrk ran.
	LinesDuringLoad     int     `json:"lines_during_load"`
	LinesPerSDuringLoad float64 `json:"lines_per_s_during_load"`
	// WindowS runs from the start of the load to the last line.
	WindowS   float64 `json:"window_s"`
	LinesPerS float64 `json:"lines_per_s"`
	// WebhooksSaid counts the webhooks the lines stood for: one per
	// first line, and the number each summary gives. It lies between
	// the accepted webhooks and those sent (see intake.sent); above the
	// sent ones, some webhook was said twice, and Duplicates is true.
	WebhooksSaid    int64   `json:"webhooks_said"`
	Duplicates      bool    `json:"duplicates"`
	WebhooksPerLine float64 `json:"webhooks_per_line"`
	// WebhooksPerS is WebhooksSaid over WindowS: how fast webhooks went
	// from intake to chat, end to end.
	WebhooksPerS float64 `json:"webhooks_per_s"`
	// Drained is true when every accepted webhook was accounted for
	// within the drain limit; DrainAfterLoadS is how long after the end
	// of the load that took.
	Drained         bool    `json:"drained"`
	DrainAfterLoadS float64 `json:"drain_after_load_s"`
	// BacklogAtLoadEnd are the list lengths when wrk stopped.
	BacklogAtLoadEnd map[string]int64 `json:"backlog_at_load_end"`
}

// chatCount is a count of the bot's webhook lines in the room.
type chatCount struct {
	lines, summaries, during int
	said                     int64
	last                     time.Time
}

// countChat counts the bot's lines in the room received from start on;
// those up to loadEnd count as during the load.
func countChat(lines []ircdtest.Line, start, loadEnd time.Time) chatCount {
	var c chatCount
	for _, l := range lines {
		if l.At.Before(start) || l.Target != room || !strings.HasPrefix(l.From, botNick) ||
			strings.HasPrefix(l.Text, personNick+": ") {
			continue
		}
		c.lines++
		c.last = l.At
		if !l.At.After(loadEnd) {
			c.during++
		}
		if strings.HasPrefix(l.Text, pushFirstLine) {
			c.said++
		} else if m := summaryRE.FindStringSubmatch(l.Text); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			c.said += n
			c.summaries++
		}
	}
	return c
}

// chatFigures waits until the room accounts for accepted webhooks (or
// the drain limit passes) and sums up the lines since start.
func (c *cluster) chatFigures(start, loadEnd time.Time, in intakeResult,
	backlog map[string]int64) chatResult {
	var n chatCount
	drained := clustertest.Eventually(drainLimit, func() bool {
		n = countChat(c.person.Lines(), start, loadEnd)
		return n.said >= in.Accepted
	})
	res := chatResult{Lines: n.lines, SummaryLines: n.summaries, LinesDuringLoad: n.during,
		WebhooksSaid: n.said, Duplicates: n.said > in.Sent, Drained: drained,
		BacklogAtLoadEnd: backlog}
	load := loadEnd.Sub(start).Seconds()
	res.LinesPerSDuringLoad = round3(float64(n.during) / load)
	if drained {
		res.DrainAfterLoadS = round3(max(n.last.Sub(loadEnd).Seconds(), 0))
	}
	res.WindowS = round3(n.last.Sub(start).Seconds())
	if n.lines > 0 && res.WindowS > 0 {
		res.LinesPerS = round3(float64(n.lines) / res.WindowS)
		res.WebhooksPerLine = round3(float64(n.said) / float64(n.lines))
		res.WebhooksPerS = round3(float64(n.said) / res.WindowS)
	}
	return res
}
