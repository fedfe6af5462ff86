package metrics

import "regexp"

// The sets of label values; anything else is counted as "other". They
// are written out rather than imported so that this package depends on
// nothing of Herald's and a renamed list shows up here as a failing test.
var (
	lanes          = set("inbound", "jobs")
	lists          = set("inbound", "outbound", "notices", "jobs", "dead")
	outcomes       = set(OutcomeOK, OutcomeRetry, OutcomeDead)
	actionOutcomes = set(ActionSent, ActionDuplicate, ActionUnsupported, ActionReleased,
		ActionFailed)
	kinds    = set("send", "reply", "topic", "join", "part")
	backends = set("redis", "raft")
	ops      = set("push", "pop", "ack", "retry", "release", "claim", "unclaim",
		"heartbeat", "nodes", "reap", "depths", "dead_letters", "requeue", "ping",
		"campaign", "renew", "step_down")
)

// labelValue is what a source or event name may look like as a label:
// GitHub's event names (pull_request, check_run) and source names fit.
var labelValue = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

func set(values ...string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

// oneOf returns v when it is in allowed, else "other".
func oneOf(v string, allowed map[string]bool) string {
	if allowed[v] {
		return v
	}
	return other
}

// eventLabel returns the label value for a webhook's event: the name
// itself for the first maxEvents well-formed names of a source, "other"
// after and for a malformed name, and "" for none.
func (m *Metrics) eventLabel(source, event string) string {
	if event == "" {
		return ""
	}
	if !labelValue.MatchString(event) {
		return other
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := m.events[source]
	if seen == nil {
		seen = map[string]bool{}
		m.events[source] = seen
	}
	if !seen[event] && len(seen) >= maxEvents {
		return other
	}
	seen[event] = true
	return event
}
