package redisq

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Config says how to reach Redis, under the YAML key `redis`.
//
// Redis is reached either directly at redis.addr, or, with
// redis.sentinel.master set, through Redis Sentinel: the clients then ask
// the sentinels where the master is and follow it to a promoted replica
// after a failover, and redis.addr is ignored.
//
// With redis.tls the server's certificate is always verified, against
// the system's roots or redis.tls_ca; there is no setting to skip it.
type Config struct {
	// Addr is the server as HOST:PORT. Default 127.0.0.1:6379. Ignored
	// when redis.sentinel.master is set.
	Addr string `koanf:"addr"`
	// Username is the ACL user. Default none (the default user).
	Username string `koanf:"username"`
	// Password authenticates Username. Default none.
	Password string `koanf:"password"`
	// DB is the database number. Default 0.
	DB int `koanf:"db"`
	// TLS turns on TLS, verified against the system's root certificates
	// (or redis.tls_ca) for the host of redis.addr (or
	// redis.tls_server_name). Default off.
	TLS bool `koanf:"tls"`
	// TLSCA is a PEM file of the certificates to trust instead of the
	// system's, for a server with a private or self-signed certificate.
	// Needs redis.tls. Default none.
	TLSCA string `koanf:"tls_ca"`
	// TLSCert and TLSKey are PEM files of a client certificate and its
	// key, for a server that asks for one (Redis' tls-auth-clients, on in
	// Redis' own defaults). Both or neither; they need redis.tls.
	// Default none.
	TLSCert string `koanf:"tls_cert"`
	// TLSKey is the key of TLSCert.
	TLSKey string `koanf:"tls_key"`
	// TLSServerName is the name the server's certificate must carry.
	// Default: the host of redis.addr; with Sentinel, the host of each
	// address dialed (the sentinels' and the masters' they report), so
	// their certificates must carry those addresses. Needs redis.tls.
	TLSServerName string `koanf:"tls_server_name"`
	// Sentinel finds the master through Redis Sentinel when its master
	// is set. Default off.
	Sentinel SentinelConfig `koanf:"sentinel"`
	// DialTimeout bounds connecting to the server. Default 2s.
	DialTimeout time.Duration `koanf:"dial_timeout"`
	// Timeout bounds the reply of an ordinary command; blocking commands
	// get their block time on top of it. Default 1s.
	Timeout time.Duration `koanf:"timeout"`
	// BlockPoolSize is how many Pops may block at the same time; a Pop
	// beyond it waits for a free connection. Default 32.
	BlockPoolSize int `koanf:"block_pool_size"`
}

// SentinelConfig says where the sentinels are, under the YAML key
// `redis.sentinel`. Master and Addrs are set together or not at all.
//
// Redis replicates asynchronously: when Sentinel promotes a replica,
// writes the old master acknowledged but had not yet sent to it are lost
// (Redis' min-replicas-to-write narrows that window).
type SentinelConfig struct {
	// Master is the name the sentinels know the master by, as in their
	// `sentinel monitor NAME ...` line. Default none: no Sentinel.
	Master string `koanf:"master"`
	// Addrs are sentinels as HOST:PORT. One that answers is enough; the
	// clients learn the others from it. Default none.
	Addrs []string `koanf:"addrs"`
	// Username is the ACL user of the sentinels themselves. The Redis
	// servers take redis.username. Default none.
	Username string `koanf:"username"`
	// Password authenticates to the sentinels (their requirepass, or
	// Username's password). The Redis servers take redis.password.
	// Default none.
	Password string `koanf:"password"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Addr:          "127.0.0.1:6379",
		DialTimeout:   2 * time.Second,
		Timeout:       time.Second,
		BlockPoolSize: 32,
	}
}

// WithAddr returns a copy of c that reaches the one server addr directly,
// with c's credentials, TLS and timeouts but without Sentinel: for the
// independent lock servers of election.redis_addrs.
func (c Config) WithAddr(addr string) Config {
	c.Addr = addr
	c.Sentinel = SentinelConfig{}
	return c
}

// Validate refuses settings that cannot work, naming the YAML key.
func (c Config) Validate() error {
	if c.Sentinel.Master == "" && len(c.Sentinel.Addrs) == 0 {
		if err := checkAddr("redis.addr", c.Addr); err != nil {
			return err
		}
	}
	switch {
	case c.DB < 0:
		return fmt.Errorf("redis.db (%d) must not be negative", c.DB)
	case c.DialTimeout <= 0:
		return fmt.Errorf("redis.dial_timeout (%v) must be positive", c.DialTimeout)
	case c.Timeout <= 0:
		return fmt.Errorf("redis.timeout (%v) must be positive", c.Timeout)
	case c.BlockPoolSize < 1:
		return fmt.Errorf("redis.block_pool_size (%d) must be at least 1", c.BlockPoolSize)
	}
	if err := c.validateTLS(); err != nil {
		return err
	}
	return c.Sentinel.validate()
}

// validateTLS refuses TLS settings that would be ignored or half set.
func (c Config) validateTLS() error {
	if !c.TLS {
		for _, k := range []struct{ key, val string }{{"redis.tls_ca", c.TLSCA},
			{"redis.tls_cert", c.TLSCert}, {"redis.tls_key", c.TLSKey},
			{"redis.tls_server_name", c.TLSServerName}} {
			if k.val != "" {
				return fmt.Errorf("%s (%q) needs redis.tls: true", k.key, k.val)
			}
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("redis.tls_cert (%q) and redis.tls_key (%q) must be set together",
			c.TLSCert, c.TLSKey)
	}
	return nil
}

// validate checks the sentinel settings.
func (s SentinelConfig) validate() error {
	switch {
	case s.Master == "" && len(s.Addrs) > 0:
		return errors.New("redis.sentinel.master must name the monitored master " +
			"when redis.sentinel.addrs is set")
	case s.Master != "" && len(s.Addrs) == 0:
		return fmt.Errorf("redis.sentinel.addrs must list at least one sentinel "+
			"(HOST:PORT) when redis.sentinel.master (%q) is set", s.Master)
	case s.Master == "" && (s.Username != "" || s.Password != ""):
		return errors.New("redis.sentinel.username and redis.sentinel.password need " +
			"redis.sentinel.master and redis.sentinel.addrs")
	}
	seen := make(map[string]bool, len(s.Addrs))
	for i, addr := range s.Addrs {
		if err := checkAddr(fmt.Sprintf("redis.sentinel.addrs[%d]", i), addr); err != nil {
			return err
		}
		if seen[addr] {
			return fmt.Errorf("redis.sentinel.addrs[%d] (%q) is listed twice", i, addr)
		}
		seen[addr] = true
	}
	return nil
}

// checkAddr refuses an address that is not HOST:PORT, naming key. An
// empty host means the local host, as in Go's dialer.
func checkAddr(key, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil && port == "" {
		err = errors.New("the port must be set")
	}
	if err != nil {
		return fmt.Errorf("%s (%q) must be HOST:PORT: %w", key, addr, err)
	}
	return nil
}
