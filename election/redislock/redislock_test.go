package redislock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/queue/redistest"
)

func TestNewRefuses(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = c.Close() })
	bad := testConfig()
	bad.Retry = time.Second
	quorum := testConfig()
	quorum.RedisAddrs = []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}
	cases := []struct {
		name     string
		cfg      election.Config
		term     redis.UniversalClient
		lock     []redis.UniversalClient
		ns, node string
		want     string
	}{
		{"bad config", bad, c, nil, "ns", "a", "election.retry (1s) must be at most"},
		{"no term client", testConfig(), nil, nil, "ns", "a", "no Redis client"},
		{"empty namespace", testConfig(), c, nil, "", "a", "empty namespace"},
		{"empty node", testConfig(), c, nil, "ns", "", "empty node id"},
		{"nil lock client", testConfig(), c, []redis.UniversalClient{nil}, "ns", "a", "nil"},
		{"lock count differs from redis_addrs", quorum, c, []redis.UniversalClient{c}, "ns",
			"a", "election.redis_addrs lists 3 servers but 1 lock clients"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.term, tc.lock, tc.ns, tc.node, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := New(testConfig(), c, nil, "ns", "a", nil); err != nil {
		t.Fatalf("New with the lock on the term client: %v", err)
	}
}

func TestOneLeader(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rc := newClient(t, srv.Addr)
	cfg := testConfig()
	c := startCluster(t, 3, cfg, rc, nil, false)

	lead, took := c.waitLeader(-1, cfg.TTL)
	t.Logf("first master after %v", took)
	s := c.els[lead].State()
	if s.Term == 0 || s.Master != c.els[lead].node || !s.Valid(time.Now()) {
		t.Fatalf("master state %+v", s)
	}
	select {
	case <-c.els[lead].Changed():
	default:
		t.Fatal("Changed has no value after the term started")
	}

	// The others see the master and its term, and it stays master.
	for i, e := range c.els {
		if i != lead {
			waitFor(t, cfg.TTL, e.node+" seeing the master", func() bool {
				got := e.State()
				return got.Master == c.els[lead].node && got.Term == s.Term
			})
		}
	}
	holdsFor(t, 3*cfg.Renew, "one steady master", func() bool {
		return c.leader(-1) == lead && c.els[lead].State().Term == s.Term
	})
	val, err := rc.Get(context.Background(), "test:master").Result()
	if err != nil || holderOf(val) != c.els[lead].node {
		t.Fatalf("lock value %q (%v), want it to name %s", val, err, c.els[lead].node)
	}
	if err := c.els[lead].Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run = %v, want ErrRunning", err)
	}

	// A graceful stop releases at once.
	c.cancels[lead]()
	next, took := c.waitLeader(lead, 3*cfg.Retry)
	t.Logf("after a graceful stop of %s, %s is master within %v",
		c.els[lead].node, c.els[next].node, took)
}

func TestCrashFailover(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig()
	c := startCluster(t, 3, cfg, newClient(t, srv.Addr), nil, true)
	lead, _ := c.waitLeader(-1, cfg.TTL)
	old := c.els[lead].State()

	// A crash: Run ends without releasing or publishing.
	c.cancels[lead]()
	next, took := c.waitLeader(lead, cfg.TTL+cfg.Retry+500*time.Millisecond)
	t.Logf("crash of %s: %s is master after %v (ttl %v)",
		c.els[lead].node, c.els[next].node, took, cfg.TTL)
	if got := c.els[next].State().Term; got <= old.Term {
		t.Fatalf("new term %d, want above %d", got, old.Term)
	}
	if took < cfg.TTL-cfg.Renew-cfg.Drift {
		t.Fatalf("new master after %v, before the old lease can have ended", took)
	}
}

