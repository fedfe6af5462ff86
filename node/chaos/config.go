package chaos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is how long and how hard the suite runs. It is read from the
// HERALD_CHAOS_ environment variables (see the package doc); the test's
// flags override it.
type Config struct {
	// Duration is how long the person sends. Default 60s.
	Duration time.Duration
	// Rate is how many messages the person sends a second. Default 5.
	Rate float64
	// Seed seeds the plan of faults. Zero, the default, means a random
	// seed, which is printed.
	Seed uint64
	// Interval is the mean quiet time between two faults; each is drawn
	// from half to one and a half times it. Default 4s.
	Interval time.Duration
	// Quiet bounds the drain after the last fault: how long the suite
	// waits for answers before it checks. Default 30s.
	Quiet time.Duration
	// Verbose logs every line of the nodes; by default debug lines are
	// kept for the checker but not logged.
	Verbose bool
}

// Limits checked by Validate.
const (
	minRate     = 0.2
	maxRate     = 50
	minDuration = 5 * time.Second
	minInterval = time.Second
	minQuiet    = 5 * time.Second
)

// DefaultConfig returns the documented defaults: the form CI runs.
func DefaultConfig() Config {
	return Config{Duration: time.Minute, Rate: 5, Interval: 4 * time.Second,
		Quiet: 30 * time.Second}
}

// Validate refuses settings the suite cannot run with, naming the
// environment variable.
func (c Config) Validate() error {
	switch {
	case c.Duration < minDuration:
		return fmt.Errorf("HERALD_CHAOS_DURATION (%v) must be at least %v",
			c.Duration, minDuration)
	case c.Rate < minRate || c.Rate > maxRate:
		return fmt.Errorf("HERALD_CHAOS_RATE (%v) must be between %v and %v",
			c.Rate, minRate, maxRate)
	case c.Interval < minInterval:
		return fmt.Errorf("HERALD_CHAOS_INTERVAL (%v) must be at least %v",
			c.Interval, minInterval)
	case c.Quiet < minQuiet:
		return fmt.Errorf("HERALD_CHAOS_QUIET (%v) must be at least %v", c.Quiet, minQuiet)
	}
	return nil
}

// ErrBadSetting is wrapped by FromEnv for a variable it cannot parse.
var ErrBadSetting = errors.New("chaos: bad setting")

// FromEnv returns the defaults overridden by the HERALD_CHAOS_ variables
// that getenv returns (os.Getenv in the test). It does not validate.
func FromEnv(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	durations := []struct {
		name string
		to   *time.Duration
	}{
		{"HERALD_CHAOS_DURATION", &c.Duration},
		{"HERALD_CHAOS_INTERVAL", &c.Interval},
		{"HERALD_CHAOS_QUIET", &c.Quiet},
	}
	for _, d := range durations {
		if err := parseInto(getenv(d.name), d.name, d.to, time.ParseDuration); err != nil {
			return c, err
		}
	}
	rate := func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
	if err := parseInto(getenv("HERALD_CHAOS_RATE"), "HERALD_CHAOS_RATE", &c.Rate,
		rate); err != nil {
		return c, err
	}
	seed := func(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }
	if err := parseInto(getenv("HERALD_CHAOS_SEED"), "HERALD_CHAOS_SEED", &c.Seed,
		seed); err != nil {
		return c, err
	}
	verbose := getenv("HERALD_CHAOS_VERBOSE")
	c.Verbose = verbose != "" && verbose != "0" && !strings.EqualFold(verbose, "false")
	return c, nil
}

// parseInto parses s into to when s is set.
func parseInto[T any](s, name string, to *T, parse func(string) (T, error)) error {
	if s == "" {
		return nil
	}
	v, err := parse(s)
	if err != nil {
		return fmt.Errorf("%w: %s (%q): %v", ErrBadSetting, name, s, err)
	}
	*to = v
	return nil
}
