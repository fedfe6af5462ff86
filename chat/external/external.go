// Package external turns the `chat.commands` entries of the configuration
// into chat routes whose handlers are programs or HTTP endpoints, so that
// a team can write handlers in any language without Go.
//
// Both kinds get the same input, a JSON object:
//
//	{"v": 1, "command": "NAME", "message": {...}, "match": ["whole", "group1"],
//	 "groups": {"name": "value"}}
//
// where message is the chat message as it is on the inbound list (id,
// room, user, text, private, addressed, time) and groups holds the
// pattern's named groups.
//
//   - exec: the program runs without a shell, with the configured
//     arguments only; the input comes on stdin. Each line on stdout is
//     replied (the first 64 KiB). Stderr is logged, cut to 512 bytes. A non-zero
//     exit or a run past the timeout (which kills the program's whole
//     process group) is a failure. The environment holds only PATH, HOME,
//     LANG, LC_ALL, TZ, TMPDIR and HERALD_COMMAND: none of Herald's
//     settings or secrets.
//   - http: the input is POSTed to the URL. A 2xx answer of type
//     application/json {"lines": [...]} or text/plain (one reply per
//     line) is replied; 204 replies nothing. Any other status, a redirect
//     or a timeout is a failure. With a secret, X-Herald-Signature-256
//     signs the body like GitHub's webhooks.
//
// A failure is returned to the node, which retries the message later and
// dead-letters it after queue.max_attempts; its replies from other routes
// are sent once, thanks to the action ids. What it does not do: keep a
// program running between messages, or pass it anything but the message.
// A program that must not run twice for one message should keep its own
// record of message ids, as a message can be handled more than once.
package external

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/herald-chatops/herald/chat"
)

// InputVersion is the version of the JSON input ("v").
const InputVersion = 1

// maxOutput caps the bytes read from a program's stdout or an endpoint's
// answer; the rest is dropped.
const maxOutput = 64 << 10

// maxLogged caps the stderr bytes put in a log line.
const maxLogged = 512

// Input is the JSON a command receives.
type Input struct {
	V       int               `json:"v"`
	Command string            `json:"command"`
	Message chat.Message      `json:"message"`
	Match   []string          `json:"match"`
	Groups  map[string]string `json:"groups,omitempty"`
}

// Options are what Register needs besides the commands.
type Options struct {
	// Log receives failures and stderr; nil means slog.Default().
	Log *slog.Logger
	// Client makes the HTTP calls; nil means a client that follows no
	// redirects.
	Client *http.Client
	// Environ is the node's environment the exec variables are taken
	// from; nil means os.Environ().
	Environ []string
}

// Register validates cmds and adds one route per command to r. An exec
// program is looked up on PATH now, so that a missing one fails the start.
func Register(r *chat.Router, cmds Commands, opt Options) error {
	if err := cmds.Validate(); err != nil {
		return err
	}
	opt = opt.withDefaults()
	for i, c := range cmds {
		h, err := handlerFor(c, opt, fmt.Sprintf("chat.commands[%d]", i))
		if err != nil {
			return err
		}
		rt := chat.Route{Name: c.Name, Pattern: c.Pattern, Addressed: c.Addressed,
			Help: c.Help, Group: c.Group, Handler: h}
		if err := r.Add(rt); err != nil {
			return fmt.Errorf("chat.commands[%d]: %w", i, err)
		}
	}
	return nil
}

func handlerFor(c Command, opt Options, key string) (chat.HandlerFunc, error) {
	if len(c.Exec) > 0 {
		return newExec(c, opt, key)
	}
	return newHTTP(c, opt), nil
}

// input encodes what the command receives for req.
func input(name string, re *regexp.Regexp, req *chat.Request) ([]byte, error) {
	in := Input{V: InputVersion, Command: name, Message: req.Message, Match: req.Match}
	for i, g := range re.SubexpNames() {
		if g != "" && i < len(req.Match) {
			if in.Groups == nil {
				in.Groups = map[string]string{}
			}
			in.Groups[g] = req.Match[i]
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode input: %w", err)
	}
	return b, nil
}

// lines splits output into reply lines, dropping a trailing empty line
// and carriage returns.
func lines(out string) []string {
	out = strings.TrimRight(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// capped is a writer that keeps the first max bytes and drops the rest.
type capped struct {
	max int
	b   []byte
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - len(c.b)
	if len(p) > room {
		c.cut = true
		c.b = append(c.b, p[:max(room, 0)]...)
		return len(p), nil
	}
	c.b = append(c.b, p...)
	return len(p), nil
}
