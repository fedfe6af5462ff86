package redisq

import (
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"no port", func(c *Config) { c.Addr = "localhost" }, "redis.addr"},
		{"empty addr", func(c *Config) { c.Addr = "" }, "redis.addr"},
		{"negative db", func(c *Config) { c.DB = -1 }, "redis.db"},
		{"zero dial timeout", func(c *Config) { c.DialTimeout = 0 }, "redis.dial_timeout"},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, "redis.timeout"},
		{"no block pool", func(c *Config) { c.BlockPoolSize = 0 }, "redis.block_pool_size"},
		{"tls and acl", func(c *Config) { c.TLS, c.Username = true, "herald" }, ""},
		{"tls files", func(c *Config) {
			c.TLS, c.TLSCA, c.TLSCert, c.TLSKey = true, "ca.pem", "c.pem", "c.key"
		}, ""},
		{"ca without tls", func(c *Config) { c.TLSCA = "ca.pem" }, "redis.tls_ca"},
		{"cert without tls", func(c *Config) { c.TLSCert = "c.pem" }, "redis.tls_cert"},
		{"name without tls", func(c *Config) { c.TLSServerName = "r" }, "redis.tls_server_name"},
		{"cert without key", func(c *Config) { c.TLS, c.TLSCert = true, "c.pem" }, "redis.tls_cert"},
		{"key without cert", func(c *Config) { c.TLS, c.TLSKey = true, "c.key" }, "redis.tls_cert"},
		{"sentinel", sentinel("m", "127.0.0.1:26379", "127.0.0.1:26380"), ""},
		{"sentinel ignores addr", func(c *Config) {
			sentinel("m", "127.0.0.1:26379")(c)
			c.Addr = ""
		}, ""},
		{"sentinel without addrs", sentinel("m"), "redis.sentinel.addrs"},
		{"sentinel addrs without master", sentinel("", "127.0.0.1:26379"),
			"redis.sentinel.master"},
		{"sentinel addr without port", sentinel("m", "127.0.0.1:26379", "s2"),
			"redis.sentinel.addrs[1]"},
		{"sentinel addr twice", sentinel("m", "s:1", "s:1"), "redis.sentinel.addrs[1]"},
		{"sentinel auth without master", func(c *Config) { c.Sentinel.Password = "pw" },
			"redis.sentinel.username and redis.sentinel.password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

// sentinel returns a change setting redis.sentinel.master and addrs.
func sentinel(master string, addrs ...string) func(*Config) {
	return func(c *Config) { c.Sentinel.Master, c.Sentinel.Addrs = master, addrs }
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.Addr != "127.0.0.1:6379" || c.DB != 0 || c.DialTimeout != 2*time.Second ||
		c.Timeout != time.Second {
		t.Fatalf("DefaultConfig() = %+v", c)
	}
	if _, _, err := NewClients(Config{}); err == nil {
		t.Fatal("NewClients accepted an empty config")
	}
}

func TestNewRefuses(t *testing.T) {
	cmd, block, err := NewClients(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer cmd.Close()
	defer block.Close()
	bad := queue.DefaultConfig()
	bad.MaxAttempts = 0
	tests := []struct {
		name      string
		ns, node  string
		cfg       queue.Config
		noClients bool
		want      string
	}{
		{"no namespace", "", "a", queue.DefaultConfig(), false, "cluster.namespace"},
		{"no node", "herald", "", queue.DefaultConfig(), false, "node id"},
		{"bad queue config", "herald", "a", bad, false, "queue.max_attempts"},
		{"no clients", "herald", "a", queue.DefaultConfig(), true, "clients"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, b := cmd, block
			if tc.noClients {
				c = nil
			}
			q, err := New(c, b, tc.ns, tc.node, tc.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || q != nil {
				t.Fatalf("New() = %v, %v; want an error naming %s", q, err, tc.want)
			}
		})
	}
}
