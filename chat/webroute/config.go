package webroute

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"
)

// minSecretLen is the shortest secret accepted, so that it cannot be
// guessed by trying.
const minSecretLen = 16

// Config is the YAML section `http.handlers`.
type Config struct {
	// Secret, when set, must be sent by every caller of a handler route
	// in the header Header. Default empty: no check (keep the routes on a
	// private network then). At least 16 characters.
	Secret string `koanf:"secret"`
	// Header names the header that carries Secret. Default
	// "X-Herald-Secret".
	Header string `koanf:"header"`
	// Timeout bounds one handler call. Default 5s, between 10ms and 1m;
	// keep it under http.write_timeout.
	Timeout time.Duration `koanf:"timeout"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Header: "X-Herald-Secret", Timeout: 5 * time.Second}
}

// Validate refuses unusable settings, naming the YAML key.
func (c Config) Validate() error {
	switch {
	case c.Secret != "" && len(c.Secret) < minSecretLen:
		return fmt.Errorf("http.handlers.secret must be at least %d characters long, or empty",
			minSecretLen)
	case !validHeader(c.Header):
		return fmt.Errorf("http.handlers.header (%q) must be a header name", c.Header)
	case c.Timeout < 10*time.Millisecond || c.Timeout > time.Minute:
		return fmt.Errorf("http.handlers.timeout (%v) must be between 10ms and 1m", c.Timeout)
	}
	return nil
}

// validHeader reports whether h is a plain header name.
func validHeader(h string) bool {
	if h == "" {
		return false
	}
	for _, r := range h {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// allowed reports whether req carries the secret, or none is set.
func (c Config) allowed(req *http.Request) bool {
	if c.Secret == "" {
		return true
	}
	got := sha256.Sum256([]byte(req.Header.Get(c.Header)))
	want := sha256.Sum256([]byte(c.Secret))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
