package github

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/herald-chatops/herald/chat"
)

// Errors of Format, so that the job worker can count them apart.
var (
	// ErrNoFormatter is returned by Format for an event it does not know.
	ErrNoFormatter = errors.New("github: no formatter for event")
	// ErrNoRoom is returned by Format when no route matches the
	// repository and webhooks.github.room is empty.
	ErrNoRoom = errors.New("github: no room for repository")
)

// note is an event put into lines, before it is routed to a room.
type note struct {
	// repo is OWNER/NAME as GitHub sent it, "" for an organization.
	repo  string
	lines []string
}

// formatter decodes one event's body and puts it into lines; no lines
// means the event is deliberately left out of chat.
type formatter func(body []byte) (note, error)

// formatters are the events Format knows.
var formatters = map[string]formatter{
	"push":              formatPush,
	"pull_request":      formatPullRequest,
	"issues":            formatIssues,
	"issue_comment":     formatIssueComment,
	"workflow_run":      formatWorkflowRun,
	"check_run":         formatCheckRun,
	"release":           formatRelease,
	"deployment_status": formatDeploymentStatus,
	"status":            formatStatus,
	"ping":              formatPing,
}

// Format turns the body of event into one Send action with Notice set,
// to the room routed for its repository, holding one or two lines. The
// caller sets the action ID.
//
// It returns (nil, nil) for an event left out of chat on purpose (a pull
// request labeled, a status still pending), ErrNoFormatter for an
// unknown event, ErrNoRoom when the repository has no room, and an error
// wrapping ErrMalformed for a body it cannot decode.
func (s *Source) Format(event string, body []byte) ([]chat.Action, error) {
	f, ok := formatters[event]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrNoFormatter, event)
	}
	n, err := f(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s event: %w", ErrMalformed, event, err)
	}
	if len(n.lines) == 0 {
		return nil, nil
	}
	room := s.Room(n.repo)
	if room == "" {
		return nil, fmt.Errorf("%w %q", ErrNoRoom, clean(n.repo, maxRef))
	}
	return []chat.Action{{Kind: chat.Send, Target: room, Lines: n.lines, Notice: true}}, nil
}

// decode reads body into v, which must be a pointer to an event struct.
func decode(body []byte, v any) error {
	return json.Unmarshal(body, v)
}
