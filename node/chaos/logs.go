package chaos

import (
	"strconv"
	"strings"
	"time"

	"github.com/herald-chatops/herald/node/clustertest"
)

// TermEvent is the start or the end of a master term, as the elector of
// a node logged it.
type TermEvent struct {
	Node    string
	Term    uint64
	At      time.Time
	Started bool
	// Reason is why the term ended (lease_expired, lock_lost, shutdown,
	// stepped_down, ...), or "won" for a start.
	Reason string
}

// Action is one `action performed` line: a line the node's chat adapter
// sent to chat.
type Action struct {
	Node  string
	Term  uint64
	At    time.Time
	MsgID string
	Kind  string
}

// Logs is what the checker takes from the nodes' logs.
type Logs struct {
	Terms   []TermEvent
	Actions []Action
	// Panics are lines that show a Go panic or a fatal runtime error in
	// a node.
	Panics []clustertest.LogLine
}

// ParseLogs picks the term starts and ends, the performed actions and any
// panic out of the nodes' log lines. A line's own time= field is used
// when it has one, so that a reader falling behind does not move events;
// otherwise the time the line was read.
func ParseLogs(lines []clustertest.LogLine) Logs {
	var out Logs
	for _, l := range lines {
		if isPanic(l.Text) {
			out.Panics = append(out.Panics, l)
			continue
		}
		f := Fields(l.Text)
		at := lineTime(f, l.Time)
		node := f["node"]
		if node == "" {
			node = l.Node
		}
		term, _ := strconv.ParseUint(f["term"], 10, 64)
		switch f["msg"] {
		case "master term started", "master term ended":
			out.Terms = append(out.Terms, TermEvent{Node: node, Term: term, At: at,
				Started: f["msg"] == "master term started", Reason: f["reason"]})
		case "action performed":
			out.Actions = append(out.Actions, Action{Node: node, Term: term, At: at,
				MsgID: f["msg_id"], Kind: f["kind"]})
		}
	}
	return out
}

func isPanic(text string) bool {
	return strings.HasPrefix(text, "panic: ") || strings.HasPrefix(text, "fatal error: ")
}

func lineTime(f map[string]string, read time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, f["time"]); err == nil {
		return t
	}
	return read
}

// Fields takes a log/slog text line apart into its key=value pairs. A
// quoted value is unquoted; a line that is not key=value text gives what
// could be read before the first malformed pair.
func Fields(line string) map[string]string {
	out := map[string]string{}
	rest := strings.TrimSpace(line)
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 || strings.ContainsAny(rest[:eq], " \"") {
			return out
		}
		key := rest[:eq]
		val, tail, ok := value(rest[eq+1:])
		if !ok {
			return out
		}
		out[key] = val
		rest = strings.TrimLeft(tail, " ")
	}
	return out
}

// value reads one value off the front of s: a quoted string up to its
// closing quote, or everything up to the next space.
func value(s string) (val, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		if i := strings.IndexByte(s, ' '); i >= 0 {
			return s[:i], s[i:], true
		}
		return s, "", true
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			return v, s[i+1:], err == nil
		}
	}
	return "", "", false
}
