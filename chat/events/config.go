package events

import (
	"errors"
	"fmt"
	"time"
)

var errNoPush = errors.New("events: the bus has no push function")

// Config tunes the bus. The node reads it from the YAML section
// `chat.events`.
type Config struct {
	// HookTimeout bounds one hook call. Default 10s, between 10ms and 5m.
	HookTimeout time.Duration `koanf:"hook_timeout"`
	// Backlog is how many emitted events may wait for delivery; past it
	// new events are dropped and counted. Default 64, between 1 and 4096.
	Backlog int `koanf:"backlog"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{HookTimeout: 10 * time.Second, Backlog: 64}
}

// Validate refuses settings out of range, naming the YAML key.
func (c Config) Validate() error {
	if c.HookTimeout < 10*time.Millisecond || c.HookTimeout > 5*time.Minute {
		return fmt.Errorf("chat.events.hook_timeout (%v) must be between 10ms and 5m",
			c.HookTimeout)
	}
	if c.Backlog < 1 || c.Backlog > 4096 {
		return fmt.Errorf("chat.events.backlog (%d) must be between 1 and 4096", c.Backlog)
	}
	return nil
}
