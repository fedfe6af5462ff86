package auth

import (
	"fmt"
	"strings"
)

// Config is the YAML section `auth`.
type Config struct {
	// Admins are the user ids always in the group "admins" (compared
	// without regard to case). Default: none, and then only members
	// added to admins in the store can manage groups, which nobody can
	// do in chat: set at least one.
	Admins []string `koanf:"admins"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config { return Config{} }

// Validate refuses empty, spaced or repeated user ids, naming the key.
func (c Config) Validate() error {
	seen := map[string]int{}
	for i, u := range c.Admins {
		if !userID.MatchString(u) {
			return fmt.Errorf("auth.admins[%d] (%q) must be a user id of 1 to 256 characters "+
				"without spaces", i, u)
		}
		if j, ok := seen[strings.ToLower(u)]; ok {
			return fmt.Errorf("auth.admins[%d] (%q) repeats auth.admins[%d]", i, u, j)
		}
		seen[strings.ToLower(u)] = i
	}
	return nil
}
