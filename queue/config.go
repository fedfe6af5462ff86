package queue

import (
	"fmt"
	"time"
)

// Config holds the queue settings shared by every backend, under the YAML
// key `queue`.
type Config struct {
	// MaxAttempts is how often an envelope may fail before it goes to the
	// dead-letter list. Default 3.
	MaxAttempts int `koanf:"max_attempts"`
	// Heartbeat is how often a node renews its membership. Default 1s.
	Heartbeat time.Duration `koanf:"heartbeat"`
	// NodeTTL is how long a silent node counts as alive; after it, what
	// the node held is returned to the lists. Default 5s.
	NodeTTL time.Duration `koanf:"node_ttl"`
	// DedupeWindow is how long an id is remembered to drop a second
	// delivery of the same message or reply. Default 15m.
	DedupeWindow time.Duration `koanf:"dedupe_window"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		MaxAttempts:  3,
		Heartbeat:    time.Second,
		NodeTTL:      5 * time.Second,
		DedupeWindow: 15 * time.Minute,
	}
}

// Validate refuses settings that cannot work, naming the YAML key.
func (c Config) Validate() error {
	switch {
	case c.MaxAttempts < 1:
		return fmt.Errorf("queue.max_attempts (%d) must be at least 1", c.MaxAttempts)
	case c.Heartbeat <= 0:
		return fmt.Errorf("queue.heartbeat (%v) must be positive", c.Heartbeat)
	case c.NodeTTL < 3*c.Heartbeat:
		return fmt.Errorf("queue.node_ttl (%v) must be at least three queue.heartbeat (%v)",
			c.NodeTTL, c.Heartbeat)
	case c.DedupeWindow < time.Minute:
		return fmt.Errorf("queue.dedupe_window (%v) must be at least 1m", c.DedupeWindow)
	}
	return nil
}
