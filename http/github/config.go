package github

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// minSecretLen is the shortest webhook secret accepted: a short secret
// lets anyone who guesses it post events to the rooms.
const minSecretLen = 16

// maxRoomLen bounds a room name; no chat service has longer ones.
const maxRoomLen = 200

// Config holds the GitHub source settings, under the YAML key
// `webhooks.github`.
type Config struct {
	// Secret is the webhook secret set on GitHub. Empty (the default)
	// turns intake off. At least 16 characters.
	Secret string `koanf:"secret"`
	// Room is where events go when no route matches their repository.
	// Empty (the default) drops such events.
	Room string `koanf:"room"`
	// Routes send the events of matching repositories to their own room.
	// The first match wins.
	Routes []Route `koanf:"routes"`
}

// Route sends a repository's events to a room.
type Route struct {
	// Repo is an OWNER/NAME pattern in path.Match syntax, such as
	// "acme/*" or "acme/web-[ab]". Matching ignores case, as GitHub does.
	Repo string `koanf:"repo"`
	// Room is where the matching events go, such as "#deploys".
	Room string `koanf:"room"`
}

// DefaultConfig returns the documented defaults: intake off, no rooms.
func DefaultConfig() Config {
	return Config{}
}

// Enabled reports whether intake is on, that is whether a secret is set.
func (c Config) Enabled() bool {
	return c.Secret != ""
}

// Validate refuses settings that cannot work, naming the YAML key.
func (c Config) Validate() error {
	if c.Secret != "" && len(c.Secret) < minSecretLen {
		return fmt.Errorf("webhooks.github.secret must be at least %d characters long",
			minSecretLen)
	}
	if c.Room != "" {
		if err := checkRoom(c.Room); err != nil {
			return fmt.Errorf("webhooks.github.room (%q) %w", c.Room, err)
		}
	}
	if c.Enabled() && c.Room == "" && len(c.Routes) == 0 {
		return fmt.Errorf("webhooks.github.room or webhooks.github.routes must be set " +
			"when webhooks.github.secret is, or no event has a room to go to")
	}
	for i, r := range c.Routes {
		if err := r.validate(fmt.Sprintf("webhooks.github.routes[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

// validate checks one route; key is how the user wrote its place.
func (r Route) validate(key string) error {
	if _, err := path.Match(r.Repo, ""); err != nil {
		return fmt.Errorf("%s.repo (%q) is not a valid pattern: %w", key, r.Repo, err)
	}
	owner, name, ok := strings.Cut(r.Repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("%s.repo (%q) must have the form OWNER/NAME, such as acme/*",
			key, r.Repo)
	}
	if err := checkRoom(r.Room); err != nil {
		return fmt.Errorf("%s.room (%q) %w", key, r.Room, err)
	}
	return nil
}

// checkRoom refuses names that no chat service has: empty, too long, or
// holding spaces, commas or control characters (which IRC would read as
// a list or a new command).
func checkRoom(room string) error {
	switch {
	case room == "":
		return fmt.Errorf("must not be empty")
	case len(room) > maxRoomLen:
		return fmt.Errorf("must be at most %d bytes", maxRoomLen)
	case !utf8.ValidString(room):
		return fmt.Errorf("must be UTF-8")
	case strings.ContainsFunc(room, func(r rune) bool {
		return r == ',' || unicode.IsSpace(r) || unicode.IsControl(r)
	}):
		return fmt.Errorf("must not hold spaces, commas or control characters")
	}
	return nil
}
