package chaos

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Report is the checker's verdict on one run.
type Report struct {
	Seed     uint64
	Duration time.Duration
	// Faults counts the faults injected, FaultsByKind by kind, and
	// FaultsInFlight those on the master that began with an echo still
	// unanswered.
	Faults         int
	FaultsByKind   map[FaultKind]int
	FaultsInFlight int

	// Sent counts every send; Heard and Unheard split them (see Send).
	Sent, Heard, Unheard int
	// Answered counts tokens answered at least once, UnheardAnswered
	// the unheard ones among them.
	Answered, UnheardAnswered int
	// Duplicates counts tokens answered more than once.
	Duplicates      int
	DuplicateTokens []string
	// NeverAnswered counts heard tokens never answered; Missing lists
	// the first of them. UnheardLost counts unheard ones never answered.
	NeverAnswered int
	Missing       []string
	UnheardLost   int
	// Foreign counts bot lines with a token nobody sent.
	Foreign int

	// Latency of the first answer to a heard token.
	LatencyP50, LatencyP99, LatencyMax time.Duration

	// Terms counts master terms that started.
	Terms int
	// LongestNoMaster is the longest time no live node held a term, by
	// the term logs and the deaths; NoMasterAt is when it began.
	LongestNoMaster time.Duration
	NoMasterAt      time.Time
	// LongestBotAbsent is the longest time no bot was in the channel, as
	// the person saw it; BotAbsentAt is when it began.
	LongestBotAbsent time.Duration
	BotAbsentAt      time.Time

	// StaleReplies are channel lines from a node outside its terms;
	// StaleActions are actions logged after their term ended.
	StaleReplies []Stale
	StaleActions []Stale

	// Exits are nodes that ended on their own; Panics counts panic lines.
	Exits  []string
	Panics int
}

// Problems lists why the run failed; empty means it passed.
func (r Report) Problems() []string {
	var p []string
	add := func(cond bool, format string, args ...any) {
		if cond {
			p = append(p, fmt.Sprintf(format, args...))
		}
	}
	add(r.NeverAnswered > 0, "%d heard echoes never answered, first %v",
		r.NeverAnswered, r.Missing)
	add(r.Duplicates > 0, "%d echoes answered more than once, first %v",
		r.Duplicates, r.DuplicateTokens)
	add(len(r.StaleReplies) > 0, "%d replies reached the channel from a node "+
		"whose term had ended", len(r.StaleReplies))
	add(len(r.StaleActions) > 0, "%d actions were performed after their term ended",
		len(r.StaleActions))
	add(len(r.Exits) > 0, "nodes ended on their own: %v", r.Exits)
	add(r.Panics > 0, "%d panics in node logs", r.Panics)
	add(r.Foreign > 0, "%d bot lines carry a token nobody sent", r.Foreign)
	add(r.Heard == 0, "no echo was heard: the run proves nothing")
	return p
}

// Text renders the report for a person.
func (r Report) Text() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("chaos report, seed %d, %v of traffic and drain", r.Seed, r.Duration.Round(time.Second))
	w("  faults:            %d (%s), %d on the master with an echo in flight",
		r.Faults, r.faultKinds(), r.FaultsInFlight)
	w("  tokens sent:       %d (%d heard, %d said while no live bot could hear)",
		r.Sent, r.Heard, r.Unheard)
	w("  answered:          %d (%d of the unheard ones)", r.Answered, r.UnheardAnswered)
	w("  answered twice+:   %d %v", r.Duplicates, r.DuplicateTokens)
	w("  never answered:    %d heard %v; %d unheard", r.NeverAnswered, r.Missing,
		r.UnheardLost)
	w("  answer latency:    p50 %v, p99 %v, max %v", ms(r.LatencyP50), ms(r.LatencyP99),
		ms(r.LatencyMax))
	w("  master terms:      %d", r.Terms)
	w("  longest no master: %v (term logs, from %s)", ms(r.LongestNoMaster),
		clock(r.NoMasterAt))
	w("  longest bot absent: %v (channel, from %s)", ms(r.LongestBotAbsent),
		clock(r.BotAbsentAt))
	w("  stale-term lines:  %d in the channel, %d in action logs",
		len(r.StaleReplies), len(r.StaleActions))
	for _, s := range append(append([]Stale(nil), r.StaleReplies...), r.StaleActions...) {
		w("    %s term %d %s at %s, %v after its term ended", s.Node, s.Term, s.What,
			clock(s.At), ms(s.Late))
	}
	w("  node exits:        %v; panics: %d", r.Exits, r.Panics)
	if p := r.Problems(); len(p) > 0 {
		w("  FAILED: %s", strings.Join(p, "; "))
	} else {
		w("  PASSED")
	}
	return b.String()
}

func (r Report) faultKinds() string {
	var parts []string
	for _, k := range FaultKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.FaultsByKind[k]))
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("15:04:05.000")
}

// jsonReport is the JSON form of a report: durations in seconds.
type jsonReport struct {
	Seed            uint64            `json:"seed"`
	Seconds         float64           `json:"seconds"`
	Faults          int               `json:"faults"`
	FaultsByKind    map[FaultKind]int `json:"faults_by_kind"`
	FaultsInFlight  int               `json:"faults_in_flight"`
	Sent            int               `json:"sent"`
	Heard           int               `json:"heard"`
	Unheard         int               `json:"unheard"`
	Answered        int               `json:"answered"`
	UnheardAnswered int               `json:"unheard_answered"`
	Duplicates      int               `json:"answered_more_than_once"`
	NeverAnswered   int               `json:"never_answered"`
	Missing         []string          `json:"never_answered_first"`
	UnheardLost     int               `json:"unheard_never_answered"`
	P50             float64           `json:"latency_p50_s"`
	P99             float64           `json:"latency_p99_s"`
	Max             float64           `json:"latency_max_s"`
	Terms           int               `json:"terms"`
	NoMaster        float64           `json:"longest_no_master_s"`
	BotAbsent       float64           `json:"longest_bot_absent_s"`
	StaleReplies    int               `json:"stale_replies"`
	StaleActions    int               `json:"stale_actions"`
	Exits           []string          `json:"unexpected_exits"`
	Panics          int               `json:"panics"`
	Passed          bool              `json:"passed"`
}

// JSON renders the report as one line of JSON.
func (r Report) JSON() string {
	j := jsonReport{Seed: r.Seed, Seconds: r.Duration.Seconds(), Faults: r.Faults,
		FaultsByKind: r.FaultsByKind, FaultsInFlight: r.FaultsInFlight, Sent: r.Sent,
		Heard: r.Heard, Unheard: r.Unheard, Answered: r.Answered,
		UnheardAnswered: r.UnheardAnswered, Duplicates: r.Duplicates,
		NeverAnswered: r.NeverAnswered, Missing: r.Missing, UnheardLost: r.UnheardLost,
		P50: r.LatencyP50.Seconds(), P99: r.LatencyP99.Seconds(),
		Max: r.LatencyMax.Seconds(), Terms: r.Terms, NoMaster: r.LongestNoMaster.Seconds(),
		BotAbsent: r.LongestBotAbsent.Seconds(), StaleReplies: len(r.StaleReplies),
		StaleActions: len(r.StaleActions), Exits: r.Exits, Panics: r.Panics,
		Passed: len(r.Problems()) == 0}
	out, err := json.Marshal(j)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(out)
}
