package chaos

import (
	"cmp"
	"slices"
	"time"
)

// Slack is how much later than the end of its term a line may reach the
// channel, or be logged, before the checker calls it stale: the time a
// line takes from a node's socket through the IRC server to the person,
// and the millisecond rounding of log times. A node that honours its
// lease stops election.drift before a newer term can begin, so a correct
// run has a margin of its own on top.
const Slack = 100 * time.Millisecond

// listed is how many tokens a report lists by name in each category.
const listed = 10

// Send is one message the person said.
type Send struct {
	Token string
	At    time.Time
	// Heard is true when a live bot was in the channel and Redis was up
	// at the moment of sending (see the package doc).
	Heard bool
}

// Reply is one line a bot connection said in the channel.
type Reply struct {
	Token string
	// Node is the node whose connection said it, from the user name the
	// node registered with.
	Node string
	Nick string
	At   time.Time
}

// Presence is a change in whether any bot connection is in the channel.
type Presence struct {
	At      time.Time
	Present bool
}

// Death is when a node's process ended: the moment of a SIGKILL, or the
// exit after a SIGTERM.
type Death struct {
	Node string
	At   time.Time
}

// FaultRecord is one fault as it was injected.
type FaultRecord struct {
	Fault
	// Target is the node hit, or "redis".
	Target string
	// At is when the fault began and End when its target was back.
	At, End time.Time
	// InFlight is true when a fault on the master began before the last
	// heard echo was answered (it waited two seconds for it).
	InFlight bool
}

// Input is everything recorded during a run.
type Input struct {
	Seed uint64
	// Start is when traffic began, End when the drain ended.
	Start, End time.Time
	Sends      []Send
	Replies    []Reply
	Logs       Logs
	Deaths     []Death
	Presence   []Presence
	Faults     []FaultRecord
	// Exits are nodes that ended without being told to.
	Exits []string
}

// Stale is a line sent, or logged as sent, by a node after its term had
// ended.
type Stale struct {
	Node string
	// Term is the action's term; zero for a line seen in the channel,
	// which carries no term.
	Term uint64
	// What is the token of a channel line or the msg_id of an action.
	What string
	At   time.Time
	// Late is how long after the end of the node's term it was.
	Late time.Duration
}

// termSpan is one term: from its start to the earliest of its own end
// line and the start of a newer term; alive also ends at its node's
// death.
type termSpan struct {
	node       string
	term       uint64
	start, end time.Time
	alive      time.Time
}

// Check turns what was recorded into a report.
func Check(in Input) Report {
	r := Report{Seed: in.Seed, Duration: in.End.Sub(in.Start), Exits: in.Exits,
		Panics: len(in.Logs.Panics), FaultsByKind: map[FaultKind]int{}}
	for _, f := range in.Faults {
		r.Faults++
		r.FaultsByKind[f.Kind]++
		if f.InFlight {
			r.FaultsInFlight++
		}
	}
	r.countTokens(in)
	spans := termSpans(in)
	r.Terms = len(spans)
	r.StaleReplies = staleReplies(in.Replies, spans)
	r.StaleActions = staleActions(in.Logs.Actions, spans)
	r.LongestNoMaster, r.NoMasterAt = longestNoMaster(spans, in.Start, in.End)
	r.LongestBotAbsent, r.BotAbsentAt = longestAbsence(in.Presence, in.Start, in.End)
	return r
}

// countTokens counts sends, answers, duplicates and latencies.
func (r *Report) countTokens(in Input) {
	first := map[string]time.Time{}
	count := map[string]int{}
	sent := map[string]bool{}
	for _, s := range in.Sends {
		sent[s.Token] = true
	}
	for _, rep := range in.Replies {
		if !sent[rep.Token] {
			r.Foreign++
			continue
		}
		if count[rep.Token] == 0 || rep.At.Before(first[rep.Token]) {
			first[rep.Token] = rep.At
		}
		count[rep.Token]++
	}
	var waits []time.Duration
	for _, s := range in.Sends {
		r.tally(s, count[s.Token])
		if s.Heard && count[s.Token] > 0 {
			waits = append(waits, first[s.Token].Sub(s.At))
		}
	}
	r.LatencyP50, r.LatencyP99, r.LatencyMax = percentiles(waits)
}

// tally adds one send answered n times to the counts.
func (r *Report) tally(s Send, n int) {
	r.Sent++
	if s.Heard {
		r.Heard++
	} else {
		r.Unheard++
	}
	switch {
	case n > 1:
		r.Duplicates++
		r.DuplicateTokens = appendListed(r.DuplicateTokens, s.Token)
	case n == 0 && s.Heard:
		r.NeverAnswered++
		r.Missing = appendListed(r.Missing, s.Token)
	case n == 0:
		r.UnheardLost++
	}
	if n > 0 {
		r.Answered++
		if !s.Heard {
			r.UnheardAnswered++
		}
	}
}

