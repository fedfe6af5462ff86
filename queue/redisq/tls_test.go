package redisq

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// The whole conformance suite over mutual TLS: the server checks the
// client's certificate, the client the server's against redis.tls_ca.
func TestTLSConformance(t *testing.T) {
	t.Parallel() // mostly waits, like the other suites over one transport
	certs := redistest.NewCerts(t)
	srv := redistest.StartTLS(t, certs, redistest.Options{})
	cfg := tlsConfigFor(srv.TLSAddr, certs)
	raw := redis.NewClient(&redis.Options{Addr: srv.TLSAddr, TLSConfig: certs.ClientConfig(t)})
	t.Cleanup(func() { _ = raw.Close() })
	var ns namespaces
	open := func(t *testing.T, node string) queue.Queue {
		return openQueue(t, cfg, ns.of(t), node)
	}
	setTerm := func(t *testing.T, term uint64) {
		key := ns.of(t) + ":term"
		if err := raw.Set(ctxFor(t), key, strconv.FormatUint(term, 10), 0).Err(); err != nil {
			t.Fatalf("set term: %v", err)
		}
	}
	queuetest.Run(t, open, setTerm)
}

// tlsConfigFor returns a config for a TLS server at addr with the
// certificates of certs.
func tlsConfigFor(addr string, certs redistest.Certs) Config {
	cfg := testConfig(addr)
	cfg.TLS, cfg.TLSCA = true, certs.CA
	cfg.TLSCert, cfg.TLSKey = certs.ClientCert, certs.ClientKey
	return cfg
}

// What TLS must refuse, it refuses: verification is on by default.
func TestTLSRefusals(t *testing.T) {
	certs := redistest.NewCerts(t)
	other := redistest.NewCerts(t)
	srv := redistest.StartTLS(t, certs, redistest.Options{})
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"works", func(*Config) {}, ""},
		{"plain connection", func(c *Config) { *c = testConfig(c.Addr) }, "EOF"},
		{"system roots", func(c *Config) { c.TLSCA = "" }, "certificate"},
		{"other authority", func(c *Config) { c.TLSCA = other.CA }, "certificate"},
		{"wrong name", func(c *Config) { c.TLSServerName = "redis.example" }, "certificate"},
		{"no client certificate", func(c *Config) { c.TLSCert, c.TLSKey = "", "" }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tlsConfigFor(srv.TLSAddr, certs)
			tc.change(&cfg)
			err := openQueue(t, cfg, "tls", "a").Ping(ctxFor(t))
			switch {
			case tc.name == "works" && err != nil:
				t.Fatalf("ping: %v", err)
			case tc.name != "works" && err == nil:
				t.Fatal("ping succeeded, want a refusal")
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("ping: %v, want an error about %s", err, tc.want)
			}
			t.Logf("ping: %v", err)
		})
	}
}

// A server that does not ask for client certificates needs only the CA.
func TestTLSWithoutClientCertificate(t *testing.T) {
	certs := redistest.NewCerts(t)
	srv := redistest.StartTLS(t, certs, redistest.Options{
		Args: []string{"--tls-auth-clients", "no"}})
	cfg := tlsConfigFor(srv.TLSAddr, certs)
	cfg.TLSCert, cfg.TLSKey = "", ""
	q := openQueue(t, cfg, "tls", "a")
	if err := q.Push(ctxFor(t), queue.Jobs, env("j1"), 0); err != nil {
		t.Fatal(err)
	}
	mustPop(t, q, queue.Jobs, "j1")
}
