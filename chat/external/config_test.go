package external_test

import (
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/external"
)

func TestValidate(t *testing.T) {
	ok := external.Command{Name: "ok", Pattern: "^ok$", Exec: []string{"/bin/true"}}
	tests := []struct {
		name string
		edit func(c *external.Command)
		want string
	}{
		{"fine exec", func(*external.Command) {}, ""},
		{"fine http", func(c *external.Command) {
			c.Exec, c.HTTP, c.Secret = nil, "https://hooks.example/x", "0123456789abcdef"
		}, ""},
		{"bad name", func(c *external.Command) { c.Name = "Has Space" },
			`chat.commands[1].name ("Has Space")`},
		{"no pattern", func(c *external.Command) { c.Pattern = "" },
			"chat.commands[1].pattern must be set"},
		{"bad pattern", func(c *external.Command) { c.Pattern = "(" },
			"chat.commands[1].pattern: error parsing"},
		{"both", func(c *external.Command) { c.HTTP = "http://x" },
			"set exactly one of chat.commands[1].exec and chat.commands[1].http"},
		{"neither", func(c *external.Command) { c.Exec = nil }, "set exactly one"},
		{"empty program", func(c *external.Command) { c.Exec = []string{""} },
			"chat.commands[1].exec[0] must name a program"},
		{"bad url", func(c *external.Command) { c.Exec, c.HTTP = nil, "ftp://x/y" },
			`chat.commands[1].http ("ftp://x/y") must be an http or https URL`},
		{"short secret", func(c *external.Command) {
			c.Exec, c.HTTP, c.Secret = nil, "http://x", "s"
		},
			"chat.commands[1].secret must be at least 16"},
		{"secret on exec", func(c *external.Command) { c.Secret = "0123456789abcdef" },
			"chat.commands[1].secret is for http commands only"},
		{"timeout", func(c *external.Command) { c.Timeout = time.Hour },
			"chat.commands[1].timeout (1h0m0s) must be between 100ms and 5m0s"},
		{"group", func(c *external.Command) { c.Group = "a b" }, `chat.commands[1].group ("a b")`},
		{"repeated name", func(c *external.Command) { c.Name = "first" },
			`chat.commands[1].name ("first") repeats chat.commands[0].name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			first := external.Command{Name: "first", Pattern: "x", Exec: []string{"x"}}
			err := external.Commands{first, c}.Validate()
			if (tc.want == "") != (err == nil) || (err != nil &&
				!strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