func appendListed(list []string, s string) []string {
	if len(list) < listed {
		return append(list, s)
	}
	return list
}

// percentiles returns the median, the 99th percentile and the largest of
// ds.
func percentiles(ds []time.Duration) (p50, p99, top time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))] }
	return at(0.50), at(0.99), ds[len(ds)-1]
}

// termSpans builds each term's span from the term lines and the deaths.
func termSpans(in Input) []termSpan {
	var spans []termSpan
	ends := map[uint64]time.Time{}
	for _, e := range in.Logs.Terms {
		if e.Started {
			spans = append(spans, termSpan{node: e.Node, term: e.Term, start: e.At})
		} else if old, ok := ends[e.Term]; !ok || e.At.Before(old) {
			ends[e.Term] = e.At
		}
	}
	slices.SortFunc(spans, func(a, b termSpan) int { return cmp.Compare(a.term, b.term) })
	for i := range spans {
		s := &spans[i]
		s.end = in.End
		if end, ok := ends[s.term]; ok {
			s.end = end
		}
		for _, newer := range spans[i+1:] {
			s.end = earliest(s.end, newer.start)
		}
		s.alive = s.end
		for _, d := range in.Deaths {
			if d.Node == s.node && !d.At.Before(s.start) {
				s.alive = earliest(s.alive, d.At)
			}
		}
	}
	return spans
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// staleReplies returns the channel lines said by a node outside all of
// its terms.
func staleReplies(replies []Reply, spans []termSpan) []Stale {
	var out []Stale
	for _, rep := range replies {
		late, ok := outside(rep.Node, rep.At, spans)
		if !ok {
			out = append(out, Stale{Node: rep.Node, What: rep.Token, At: rep.At, Late: late})
		}
	}
	return out
}

// outside reports whether node held a term at at (within Slack), and if
// not, how long after its last earlier term ended at is.
func outside(node string, at time.Time, spans []termSpan) (time.Duration, bool) {
	late := time.Duration(-1)
	for _, s := range spans {
		if s.node != node || at.Before(s.start.Add(-Slack)) {
			continue
		}
		if !at.After(s.end.Add(Slack)) {
			return 0, true
		}
		if d := at.Sub(s.end); late < 0 || d < late {
			late = d
		}
	}
	return late, false
}

// staleActions returns the performed actions logged after their own
// term had ended, or with a term their node never held.
func staleActions(actions []Action, spans []termSpan) []Stale {
	byTerm := map[uint64]termSpan{}
	for _, s := range spans {
		byTerm[s.term] = s
	}
	var out []Stale
	for _, a := range actions {
		s, ok := byTerm[a.Term]
		st := Stale{Node: a.Node, Term: a.Term, What: a.MsgID, At: a.At, Late: -1}
		switch {
		case !ok || s.node != a.Node:
			out = append(out, st)
		case a.At.After(s.end.Add(Slack)):
			st.Late = a.At.Sub(s.end)
			out = append(out, st)
		}
	}
	return out
}

// longestNoMaster returns the longest stretch of [from, to] that no
// term covered while its node was alive, and where it began.
func longestNoMaster(spans []termSpan, from, to time.Time) (time.Duration, time.Time) {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b termSpan) int { return a.start.Compare(b.start) })
	covered := from // everything before it is covered or outside the window
	var gap time.Duration
	var at time.Time
	for _, s := range sorted {
		if s.start.After(covered) && s.start.After(from) {
			if d := earliest(s.start, to).Sub(covered); d > gap {
				gap, at = d, covered
			}
		}
		if s.alive.After(covered) {
			covered = s.alive
		}
	}
	if d := to.Sub(covered); d > gap {
		gap, at = d, covered
	}
	return gap, at
}

// longestAbsence returns the longest stretch of [from, to] with no bot
// connection in the channel, and where it began. Changes before from set
// the state at from.
func longestAbsence(changes []Presence, from, to time.Time) (time.Duration, time.Time) {
	present := false
	var since time.Time
	var gap time.Duration
	var at time.Time
	note := func(end time.Time) {
		start := since
		if start.Before(from) {
			start = from
		}
		if d := end.Sub(start); d > gap {
			gap, at = d, start
		}
	}
	for _, c := range changes {
		if c.At.After(to) {
			break
		}
		if present && !c.Present {
			since = c.At
		}
		if !present && c.Present && !since.IsZero() && c.At.After(from) {
			note(c.At)
		}
		present = c.Present
	}
	if !present && !since.IsZero() {
		note(to)
	}
	return gap, at
}
