package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSentinelFailover(t *testing.T) {
	master := Start(t, Options{})
	k := StartSentinel(t, master, "kit", 3)
	failover(t, k, master)
}

// With a password the sentinels still find each other and fail over.
func TestSentinelPasswordFailover(t *testing.T) {
	master := Start(t, Options{})
	k := StartSentinelWith(t, master, "kit", SentinelOptions{Password: "pw"})
	c := redis.NewSentinelClient(&redis.Options{Addr: k.Addrs[0], MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a sentinel with a password answered a client without one")
	}
	failover(t, k, master)
}

// failover kills the master of k and checks that the replica took over.
func failover(t *testing.T, k *Sentinel, master *Server) {
	t.Helper()
	if got, err := k.MasterAddr(); err != nil || got != master.Addr {
		t.Fatalf("MasterAddr() = %q, %v; want %s", got, err, master.Addr)
	}
	replica := k.Servers[1]

	start := time.Now()
	if killed := k.KillMaster(); killed != master || master.Pid() != 0 {
		t.Fatalf("KillMaster killed %v, want the master", killed)
	}
	if got := k.WaitNewMaster(master.Addr, 20*time.Second); got != replica.Addr {
		t.Fatalf("new master %s, want the replica %s", got, replica.Addr)
	}
	t.Logf("sentinels promoted the replica %v after the kill", time.Since(start))
}

func TestStartTLS(t *testing.T) {
	certs := NewCerts(t)
	s := StartTLS(t, certs, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	c := redis.NewClient(&redis.Options{Addr: s.TLSAddr, TLSConfig: certs.ClientConfig(t)})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping over TLS: %v", err)
	}
	plain := redis.NewClient(&redis.Options{Addr: s.TLSAddr, MaxRetries: -1,
		ReadTimeout: time.Second})
	defer plain.Close()
	if err := plain.Ping(ctx).Err(); err == nil {
		t.Fatal("a plain connection to the TLS port was answered")
	}
	s.Restart()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Logf("first ping after restart: %v", err)
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("ping over TLS after restart: %v", err)
		}
	}
}
