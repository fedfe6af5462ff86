package redisq

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config says how to reach Redis, under the YAML key `redis`.
//
// Sentinel (`sentinel.master`, `sentinel.addrs`) is not supported yet.
// NewClients builds its clients with redis.NewUniversalClient, so adding
// it means filling UniversalOptions.MasterName and Addrs from two more keys.
type Config struct {
	// Addr is the server as HOST:PORT. Default 127.0.0.1:6379.
	Addr string `koanf:"addr"`
	// Username is the ACL user. Default none (the default user).
	Username string `koanf:"username"`
	// Password authenticates Username. Default none.
	Password string `koanf:"password"`
	// DB is the database number. Default 0.
	DB int `koanf:"db"`
	// TLS turns on TLS with the system's root certificates. Default off.
	TLS bool `koanf:"tls"`
	// DialTimeout bounds connecting to the server. Default 2s.
	DialTimeout time.Duration `koanf:"dial_timeout"`
	// Timeout bounds the reply of an ordinary command; blocking commands
	// get their block time on top of it. Default 1s.
	Timeout time.Duration `koanf:"timeout"`
	// BlockPoolSize is how many Pops may block at the same time; a Pop
	// beyond it waits for a free connection. Default 32.
	BlockPoolSize int `koanf:"block_pool_size"`
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

// Validate refuses settings that cannot work, naming the YAML key.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("redis.addr (%q) must be HOST:PORT: %w", c.Addr, err)
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
	return nil
}

// NewClients returns two clients for cfg: cmd for ordinary commands and
// block, a separate pool used only for blocking commands (BLMOVE).
//
// Both read with redis.timeout. go-redis gives every blocking command a
// read deadline of its block time plus ten seconds instead, so a long
// block on block is never taken for a dead server, and an ordinary
// command on cmd never waits behind a block.
func NewClients(cfg Config) (cmd, block redis.UniversalClient, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	cmd = redis.NewUniversalClient(options(cfg))
	bo := options(cfg)
	bo.PoolSize = cfg.BlockPoolSize
	// A Pop waiting for a free blocking connection waits for a block to
	// end, which takes longer than an ordinary reply.
	bo.PoolTimeout = cfg.Timeout + 30*time.Second
	block = redis.NewUniversalClient(bo)
	return cmd, block, nil
}

// options maps cfg onto go-redis options shared by both clients.
func options(cfg Config) *redis.UniversalOptions {
	o := &redis.UniversalOptions{
		Addrs:        []string{cfg.Addr},
		Username:     cfg.Username,
		Password:     cfg.Password,
		DB:           cfg.DB,
		DialTimeout:  cfg.DialTimeout,
		ReadTimeout:  cfg.Timeout,
		WriteTimeout: cfg.Timeout,
		// A caller's deadline bounds the socket wait too, so a cancelled
		// worker is not held by a hung server.
		ContextTimeoutEnabled: true,
		// One retry covers a pooled connection that died with a restart;
		// more would only delay the caller, which retries on its own.
		MaxRetries: 1,
	}
	if cfg.TLS {
		host, _, _ := net.SplitHostPort(cfg.Addr)
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return o
}