func TestStepDown(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig()
	c := startCluster(t, 3, cfg, newClient(t, srv.Addr), nil, false)
	lead, _ := c.waitLeader(-1, cfg.TTL)
	old := c.els[lead].State()
	follower := (lead + 1) % len(c.els)
	ctx := context.Background()
	if err := c.els[follower].StepDown(ctx); !errors.Is(err, election.ErrNotLeader) {
		t.Fatalf("StepDown on a follower = %v, want ErrNotLeader", err)
	}

	start := time.Now()
	if err := c.els[lead].StepDown(ctx); err != nil {
		t.Fatalf("StepDown: %v", err)
	}
	if s := c.els[lead].State(); s.Leader || s.Valid(time.Now()) {
		t.Fatalf("state after StepDown: %+v", s)
	}
	next, _ := c.waitLeader(lead, 3*cfg.Retry)
	t.Logf("step-down: %s is master %v after StepDown was called",
		c.els[next].node, time.Since(start))
	if got := c.els[next].State().Term; got <= old.Term {
		t.Fatalf("new term %d, want above %d", got, old.Term)
	}
	if err := c.els[lead].StepDown(ctx); !errors.Is(err, election.ErrNotLeader) {
		t.Fatalf("second StepDown = %v, want ErrNotLeader", err)
	}

	// The new master steps down too, from a cancelled context.
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.els[next].StepDown(done); err != nil {
		t.Fatalf("StepDown on a done context: %v", err)
	}
	third, _ := c.waitLeader(next, 3*cfg.Retry)
	if third == next {
		t.Fatalf("%s won again right after stepping down", c.els[next].node)
	}
}

func TestRedisPaused(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig()
	c := startCluster(t, 2, cfg, newClient(t, srv.Addr), nil, false)
	lead, _ := c.waitLeader(-1, cfg.TTL)
	old := c.els[lead].State()
	// Let a renewal or two pass, so the deadline comes from an extension.
	waitFor(t, cfg.TTL, "a renewal", func() bool {
		return c.els[lead].State().Until.After(old.Until)
	})

	srv.Pause()
	paused := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	waitFor(t, cfg.TTL, "the master stepping back", func() bool {
		return !c.els[lead].State().Leader
	})
	dropped := c.els[lead].State().Since
	last := c.lastLeader(lead)
	lastSent := last.Until.Add(-(cfg.TTL - cfg.Drift))
	t.Logf("paused %v after the last renewal was sent; dropped %v after it (ttl %v)",
		paused.Sub(lastSent), dropped.Sub(lastSent), cfg.TTL)
	if !dropped.Before(lastSent.Add(cfg.TTL)) {
		t.Fatalf("dropped %v after the last renewal was sent, not before the ttl %v",
			dropped.Sub(lastSent), cfg.TTL)
	}
	holdsFor(t, cfg.TTL/2, "no master while Redis is paused", func() bool {
		return c.leader(-1) < 0
	})

	srv.Resume()
	resumed = true
	next, took := c.waitLeader(-1, 2*cfg.TTL+cfg.Retry)
	t.Logf("master again %v after resume, %v after pause", took, time.Since(paused))
	if got := c.els[next].State().Term; got <= old.Term {
		t.Fatalf("term after resume %d, want above %d", got, old.Term)
	}
}

func TestTermNeverGoesBack(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rc := newClient(t, srv.Addr)
	cfg := testConfig()
	c := startCluster(t, 2, cfg, rc, nil, false)
	lead, _ := c.waitLeader(-1, cfg.TTL)
	old := c.els[lead].State().Term
	other := 1 - lead
	waitFor(t, cfg.TTL, "the follower seeing the term", func() bool {
		return c.els[other].State().Term == old
	})

	// Redis loses the counter, as a promoted replica that missed writes.
	ctx := context.Background()
	if err := rc.Del(ctx, "test:term").Err(); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	holdsFor(t, 2*cfg.Retry, "the follower's term", func() bool {
		return c.els[other].State().Term == old
	})
	if err := c.els[lead].StepDown(ctx); err != nil {
		t.Fatalf("StepDown: %v", err)
	}
	next, _ := c.waitLeader(lead, 3*cfg.Retry)
	if got := c.els[next].State().Term; got != old+1 {
		t.Fatalf("term after the counter was lost: %d, want %d", got, old+1)
	}
	stored, err := rc.Get(ctx, "test:term").Uint64()
	if err != nil || stored != old+1 {
		t.Fatalf("stored term %d (%v), want %d", stored, err, old+1)
	}
}

