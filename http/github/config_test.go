package github

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Secret: testSecret, Room: "#ops"}
	tests := []struct {
		name string
		edit func(*Config)
		want string // a part of the error, "" for none
	}{
		{"defaults: intake off", func(c *Config) { *c = DefaultConfig() }, ""},
		{"secret and room", func(*Config) {}, ""},
		{"routes only", func(c *Config) {
			c.Room, c.Routes = "", []Route{{Repo: "acme/*", Room: "#acme"}}
		}, ""},
		{"short secret", func(c *Config) { c.Secret = "short" },
			"webhooks.github.secret must be at least 16"},
		{"nowhere to go", func(c *Config) { c.Room = "" },
			"webhooks.github.room or webhooks.github.routes must be set"},
		{"room with a space", func(c *Config) { c.Room = "#a b" },
			`webhooks.github.room ("#a b") must not hold spaces`},
		{"bad pattern", func(c *Config) {
			c.Routes = []Route{{Repo: "a/*", Room: "#a"}, {Repo: "a/b", Room: "#b"},
				{Repo: "acme/[", Room: "#c"}}
		}, `webhooks.github.routes[2].repo ("acme/[") is not a valid pattern`},
		{"pattern without owner", func(c *Config) {
			c.Routes = []Route{{Repo: "widgets", Room: "#a"}}
		}, `webhooks.github.routes[0].repo ("widgets") must have the form OWNER/NAME`},
		{"pattern too deep", func(c *Config) {
			c.Routes = []Route{{Repo: "a/b/c", Room: "#a"}}
		}, `webhooks.github.routes[0].repo ("a/b/c") must have the form`},
		{"route without room", func(c *Config) {
			c.Routes = []Route{{Repo: "a/*"}}
		}, `webhooks.github.routes[0].room ("") must not be empty`},
		{"room with a comma", func(c *Config) {
			c.Routes = []Route{{Repo: "a/*", Room: "#a,#b"}}
		}, `webhooks.github.routes[0].room ("#a,#b") must not hold`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestNewRefusesInvalidConfig(t *testing.T) {
	if _, err := New(Config{Secret: "short", Room: "#ops"}); err == nil {
		t.Error("New accepted a short secret")
	}
}
