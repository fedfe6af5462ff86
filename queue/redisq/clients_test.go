package redisq

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOptionsSentinel(t *testing.T) {
	cfg := testConfig("192.0.2.1:6379")
	cfg.Username, cfg.Password = "herald", "pw"
	cfg.Sentinel = SentinelConfig{Master: "herald-redis",
		Addrs: []string{"127.0.0.1:26379", "127.0.0.1:26380"}, Username: "s", Password: "spw"}
	o := options(cfg, nil)
	if o.MasterName != "herald-redis" || !slices.Equal(o.Addrs, cfg.Sentinel.Addrs) {
		t.Fatalf("failover options %q %v, want the master name and the sentinels",
			o.MasterName, o.Addrs)
	}
	if o.Username != "herald" || o.Password != "pw" || o.SentinelUsername != "s" ||
		o.SentinelPassword != "spw" {
		t.Fatal("the credentials of the servers and of the sentinels were mixed up")
	}
	o.Addrs[0] = "changed"
	if cfg.Sentinel.Addrs[0] == "changed" {
		t.Fatal("options share the config's slice of sentinels")
	}
	plain := options(cfg.WithAddr("127.0.0.1:7000"), nil)
	if plain.MasterName != "" || !slices.Equal(plain.Addrs, []string{"127.0.0.1:7000"}) ||
		plain.Username != "herald" {
		t.Fatalf("WithAddr options %+v, want one plain server with the ACL user", plain)
	}
}

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		change   func(*Config)
		wantName string
		wantErr  string
	}{
		{"off", func(c *Config) { c.TLS = false }, "", ""},
		{"name from addr", func(*Config) {}, "redis.example", ""},
		{"name set", func(c *Config) { c.TLSServerName = "other.example" }, "other.example", ""},
		{"name per dial with sentinel", sentinel("m", "127.0.0.1:26379"), "", ""},
		{"ca missing", func(c *Config) { c.TLSCA = filepath.Join(dir, "none.pem") }, "",
			"redis.tls_ca"},
		{"ca not pem", func(c *Config) { c.TLSCA = notPEM }, "", "redis.tls_ca"},
		{"cert missing", func(c *Config) { c.TLSCert, c.TLSKey = notPEM, notPEM }, "",
			"redis.tls_cert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("redis.example:6380")
			cfg.TLS = true
			tc.change(&cfg)
			tlc, err := tlsConfig(cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("tlsConfig() = %v, want an error naming %s", err, tc.wantErr)
				}
				if _, _, err := NewClients(cfg); err == nil {
					t.Fatal("NewClients accepted what tlsConfig refused")
				}
				return
			}
			switch {
			case err != nil:
				t.Fatal(err)
			case !cfg.TLS && tlc != nil:
				t.Fatal("TLS settings without redis.tls")
			case cfg.TLS && (tlc.ServerName != tc.wantName || tlc.InsecureSkipVerify):
				t.Fatalf("ServerName %q, skip verify %v; want %q, verified",
					tlc.ServerName, tlc.InsecureSkipVerify, tc.wantName)
			}
		})
	}
}