func TestQuorum(t *testing.T) {
	cfg := testConfig()
	termSrv := redistest.Start(t, redistest.Options{})
	var lockSrv []*redistest.Server
	var lock []redis.UniversalClient
	for range 3 {
		s := redistest.Start(t, redistest.Options{})
		lockSrv = append(lockSrv, s)
		lock = append(lock, newClient(t, s.Addr))
		cfg.RedisAddrs = append(cfg.RedisAddrs, s.Addr)
	}

	// One of three lock servers down: a majority still elects.
	lockSrv[0].Stop()
	c := startCluster(t, 2, cfg, newClient(t, termSrv.Addr), lock, false)
	lead, took := c.waitLeader(-1, cfg.TTL)
	t.Logf("with one lock server down, %s is master after %v", c.els[lead].node, took)
	other := 1 - lead
	waitFor(t, cfg.TTL, "the follower reading the master", func() bool {
		return c.els[other].State().Master == c.els[lead].node
	})

	// Two of three down: the master steps back and nobody wins.
	lockSrv[1].Stop()
	stopped := time.Now()
	waitFor(t, cfg.TTL, "the master stepping back", func() bool {
		return !c.els[lead].State().Leader
	})
	t.Logf("with two lock servers down, master stepped back after %v", time.Since(stopped))
	holdsFor(t, cfg.TTL+2*cfg.Retry, "no master without a majority", func() bool {
		return c.leader(-1) < 0
	})
}

func TestLockTakenEndsTermAtOnce(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rc := newClient(t, srv.Addr)
	cfg := testConfig()
	c := startCluster(t, 1, cfg, rc, nil, false)
	c.waitLeader(-1, cfg.TTL)

	// Another holder overwrites the lock, as after a failover of Redis.
	ctx := context.Background()
	if err := rc.Set(ctx, "test:master", "intruder:1", time.Minute).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	taken := time.Now()
	waitFor(t, cfg.Renew+cfg.Retry, "the term ending", func() bool {
		return !c.els[0].State().Leader
	})
	t.Logf("term ended %v after the lock was taken", time.Since(taken))
	waitFor(t, cfg.TTL, "the intruder seen as master", func() bool {
		return c.els[0].State().Master == "intruder"
	})
}

func TestNoTermNoMaster(t *testing.T) {
	cfg := testConfig()
	termSrv := redistest.Start(t, redistest.Options{})
	var lock []redis.UniversalClient
	for range 3 {
		s := redistest.Start(t, redistest.Options{})
		lock = append(lock, newClient(t, s.Addr))
		cfg.RedisAddrs = append(cfg.RedisAddrs, s.Addr)
	}
	termSrv.Stop()
	c := startCluster(t, 2, cfg, newClient(t, termSrv.Addr), lock, false)
	holdsFor(t, cfg.TTL/2, "no master without a fencing token", func() bool {
		return c.leader(-1) < 0
	})

	// Every lock won for a term that could not start was given back: a
	// majority of the lock servers is free well before a lease would end.
	// (A minority may hold a straggling write for one lease.)
	c.stopAll()
	waitFor(t, cfg.Retry, "free lock on a majority", func() bool {
		free := 0
		for _, l := range lock {
			if n, err := l.Exists(context.Background(), "test:master").Result(); err == nil &&
				n == 0 {
				free++
			}
		}
		return free >= 2
	})
}
