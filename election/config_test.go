package election

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	want := Config{
		TTL:   5 * time.Second,
		Renew: 1500 * time.Millisecond,
		Retry: 250 * time.Millisecond,
		Drift: 52 * time.Millisecond,
	}
	if c.TTL != want.TTL || c.Renew != want.Renew || c.Retry != want.Retry ||
		c.Drift != want.Drift || len(c.RedisAddrs) != 0 {
		t.Fatalf("DefaultConfig() = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
}

func TestForTTLValidates(t *testing.T) {
	for _, ttl := range []time.Duration{
		MinTTL, time.Second, 2 * time.Second, 5 * time.Second, time.Minute, time.Hour,
	} {
		if err := ForTTL(ttl).Validate(); err != nil {
			t.Errorf("ForTTL(%v) refused: %v", ttl, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ms := time.Millisecond
	// with returns the defaults changed by f.
	with := func(f func(*Config)) Config {
		c := DefaultConfig()
		f(&c)
		return c
	}
	cases := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" means valid
	}{
		{"defaults", DefaultConfig(), ""},
		{"ttl 2s with end-to-end renew and retry", with(func(c *Config) {
			c.TTL, c.Renew, c.Retry = 2*time.Second, 500*ms, 100*ms
		}), ""},
		{"ttl 2s derived", ForTTL(2 * time.Second), ""},
		{"ttl 2s keeping the 5s renew", with(func(c *Config) { c.TTL = 2 * time.Second }),
			"election.renew (1.5s) must be at most a third of election.ttl (2s) minus " +
				"election.drift (52ms), at most 649ms"},
		{"renew exactly a third of ttl minus drift", with(func(c *Config) {
			c.TTL, c.Drift, c.Renew = 3100*ms, 100*ms, time.Second
		}), ""},
		{"renew just above a third", with(func(c *Config) {
			c.TTL, c.Drift, c.Renew = 3100*ms, 100*ms, time.Second+ms
		}), "election.renew (1.001s) must be at most a third"},
		{"renew equal to ttl", with(func(c *Config) { c.Renew = c.TTL }),
			"election.renew (5s) must be at most a third of election.ttl (5s)"},
		{"retry equal to renew", with(func(c *Config) { c.Retry = c.Renew }), ""},
		{"retry above renew", with(func(c *Config) { c.Retry = 2 * time.Second }),
			"election.retry (2s) must be at most election.renew (1.5s)"},
		{"drift half of ttl", with(func(c *Config) { c.Drift = 2500 * ms }),
			"election.drift (2.5s) must be less than half of election.ttl (5s)"},
		{"drift above half of ttl", with(func(c *Config) { c.Drift = 4 * time.Second }),
			"election.drift (4s) must be less than half"},
		{"drift just below half", with(func(c *Config) {
			c.Drift, c.Renew, c.Retry = 2499*ms, 800*ms, 100*ms
		}), ""},
		{"drift zero", with(func(c *Config) { c.Drift = 0 }),
			"election.drift (0s) must be positive"},
		{"drift negative", with(func(c *Config) { c.Drift = -ms }),
			"election.drift (-1ms) must be positive"},
		{"ttl below minimum", with(func(c *Config) { c.TTL = 99 * ms }),
			"election.ttl (99ms) must be at least 100ms"},
		{"ttl at minimum", ForTTL(100 * ms), ""},
		{"ttl zero", with(func(c *Config) { c.TTL = 0 }),
			"election.ttl (0s) must be at least 100ms"},
		{"ttl negative", with(func(c *Config) { c.TTL = -5 * time.Second }),
			"election.ttl (-5s) must be at least 100ms"},
		{"renew zero", with(func(c *Config) { c.Renew = 0 }),
			"election.renew (0s) must be positive"},
		{"renew negative", with(func(c *Config) { c.Renew = -time.Second }),
			"election.renew (-1s) must be positive"},
		{"retry zero", with(func(c *Config) { c.Retry = 0 }),
			"election.retry (0s) must be positive"},
		{"retry negative", with(func(c *Config) { c.Retry = -ms }),
			"election.retry (-1ms) must be positive"},
		{"quorum addrs", with(func(c *Config) {
			c.RedisAddrs = []string{"10.0.0.1:6379", "10.0.0.2:6379", "[::1]:6380"}
		}), ""},
		{"addr without port", with(func(c *Config) { c.RedisAddrs = []string{"redis-a"} }),
			`election.redis_addrs[0] ("redis-a") must be HOST:PORT`},
		{"addr with empty host", with(func(c *Config) {
			c.RedisAddrs = []string{"a:1", ":6379"}
		}), `election.redis_addrs[1] (":6379") must be HOST:PORT`},
		{"addr listed twice", with(func(c *Config) { c.RedisAddrs = []string{"a:1", "a:1"} }),
			`election.redis_addrs[1] ("a:1") is listed twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}
