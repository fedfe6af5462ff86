package redisq

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
	"github.com/herald-chatops/herald/queue/redistest"
)

// sentinelConfig returns a config that finds the master through k.
func sentinelConfig(k *redistest.Sentinel) Config {
	cfg := DefaultConfig()
	cfg.Addr = "192.0.2.1:6379" // ignored: the sentinels say where the master is
	cfg.Sentinel = SentinelConfig{Master: k.Name, Addrs: k.Addrs}
	return cfg
}

// The conformance suite with the master found through Sentinel.
func TestSentinelConformance(t *testing.T) {
	t.Parallel() // mostly waits, like the other suites over one transport
	master := redistest.Start(t, redistest.Options{})
	k := redistest.StartSentinel(t, master, "herald-redis", 3)
	raw := rawClient(t, master.Addr)
	var ns namespaces
	open := func(t *testing.T, node string) queue.Queue {
		return openQueue(t, sentinelConfig(k), ns.of(t), node)
	}
	setTerm := func(t *testing.T, term uint64) {
		key := ns.of(t) + ":term"
		if err := raw.Set(ctxFor(t), key, strconv.FormatUint(term, 10), 0).Err(); err != nil {
			t.Fatalf("set term: %v", err)
		}
	}
	queuetest.Run(t, open, setTerm)
}

// After SIGKILL of the master, Sentinel promotes the replica and the same
// Queue works again on it, with nothing lost that the replica had.
//
// Redis replicates asynchronously: what the master acknowledged but had
// not yet sent to the replica is lost with it. The test makes that window
// empty with WAIT 1 after the writes, so that any loss is Herald's.
func TestSentinelFailoverKeepsReplicated(t *testing.T) {
	master := redistest.Start(t, redistest.Options{})
	k := redistest.StartSentinel(t, master, "herald-redis", 3)
	q := openQueue(t, sentinelConfig(k), "herald", "a")
	ids := pushN(t, q, queue.Jobs, 20)
	held := []*queue.Delivery{mustPop(t, q, queue.Jobs, ids[0]),
		mustPop(t, q, queue.Jobs, ids[1]), mustPop(t, q, queue.Jobs, ids[2])}
	if n, err := rawClient(t, master.Addr).Wait(ctxFor(t), 1, 5*time.Second).Result(); n != 1 {
		t.Fatalf("WAIT 1 = %d, %v: the replica did not confirm the writes", n, err)
	}

	killed := time.Now()
	popDone := popAcross(t, q)
	k.KillMaster()
	promoted := k.WaitNewMaster(master.Addr, 30*time.Second)
	t.Logf("sentinels promoted %s %v after the kill", promoted, time.Since(killed))
	if err := <-popDone; err != nil && !errors.Is(err, queue.ErrEmpty) {
		t.Logf("pop blocked across the kill returned %v", err)
	}

	// The same Queue, with no new clients, works again within a bound.
	tries := 0
	eventually(t, 20*time.Second, "push after failover", func() bool {
		tries++
		return q.Push(ctxFor(t), queue.Jobs, env("after"), 0) == nil
	})
	t.Logf("queue works again %v after the kill (%d tries)", time.Since(killed), tries)
	if limit := 15 * time.Second; time.Since(killed) > limit {
		t.Errorf("queue back after %v, want within %v", time.Since(killed), limit)
	}
	checkKept(t, q, held, append(ids[3:], "after"))
}

// pushN pushes n envelopes onto list and returns their ids in order.
func pushN(t *testing.T, q *Queue, list string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("m%02d", i)
		if err := q.Push(ctxFor(t), list, env(ids[i]), 0); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// popAcross starts a Pop that blocks on an empty list while the master
// dies, and returns its outcome; it must end, not hang.
func popAcross(t *testing.T, q *Queue) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := q.Pop(ctxFor(t), queue.Inbound, 3*time.Second)
		done <- err
	}()
	return done
}

// checkKept checks that the leases held before the failover can still be
// ended, and that the list gives exactly want.
func checkKept(t *testing.T, q *Queue, held []*queue.Delivery, want []string) {
	t.Helper()
	if err := q.Ack(ctxFor(t), held[0]); err != nil {
		t.Fatalf("ack of a lease from before the failover: %v", err)
	}
	if err := q.Release(ctxFor(t), held[1]); err != nil {
		t.Fatalf("release of a lease from before the failover: %v", err)
	}
	if dead, err := q.Retry(ctxFor(t), held[2], errors.New("boom")); err != nil || dead {
		t.Fatalf("retry of a lease from before the failover: %v, dead %v", err, dead)
	}
	got := popAll(t, q, queue.Jobs)
	want = append([]string{held[1].Envelope.ID}, want...)
	want = append(want, held[2].Envelope.ID)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("after the failover the list gave %v, want %v", got, want)
	}
}

// redis.sentinel.password is what logs in to sentinels that need it.
func TestSentinelPassword(t *testing.T) {
	master := redistest.Start(t, redistest.Options{})
	k := redistest.StartSentinelWith(t, master, "herald-redis",
		redistest.SentinelOptions{Sentinels: 1, Password: "sentinel-pw"})
	tests := []struct {
		name     string
		user, pw string
		ok       bool
	}{
		{"password", "", "sentinel-pw", true},
		{"default user and password", "default", "sentinel-pw", true},
		{"no password", "", "", false},
		{"wrong password", "", "nope", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sentinelConfig(k)
			cfg.Sentinel.Username, cfg.Sentinel.Password = tc.user, tc.pw
			err := openQueue(t, cfg, "herald", "a").Ping(ctxFor(t))
			if (err == nil) != tc.ok {
				t.Fatalf("ping: %v, want success %v", err, tc.ok)
			}
			t.Logf("ping: %v", err)
		})
	}
}
