package irc

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	base := func() Config {
		c := DefaultConfig()
		c.Server, c.Nick, c.Channels = "irc.example.org:6697", "herald", []string{"#ops", "&local"}
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid, else a part of the message
	}{
		{name: "defaults with server and nick", change: func(*Config) {}},
		{name: "server missing", change: func(c *Config) { c.Server = "" },
			want: "chat.irc.server is required"},
		{name: "server without port", change: func(c *Config) { c.Server = "irc.example.org" },
			want: `chat.irc.server ("irc.example.org") must be HOST:PORT`},
		{name: "nick missing", change: func(c *Config) { c.Nick = "" },
			want: "chat.irc.nick is required"},
		{name: "nick starting with digit", change: func(c *Config) { c.Nick = "1bot" },
			want: `chat.irc.nick ("1bot") is not a valid IRC nick`},
		{name: "nick with space", change: func(c *Config) { c.Nick = "my bot" },
			want: "chat.irc.nick"},
		{name: "alt nick equal to nick", change: func(c *Config) { c.AltNick = "Herald" },
			want: "chat.irc.alt_nick"},
		{name: "channel without prefix", change: func(c *Config) { c.Channels[1] = "ops" },
			want: `chat.irc.channels[1] ("ops") must start with # or &`},
		{name: "channel with comma", change: func(c *Config) { c.Channels[0] = "#a,#b" },
			want: "chat.irc.channels[0]"},
		{name: "password with line break", change: func(c *Config) { c.Password = "a\r\nQUIT" },
			want: "chat.irc.password must not"},
		{name: "user with space", change: func(c *Config) { c.User = "a b" },
			want: "chat.irc.user"},
		{name: "rate zero", change: func(c *Config) { c.Rate = 0 },
			want: "chat.irc.rate (0) must be positive"},
		{name: "burst zero", change: func(c *Config) { c.Burst = 0 },
			want: "chat.irc.burst (0) must be at least 1"},
		{name: "max line over 512", change: func(c *Config) { c.MaxLine = 600 },
			want: "chat.irc.max_line (600) must be between 100 and 512"},
		{name: "ping interval too short",
			change: func(c *Config) { c.PingInterval = 10 * time.Millisecond },
			want:   "chat.irc.ping_interval (10ms) must be at least 1s"},
		{name: "reconnect max zero", change: func(c *Config) { c.ReconnectMax = 0 },
			want: "chat.irc.reconnect_max (0s) must be at least 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidNick(t *testing.T) {
	tests := []struct {
		nick string
		ok   bool
	}{
		{"herald", true}, {"[bot]", true}, {"b-0_t", true}, {"`x^", true},
		{"", false}, {"-bot", false}, {"9bot", false}, {"bot!", false},
		{strings.Repeat("a", 31), false},
	}
	for _, tt := range tests {
		t.Run(tt.nick, func(t *testing.T) {
			if got := ValidNick(tt.nick); got != tt.ok {
				t.Fatalf("ValidNick(%q) = %v, want %v", tt.nick, got, tt.ok)
			}
		})
	}
}

func TestAltNickDefault(t *testing.T) {
	c := Config{Nick: "herald"}
	if got := c.altNick(); got != "herald_" {
		t.Fatalf("altNick() = %q, want herald_", got)
	}
}
