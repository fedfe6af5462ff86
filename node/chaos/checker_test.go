package chaos

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns t0 plus ms milliseconds.
func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func started(node string, term uint64, ms int) TermEvent {
	return TermEvent{Node: node, Term: term, At: at(ms), Started: true, Reason: "won"}
}

func ended(node string, term uint64, ms int) TermEvent {
	return TermEvent{Node: node, Term: term, At: at(ms), Reason: "lease_expired"}
}

// base is a clean run: n1 master from the start, three heard echoes
// answered once each.
func base() Input {
	return Input{Seed: 7, Start: at(0), End: at(10_000),
		Sends: []Send{{"a", at(100), true}, {"b", at(200), true}, {"c", at(300), true}},
		Replies: []Reply{{"a", "n1", "herald", at(105)}, {"b", "n1", "herald", at(210)},
			{"c", "n1", "herald", at(330)}},
		Logs:     Logs{Terms: []TermEvent{started("n1", 1, -500)}},
		Presence: []Presence{{at(-400), true}},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Input)
		check  func(t *testing.T, r Report)
	}{
		{"clean run", func(*Input) {}, func(t *testing.T, r Report) {
			want(t, len(r.Problems()) == 0, "problems %v", r.Problems())
			want(t, r.Sent == 3 && r.Heard == 3 && r.Answered == 3, "counts %+v", r)
			want(t, r.LatencyMax == 30*time.Millisecond, "max latency %v", r.LatencyMax)
			want(t, r.LongestNoMaster == 0, "no master %v", r.LongestNoMaster)
		}},
		{"answered twice", func(in *Input) {
			in.Replies = append(in.Replies, Reply{"b", "n1", "herald", at(900)})
		}, func(t *testing.T, r Report) {
			want(t, r.Duplicates == 1 && slices.Equal(r.DuplicateTokens, []string{"b"}),
				"duplicates %d %v", r.Duplicates, r.DuplicateTokens)
			want(t, len(r.Problems()) == 1, "problems %v", r.Problems())
		}},
		{"heard and never answered", func(in *Input) { in.Replies = in.Replies[1:] },
			func(t *testing.T, r Report) {
				want(t, r.NeverAnswered == 1 && slices.Equal(r.Missing, []string{"a"}),
					"missing %d %v", r.NeverAnswered, r.Missing)
				want(t, len(r.Problems()) == 1, "problems %v", r.Problems())
			}},
		{"unheard and never answered is no failure", func(in *Input) {
			in.Sends[0].Heard = false
			in.Replies = in.Replies[1:]
		}, func(t *testing.T, r Report) {
			want(t, r.UnheardLost == 1 && r.NeverAnswered == 0, "%+v", r)
			want(t, len(r.Problems()) == 0, "problems %v", r.Problems())
		}},
		{"reply of a node after a newer term began", func(in *Input) {
			in.Logs.Terms = append(in.Logs.Terms, started("n2", 2, 5000))
			in.Replies = append(in.Replies, Reply{"x", "n1", "herald", at(6000)})
			in.Sends = append(in.Sends, Send{"x", at(5900), false})
		}, func(t *testing.T, r Report) {
			want(t, len(r.StaleReplies) == 1 && r.StaleReplies[0].Late == time.Second,
				"stale %+v", r.StaleReplies)
		}},
		{"reply within the slack of the term's end", func(in *Input) {
			in.Logs.Terms = append(in.Logs.Terms, ended("n1", 1, 5000))
			in.Replies = append(in.Replies, Reply{"x", "n1", "herald", at(5050)})
			in.Sends = append(in.Sends, Send{"x", at(5000), true})
		}, func(t *testing.T, r Report) {
			want(t, len(r.StaleReplies) == 0, "stale %+v", r.StaleReplies)
		}},
		{"action logged after its own term's end", func(in *Input) {
			in.Logs.Terms = append(in.Logs.Terms, ended("n1", 1, 3000))
			in.Logs.Actions = []Action{{Node: "n1", Term: 1, At: at(2000), MsgID: "ok"},
				{Node: "n1", Term: 1, At: at(4000), MsgID: "late"}}
		}, func(t *testing.T, r Report) {
			want(t, len(r.StaleActions) == 1 && r.StaleActions[0].What == "late" &&
				r.StaleActions[0].Late == time.Second, "stale %+v", r.StaleActions)
		}},
		{"action with a term its node never held", func(in *Input) {
			in.Logs.Actions = []Action{{Node: "n2", Term: 1, At: at(2000), MsgID: "m"}}
		}, func(t *testing.T, r Report) {
			want(t, len(r.StaleActions) == 1, "stale %+v", r.StaleActions)
		}},
		{"no master from a kill to the next term", func(in *Input) {
			in.Deaths = []Death{{"n1", at(2000)}}
			in.Logs.Terms = append(in.Logs.Terms, started("n2", 2, 4500))
		}, func(t *testing.T, r Report) {
			want(t, r.LongestNoMaster == 2500*time.Millisecond && r.NoMasterAt.Equal(at(2000)),
				"no master %v from %v", r.LongestNoMaster, r.NoMasterAt)
			want(t, r.Terms == 2, "terms %d", r.Terms)
		}},
		{"no master after the last term ended", func(in *Input) {
			in.Logs.Terms = append(in.Logs.Terms, ended("n1", 1, 7000))
		}, func(t *testing.T, r Report) {
			want(t, r.LongestNoMaster == 3*time.Second, "no master %v", r.LongestNoMaster)
		}},
		{"bot absent from the channel", func(in *Input) {
			in.Presence = append(in.Presence, Presence{at(2000), false},
				Presence{at(3200), true}, Presence{at(9500), false})
		}, func(t *testing.T, r Report) {
			want(t, r.LongestBotAbsent == 1200*time.Millisecond &&
				r.BotAbsentAt.Equal(at(2000)), "absent %v from %v", r.LongestBotAbsent,
				r.BotAbsentAt)
		}},
		{"a token nobody sent", func(in *Input) {
			in.Replies = append(in.Replies, Reply{"zz", "n1", "herald", at(500)})
		}, func(t *testing.T, r Report) {
			want(t, r.Foreign == 1 && len(r.Problems()) == 1, "foreign %d", r.Foreign)
		}},
		{"faults counted by kind", func(in *Input) {
			in.Faults = []FaultRecord{{Fault: Fault{Kind: Kill}},
				{Fault: Fault{Kind: Kill}, InFlight: true}, {Fault: Fault{Kind: RedisRestart}}}
		}, func(t *testing.T, r Report) {
			want(t, r.Faults == 3 && r.FaultsByKind[Kill] == 2 && r.FaultsInFlight == 1,
				"faults %d %v %d", r.Faults, r.FaultsByKind, r.FaultsInFlight)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.change(&in)
			tt.check(t, Check(in))
		})
	}
}

func want(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

func TestReportRendering(t *testing.T) {
	in := base()
	in.Replies = in.Replies[1:]
	r := Check(in)
	text, js := r.Text(), r.JSON()
	for _, s := range []string{"seed 7", "never answered:    1 heard [a]", "FAILED"} {
		want(t, strings.Contains(text, s), "text lacks %q:\n%s", s, text)
	}
	for _, s := range []string{`"seed":7`, `"never_answered":1`, `"passed":false`} {
		want(t, strings.Contains(js, s), "JSON lacks %q: %s", s, js)
	}
	want(t, !strings.Contains(js, "\n"), "JSON is not one line: %s", js)
}
