package github

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// maxLine bounds a formatted line: every part of it is cut short.
const maxLine = 1000

// fuzzEvents are the events FuzzFormat picks from by index.
var fuzzEvents = []string{"push", "pull_request", "issues", "issue_comment", "workflow_run",
	"check_run", "release", "deployment_status", "status", "ping"}

// FuzzFormat feeds random bodies to every formatter: none may panic, and
// every line must be one clean, bounded line of valid UTF-8.
func FuzzFormat(f *testing.F) {
	for i, ev := range fuzzEvents {
		for _, name := range payloadsOf(f, ev) {
			f.Add(uint8(i), readPayload(f, name))
		}
		f.Add(uint8(i), []byte(`{"action":"opened","repository":{"full_name":"a/b"}}`))
	}
	s := testSource(f)
	f.Fuzz(func(t *testing.T, i uint8, body []byte) {
		event := fuzzEvents[int(i)%len(fuzzEvents)]
		acts, err := s.Format(event, body)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoRoom) {
			t.Fatalf("Format(%s) error %v is neither ErrMalformed nor ErrNoRoom", event, err)
		}
		for _, a := range acts {
			if a.Target == "" || !a.Notice || len(a.Lines) == 0 || len(a.Lines) > 2 {
				t.Fatalf("Format(%s) made a bad action %+v", event, a)
			}
			for _, l := range a.Lines {
				checkLine(t, l)
			}
		}
	})
}

// payloadsOf names the recorded payloads of event.
func payloadsOf(f *testing.F, event string) []string {
	var names []string
	for _, name := range []string{"push.new-branch.json", "push.tag.json",
		"pull_request.opened.json", "pull_request.closed.json", "issues.opened.json",
		"issue_comment.created.json", "workflow_run.completed.json",
		"check_run.completed.json", "release.published.json",
		"deployment_status.event.json", "status.event.json", "ping.event.json"} {
		if strings.HasPrefix(name, event+".") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		f.Fatalf("no recorded payload for %s", event)
	}
	return names
}

// checkLine fails for a line that a chat service could read as more than
// one line or that is unbounded.
func checkLine(t *testing.T, l string) {
	t.Helper()
	if l == "" || len(l) > maxLine || !utf8.ValidString(l) {
		t.Fatalf("bad line (%d bytes): %q", len(l), l)
	}
	if strings.ContainsFunc(l, func(r rune) bool {
		return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) || isBidi(r)
	}) {
		t.Fatalf("line holds a control character: %q", l)
	}
}
