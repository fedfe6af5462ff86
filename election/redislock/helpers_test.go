package redislock

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/election"
)

// testConfig is the timing the tests run at: short, so failovers take
// about a second.
func testConfig() election.Config {
	return election.Config{
		TTL:   time.Second,
		Renew: 250 * time.Millisecond,
		Retry: 100 * time.Millisecond,
		Drift: 50 * time.Millisecond,
	}
}

// newClient returns a client for a server the test started, with
// timeouts short enough for a paused server to fail fast.
func newClient(t *testing.T, addr string) redis.UniversalClient {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		ReadTimeout:           500 * time.Millisecond,
		WriteTimeout:          500 * time.Millisecond,
		MaxRetries:            -1,
		DialerRetries:         1,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testLogger routes logs to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // t.Log panics once the test ended
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = tWriter{}

// cluster runs electors in this process and watches that no two of them
// ever hold a valid leadership at the same instant.
type cluster struct {
	t       *testing.T
	els     []*Elector
	cancels []context.CancelFunc
	runs    sync.WaitGroup

	mu       sync.Mutex
	lastLead []election.State // each elector's last state seen as Leader
	overlaps int
}

// startCluster starts n electors sharing term and lock. With crash set,
// a cancelled elector exits as a killed process would.
func startCluster(t *testing.T, n int, cfg election.Config, term redis.UniversalClient,
	lock []redis.UniversalClient, crash bool) *cluster {
	t.Helper()
	c := &cluster{t: t, lastLead: make([]election.State, n)}
	for i := range n {
		e, err := New(cfg, term, lock, "test", fmt.Sprintf("node-%d", i), testLogger(t))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		e.crash = crash
		c.els = append(c.els, e)
	}
	stopWatch := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() { c.watch(stopWatch) })
	for _, e := range c.els {
		ctx, cancel := context.WithCancel(context.Background())
		c.cancels = append(c.cancels, cancel)
		c.runs.Go(func() {
			if err := e.Run(ctx); err != nil {
				t.Errorf("Run(%s) = %v", e.node, err)
			}
		})
	}
	t.Cleanup(func() {
		c.stopAll()
		close(stopWatch)
		watch.Wait()
	})
	return c
}

// stopAll cancels every elector and waits for their Run to return.
func (c *cluster) stopAll() {
	for _, cancel := range c.cancels {
		cancel()
	}
	c.runs.Wait()
}

// watch samples every elector's state every millisecond or so. A
// leadership counts at an instant when it had started by then and its
// lease had not run out.
func (c *cluster) watch(stop <-chan struct{}) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		var valid []string
		c.mu.Lock()
		for i, e := range c.els {
			s := e.State()
			if s.Leader {
				c.lastLead[i] = s
			}
			if s.Valid(now) && !s.Since.After(now) {
				valid = append(valid, fmt.Sprintf("%s term %d", e.node, s.Term))
			}
		}
		if len(valid) > 1 && c.overlaps < 5 {
			c.overlaps++
			c.t.Errorf("two masters at %v: %v", now.Format(time.StampMicro), valid)
		}
		c.mu.Unlock()
	}
}

// lastLeader returns elector i's last state seen as Leader.
func (c *cluster) lastLeader(i int) election.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastLead[i]
}

// leader returns the index of the one elector that is Leader, or -1.
// It fails the test when more than one is.
func (c *cluster) leader(exclude int) int {
	found := -1
	for i, e := range c.els {
		if i != exclude && e.State().Leader {
			if found >= 0 {
				c.t.Fatalf("%s and %s are both Leader", c.els[found].node, e.node)
			}
			found = i
		}
	}
	return found
}

// waitLeader waits until an elector other than exclude is Leader and
// returns its index and how long that took.
func (c *cluster) waitLeader(exclude int, within time.Duration) (int, time.Duration) {
	c.t.Helper()
	start := time.Now()
	found := -1
	waitFor(c.t, within, "a master", func() bool {
		found = c.leader(exclude)
		return found >= 0
	})
	return found, time.Since(start)
}

// waitFor polls cond every 2ms until it holds, and fails the test after
// within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// holdsFor checks cond every 2ms for d and fails the test when it breaks.
func holdsFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if !cond() {
			t.Fatalf("%s broke", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
