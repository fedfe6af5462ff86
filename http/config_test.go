package http

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no port", func(c *Config) { c.Addr = "localhost" }, `http.addr ("localhost") must be`},
		{"tiny body", func(c *Config) { c.MaxBody = 10 }, "http.max_body (10) must be between"},
		{"huge body", func(c *Config) { c.MaxBody = 1 << 30 }, "http.max_body (1073741824)"},
		{"short token", func(c *Config) { c.AdminToken = "abc" },
			"http.admin_token must be at least 16"},
		{"cert alone", func(c *Config) { c.TLSCert = "a.pem" },
			"http.tls_cert and http.tls_key must be set together"},
		{"key alone", func(c *Config) { c.TLSKey = "k.pem" },
			"http.tls_cert and http.tls_key must be set together"},
		{"zero read timeout", func(c *Config) { c.ReadTimeout = 0 },
			"http.read_timeout (0s) must be positive"},
		{"negative idle timeout", func(c *Config) { c.IdleTimeout = -time.Second },
			"http.idle_timeout (-1s) must be positive"},
		{"header slower than request", func(c *Config) { c.ReadHeaderTimeout = time.Minute },
			"http.read_header_timeout (1m0s) must be at most http.read_timeout (10s)"},
		{"push as long as write", func(c *Config) { c.PushTimeout = c.WriteTimeout },
			"http.push_timeout (10s) must be less than http.write_timeout (10s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
