package chaos

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want func(Config) bool
		err  string
	}{
		{"defaults", nil, func(c Config) bool { return c == DefaultConfig() }, ""},
		{"long form", map[string]string{"HERALD_CHAOS_DURATION": "10m",
			"HERALD_CHAOS_INTERVAL": "8s", "HERALD_CHAOS_SEED": "12345",
			"HERALD_CHAOS_RATE": "5.5", "HERALD_CHAOS_VERBOSE": "1"},
			func(c Config) bool {
				return c.Duration == 10*time.Minute && c.Interval == 8*time.Second &&
					c.Seed == 12345 && c.Rate == 5.5 && c.Verbose
			}, ""},
		{"verbose false", map[string]string{"HERALD_CHAOS_VERBOSE": "false"},
			func(c Config) bool { return !c.Verbose }, ""},
		{"bad duration", map[string]string{"HERALD_CHAOS_DURATION": "ten"}, nil,
			"HERALD_CHAOS_DURATION"},
		{"bad seed", map[string]string{"HERALD_CHAOS_SEED": "-1"}, nil, "HERALD_CHAOS_SEED"},
		{"bad rate", map[string]string{"HERALD_CHAOS_RATE": "fast"}, nil, "HERALD_CHAOS_RATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.err != "" {
				if !errors.Is(err, ErrBadSetting) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want ErrBadSetting naming %s", err, tt.err)
				}
				return
			}
			if err != nil || !tt.want(c) {
				t.Fatalf("FromEnv = %+v, %v", c, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		err    string
	}{
		{"defaults", func(*Config) {}, ""},
		{"short duration", func(c *Config) { c.Duration = time.Second },
			"HERALD_CHAOS_DURATION (1s) must be at least 5s"},
		{"no rate", func(c *Config) { c.Rate = 0 }, "HERALD_CHAOS_RATE (0) must be between"},
		{"flood", func(c *Config) { c.Rate = 500 }, "HERALD_CHAOS_RATE (500)"},
		{"tight faults", func(c *Config) { c.Interval = time.Millisecond },
			"HERALD_CHAOS_INTERVAL (1ms) must be at least 1s"},
		{"no drain", func(c *Config) { c.Quiet = 0 }, "HERALD_CHAOS_QUIET (0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.err)
			}
		})
	}
}
