package http

import (
	"fmt"
	"net"
	"time"
)

// Limits on http.max_body. A body must hold at least a small webhook, and
// a whole body is kept in memory while it is checked and pushed.
const (
	minMaxBody = 1 << 10
	maxMaxBody = 64 << 20
)

// minTokenLen is the shortest admin token accepted, so that a token
// cannot be guessed by trying.
const minTokenLen = 16

// Config holds the HTTP settings, under the YAML key `http`.
type Config struct {
	// Addr is the HOST:PORT to listen on. Default 127.0.0.1:8080.
	Addr string `koanf:"addr"`
	// MaxBody is the largest request body read, in bytes; a larger
	// webhook is refused with 413. Default 1048576 (1 MiB), at least 1024,
	// at most 67108864 (64 MiB).
	MaxBody int64 `koanf:"max_body"`
	// AdminToken is the bearer token for the admin calls. Empty (the
	// default) refuses every admin call with 403. At least 16 characters.
	AdminToken string `koanf:"admin_token"`
	// ReadHeaderTimeout bounds the reading of request headers. Default 5s.
	ReadHeaderTimeout time.Duration `koanf:"read_header_timeout"`
	// ReadTimeout bounds the reading of a whole request. Default 10s.
	ReadTimeout time.Duration `koanf:"read_timeout"`
	// WriteTimeout bounds the handling of a request and the writing of
	// its answer. Default 10s.
	WriteTimeout time.Duration `koanf:"write_timeout"`
	// IdleTimeout is how long a kept-alive connection may sit unused.
	// Default 60s.
	IdleTimeout time.Duration `koanf:"idle_timeout"`
	// PushTimeout bounds the push of one webhook job; past it the sender
	// is told 503. Default 3s, less than WriteTimeout.
	PushTimeout time.Duration `koanf:"push_timeout"`
	// MaxInflight is how many webhooks a node verifies, checks and
	// queues at once; more wait their turn. Fewer keep chat replies fast
	// while webhooks flood a node that has few cores; more take webhooks
	// in faster. 0 means no limit. Default 8.
	MaxInflight int `koanf:"max_inflight"`
	// ShutdownTimeout is how long requests in flight may finish once the
	// node stops. Default 5s.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	// TLSCert and TLSKey are PEM files; set both to serve HTTPS, or
	// neither (the default) to serve plain HTTP.
	TLSCert string `koanf:"tls_cert"`
	TLSKey  string `koanf:"tls_key"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		MaxBody:           1 << 20,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		PushTimeout:       3 * time.Second,
		MaxInflight:       8,
		ShutdownTimeout:   5 * time.Second,
	}
}

// Validate refuses settings that cannot work, naming the YAML key.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("http.addr (%q) must be HOST:PORT: %w", c.Addr, err)
	}
	if c.MaxBody < minMaxBody || c.MaxBody > maxMaxBody {
		return fmt.Errorf("http.max_body (%d) must be between %d and %d bytes",
			c.MaxBody, minMaxBody, maxMaxBody)
	}
	if c.AdminToken != "" && len(c.AdminToken) < minTokenLen {
		return fmt.Errorf("http.admin_token must be at least %d characters long, or empty",
			minTokenLen)
	}
	if c.MaxInflight < 0 {
		return fmt.Errorf("http.max_inflight (%d) must not be negative (0: no limit)",
			c.MaxInflight)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("http.tls_cert and http.tls_key must be set together")
	}
	return c.validateTimes()
}

// validateTimes checks the timeouts, alone and against each other.
func (c Config) validateTimes() error {
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout},
		{"read_timeout", c.ReadTimeout},
		{"write_timeout", c.WriteTimeout},
		{"idle_timeout", c.IdleTimeout},
		{"push_timeout", c.PushTimeout},
		{"shutdown_timeout", c.ShutdownTimeout},
	} {
		if d.v <= 0 {
			return fmt.Errorf("http.%s (%v) must be positive", d.key, d.v)
		}
	}
	if c.ReadHeaderTimeout > c.ReadTimeout {
		return fmt.Errorf("http.read_header_timeout (%v) must be at most http.read_timeout (%v)",
			c.ReadHeaderTimeout, c.ReadTimeout)
	}

	// The answer to a webhook is written after the push, within the same
	// write deadline, so a push must end well before it.
	if c.PushTimeout >= c.WriteTimeout {
		return fmt.Errorf("http.push_timeout (%v) must be less than http.write_timeout (%v)",
			c.PushTimeout, c.WriteTimeout)
	}
	return nil
}
