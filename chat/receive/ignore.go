package receive

import (
	"context"
	"fmt"
	"strings"

	"github.com/herald-chatops/herald/chat"
)

// Config is the built-in ignore hook's part of the YAML section `chat`.
type Config struct {
	// IgnoreUsers are user ids whose messages never reach the workers
	// (other bots, noisy integrations). Compared without regard to case.
	// Default: none.
	IgnoreUsers []string `koanf:"ignore_users"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config { return Config{} }

// Validate refuses empty, spaced or repeated user ids, naming the key.
func (c Config) Validate() error {
	seen := map[string]int{}
	for i, u := range c.IgnoreUsers {
		if u == "" || strings.ContainsAny(u, " \t\r\n") {
			return fmt.Errorf("chat.ignore_users[%d] (%q) must be a user id without spaces",
				i, u)
		}
		if j, ok := seen[strings.ToLower(u)]; ok {
			return fmt.Errorf("chat.ignore_users[%d] (%q) repeats chat.ignore_users[%d]",
				i, u, j)
		}
		seen[strings.ToLower(u)] = i
	}
	return nil
}

// IgnoreHookName is the name of the hook Ignore returns.
const IgnoreHookName = "ignore"

// Ignore returns the built-in hook that drops messages from the bot's own
// nicks (all those it may use: the configured nick and its fallbacks) and
// from the users of cfg.IgnoreUsers.
func Ignore(cfg Config, ownNicks ...string) Hook {
	own := lowerSet(ownNicks)
	ignored := lowerSet(cfg.IgnoreUsers)
	return func(_ context.Context, msg chat.Message) (bool, string) {
		id := strings.ToLower(msg.User.ID)
		switch {
		case own[id]:
			return false, "from the bot itself"
		case ignored[id]:
			return false, "user is on chat.ignore_users"
		}
		return true, ""
	}
}

func lowerSet(list []string) map[string]bool {
	set := make(map[string]bool, len(list))
	for _, s := range list {
		if s != "" {
			set[strings.ToLower(s)] = true
		}
	}
	return set
}
