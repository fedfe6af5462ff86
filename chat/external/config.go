package external

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Limits of a command's timeout; zero means DefaultTimeout.
const (
	DefaultTimeout = 10 * time.Second
	minTimeout     = 100 * time.Millisecond
	maxTimeout     = 5 * time.Minute
	minSecretLen   = 16
)

// Command is one entry of the YAML list `chat.commands`: a chat route
// whose handler is a program or an HTTP endpoint. Set Exec or HTTP.
type Command struct {
	// Name identifies the route: lower-case letters, digits, '_', '.',
	// '-'; unique among all routes.
	Name string `koanf:"name"`
	// Pattern is the route's Go regular expression; named groups are
	// passed to the program by name.
	Pattern string `koanf:"pattern"`
	// Help is the line shown by the help command; empty hides it.
	Help string `koanf:"help"`
	// Addressed makes the route match only messages addressed to the
	// bot. Default false: the pattern sees every message in the rooms.
	Addressed bool `koanf:"addressed"`
	// Group, when set, is the group a user must be in.
	Group string `koanf:"group"`
	// Exec is the program and its fixed arguments, run without a shell;
	// the message comes on stdin, never in the arguments.
	Exec []string `koanf:"exec"`
	// HTTP is the URL the message is POSTed to.
	HTTP string `koanf:"http"`
	// Secret, for HTTP, signs each request body: the header
	// X-Herald-Signature-256 carries sha256=HMAC(secret, body) in hex.
	Secret string `koanf:"secret"`
	// Timeout bounds one run. Default 10s, between 100ms and 5m.
	Timeout time.Duration `koanf:"timeout"`
}

// Commands is the YAML list `chat.commands`.
type Commands []Command

var (
	commandName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	groupName   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// Validate checks every command, naming the key at fault as
// chat.commands[i].key.
func (cs Commands) Validate() error {
	seen := map[string]int{}
	for i, c := range cs {
		if err := c.validate(fmt.Sprintf("chat.commands[%d]", i)); err != nil {
			return err
		}
		if j, ok := seen[c.Name]; ok {
			return fmt.Errorf("chat.commands[%d].name (%q) repeats chat.commands[%d].name",
				i, c.Name, j)
		}
		seen[c.Name] = i
	}
	return nil
}

func (c Command) validate(key string) error {
	switch {
	case !commandName.MatchString(c.Name):
		return fmt.Errorf("%s.name (%q) must be 1 to 64 lower-case letters, digits, '_', "+
			"'.' or '-'", key, c.Name)
	case c.Pattern == "":
		return fmt.Errorf("%s.pattern must be set", key)
	case c.Group != "" && !groupName.MatchString(c.Group):
		return fmt.Errorf("%s.group (%q) must be letters, digits, '_', '.' or '-'", key,
			c.Group)
	case c.Timeout != 0 && (c.Timeout < minTimeout || c.Timeout > maxTimeout):
		return fmt.Errorf("%s.timeout (%v) must be between %v and %v", key, c.Timeout,
			minTimeout, maxTimeout)
	case (len(c.Exec) == 0) == (c.HTTP == ""):
		return fmt.Errorf("%s: set exactly one of %s.exec and %s.http", key, key, key)
	}
	if _, err := regexp.Compile(c.Pattern); err != nil {
		return fmt.Errorf("%s.pattern: %w", key, err)
	}
	if len(c.Exec) > 0 {
		return c.validateExec(key)
	}
	return c.validateHTTP(key)
}

func (c Command) validateExec(key string) error {
	if c.Exec[0] == "" {
		return fmt.Errorf("%s.exec[0] must name a program", key)
	}
	if c.Secret != "" {
		return fmt.Errorf("%s.secret is for http commands only", key)
	}
	return nil
}

func (c Command) validateHTTP(key string) error {
	u, err := url.Parse(c.HTTP)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s.http (%q) must be an http or https URL", key, c.HTTP)
	}
	if c.Secret != "" && len(c.Secret) < minSecretLen {
		return fmt.Errorf("%s.secret must be at least %d characters long, or empty", key,
			minSecretLen)
	}
	return nil
}

func (c Command) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}
