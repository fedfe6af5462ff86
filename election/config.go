package election

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// MinTTL is the shortest lease Validate accepts. Below it, a scheduling
// hiccup or one slow network round trip would cost the master its term.
const MinTTL = 100 * time.Millisecond

// Config holds the election timing, under the YAML key `election`.
//
// The values are kept as written: Validate refuses a combination that
// cannot keep the election's promises and never adjusts one. Changing
// election.ttl alone leaves renew, retry and drift at their defaults for
// the 5s lease, which Validate may then refuse; ForTTL gives the values
// derived from another lease.
type Config struct {
	// TTL is the lease: how long the master's lock lives in Redis after
	// it was last won or extended. A master that dies without releasing
	// is replaced after about this long. Default 5s.
	TTL time.Duration `koanf:"ttl"`
	// Renew is how often the master extends its lease. It must leave
	// room for at least three extensions within TTL minus Drift, so a
	// lost or slow request does not cost the term. Default 3/10 of TTL:
	// 1.5s.
	Renew time.Duration `koanf:"renew"`
	// Retry is how often a node that is not master tries to win the
	// lock and reads who holds it. It is at most Renew. A step-down
	// holds the old master back for about two Retry periods so that
	// another node wins. Default 1/20 of TTL: 250ms.
	Retry time.Duration `koanf:"retry"`
	// Drift is the allowance for clocks running at different rates and
	// for the time a request takes to reach Redis: the master stops
	// acting as master Drift before its lease could have expired. It
	// must be positive (zero is refused, not read as "no allowance") and
	// less than half of TTL. Default TTL/100 + 2ms: 52ms.
	Drift time.Duration `koanf:"drift"`
	// RedisAddrs, when not empty, are independent Redis servers
	// (HOST:PORT) that hold the lock by majority, so the lock survives
	// the loss of a minority of them. The fencing counter stays on the
	// queue's Redis either way. Empty (the default) means the lock lives
	// on the queue's Redis.
	RedisAddrs []string `koanf:"redis_addrs"`
}

// DefaultConfig returns the documented defaults: ForTTL(5s).
func DefaultConfig() Config {
	return ForTTL(5 * time.Second)
}

// ForTTL returns the settings derived from the lease ttl the same way the
// defaults are: renew 3/10 of ttl, retry 1/20 of ttl, drift ttl/100 + 2ms,
// and no separate lock servers. It does not validate: ForTTL of a ttl
// below MinTTL returns settings that Validate refuses.
func ForTTL(ttl time.Duration) Config {
	return Config{
		TTL:   ttl,
		Renew: ttl * 3 / 10,
		Retry: ttl / 20,
		Drift: ttl/100 + 2*time.Millisecond,
	}
}

// Validate refuses settings that cannot work, naming the YAML keys.
func (c Config) Validate() error {
	if err := c.validatePositive(); err != nil {
		return err
	}
	if err := c.validateTiming(); err != nil {
		return err
	}
	return c.validateAddrs()
}

// validatePositive refuses zero and negative durations and a lease too
// short to be held.
func (c Config) validatePositive() error {
	switch {
	case c.TTL < MinTTL:
		return fmt.Errorf("election.ttl (%v) must be at least %v", c.TTL, MinTTL)
	case c.Renew <= 0:
		return fmt.Errorf("election.renew (%v) must be positive", c.Renew)
	case c.Retry <= 0:
		return fmt.Errorf("election.retry (%v) must be positive", c.Retry)
	case c.Drift <= 0:
		return fmt.Errorf("election.drift (%v) must be positive: clocks always drift "+
			"a little (the default is election.ttl/100 + 2ms)", c.Drift)
	}
	return nil
}

// validateTiming checks the durations against each other.
func (c Config) validateTiming() error {
	if c.Drift >= c.TTL/2 {
		return fmt.Errorf("election.drift (%v) must be less than half of election.ttl (%v)",
			c.Drift, c.TTL)
	}
	if room := c.TTL - c.Drift; 3*c.Renew > room {
		return fmt.Errorf("election.renew (%v) must be at most a third of election.ttl (%v) "+
			"minus election.drift (%v), at most %v, to leave room for three renewals",
			c.Renew, c.TTL, c.Drift, (room / 3).Truncate(time.Millisecond))
	}
	if c.Retry > c.Renew {
		return fmt.Errorf("election.retry (%v) must be at most election.renew (%v)",
			c.Retry, c.Renew)
	}
	return nil
}

// validateAddrs checks the optional lock servers.
func (c Config) validateAddrs() error {
	seen := make(map[string]bool, len(c.RedisAddrs))
	for i, addr := range c.RedisAddrs {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && (host == "" || port == "") {
			err = errors.New("host and port must both be set")
		}
		if err != nil {
			return fmt.Errorf("election.redis_addrs[%d] (%q) must be HOST:PORT: %w", i, addr, err)
		}
		if seen[addr] {
			return fmt.Errorf("election.redis_addrs[%d] (%q) is listed twice", i, addr)
		}
		seen[addr] = true
	}
	return nil
}
