package redisq

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewClients returns two clients for cfg: cmd for ordinary commands and
// block, a separate pool used only for blocking commands (BLMOVE).
//
// Both read with redis.timeout. go-redis gives every blocking command a
// read deadline of its block time plus ten seconds instead, so a long
// block on block is never taken for a dead server, and an ordinary
// command on cmd never waits behind a block.
//
// With redis.sentinel.master set both are failover clients: each asks
// the sentinels for the master's address whenever it dials, and drops
// its connections when a sentinel announces a new master, so the same
// clients work again once Sentinel has promoted a replica. NewClients
// reads the files of redis.tls_ca, redis.tls_cert and redis.tls_key; it
// does not contact Redis.
func NewClients(cfg Config) (cmd, block redis.UniversalClient, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	co := options(cfg, tc)
	cmd = redis.NewUniversalClient(co)
	bo := options(cfg, tc)
	bo.PoolSize = cfg.BlockPoolSize
	// A Pop waiting for a free blocking connection waits for a block to
	// end, which takes longer than an ordinary reply.
	bo.PoolTimeout = cfg.Timeout + 30*time.Second
	block = redis.NewUniversalClient(bo)
	return cmd, block, nil
}

// options maps cfg onto go-redis options shared by both clients. With a
// sentinel master name, NewUniversalClient makes a failover client whose
// Addrs are the sentinels.
func options(cfg Config, tc *tls.Config) *redis.UniversalOptions {
	o := &redis.UniversalOptions{
		Addrs:        []string{cfg.Addr},
		Username:     cfg.Username,
		Password:     cfg.Password,
		DB:           cfg.DB,
		DialTimeout:  cfg.DialTimeout,
		ReadTimeout:  cfg.Timeout,
		WriteTimeout: cfg.Timeout,
		TLSConfig:    tc,
		// A caller's deadline bounds the socket wait too, so a cancelled
		// worker is not held by a hung server.
		ContextTimeoutEnabled: true,
		// One retry covers a pooled connection that died with a restart;
		// more would only delay the caller, which retries on its own.
		MaxRetries: 1,
	}
	if s := cfg.Sentinel; s.Master != "" {
		o.MasterName = s.Master
		o.Addrs = append([]string(nil), s.Addrs...)
		o.SentinelUsername = s.Username
		o.SentinelPassword = s.Password
	}
	return o
}

// tlsConfig returns the TLS settings of cfg, nil without redis.tls. The
// server is always verified. Without Sentinel the name checked is the
// host of redis.addr; with it, an empty ServerName makes Go's TLS dialer
// check the host of each address dialed.
func tlsConfig(cfg Config) (*tls.Config, error) {
	if !cfg.TLS {
		return nil, nil
	}
	tc := &tls.Config{ServerName: cfg.TLSServerName, MinVersion: tls.VersionTLS12}
	if tc.ServerName == "" && cfg.Sentinel.Master == "" {
		tc.ServerName, _, _ = net.SplitHostPort(cfg.Addr)
	}
	var err error
	if tc.RootCAs, err = loadCA(cfg.TLSCA); err != nil {
		return nil, err
	}
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("redis.tls_cert and redis.tls_key: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}

// loadCA reads the PEM file of redis.tls_ca; nil for none means the
// system's roots.
func loadCA(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("redis.tls_ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("redis.tls_ca (%q) holds no PEM certificate", file)
	}
	return pool, nil
}
