package bench

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// settings are the knobs of a benchmark run, read from the environment.
type settings struct {
	// Nodes is how many herald processes the harness runs.
	Nodes int
	// Duration is how long wrk posts webhooks.
	Duration time.Duration
	// Conns is how many connections wrk keeps open in all.
	Conns int
	// Pings is how many pings each ping series sends.
	Pings int
	// JobConcurrency is every node's worker.job_concurrency.
	JobConcurrency int
	// FailoverRuns is how many kills and how many terms the failover
	// test does.
	FailoverRuns int
	// Out and FailoverOut are files the JSON is also written to.
	Out, FailoverOut string
	// Mode is the failover test's cluster.mode: "redis" or "raft".
	Mode string
	// Raft is the raft timing of the failover test in raft mode.
	Raft raftTiming
}

// raftTiming is the raft section of every node in raft mode.
type raftTiming struct {
	Heartbeat, Election, Lease time.Duration
}

// Limits that keep a run bounded whatever the environment says.
const (
	minRaftTimeout = 5 * time.Millisecond
	maxRaftTimeout = 10 * time.Second
	maxNodes       = 5
	maxDuration    = 2 * time.Minute
	maxPings       = 1000
	maxFailovers   = 20
)

// benchSettings skips t unless HERALD_BENCH=1, and reads the settings,
// failing t on a value it cannot use.
func benchSettings(t *testing.T) settings {
	t.Helper()
	if os.Getenv("HERALD_BENCH") != "1" {
		t.Skip("cluster benchmark: set HERALD_BENCH=1 (make bench) to run it")
	}
	var env envReader
	s := settings{
		Nodes:          env.int("HERALD_BENCH_NODES", 1, 1, maxNodes),
		Duration:       env.duration("HERALD_BENCH_DURATION", 15*time.Second),
		Conns:          64,
		Pings:          env.int("HERALD_BENCH_PINGS", 100, 10, maxPings),
		JobConcurrency: env.int("HERALD_BENCH_JOB_CONCURRENCY", 4, 1, 64),
		FailoverRuns:   env.int("HERALD_BENCH_FAILOVER_RUNS", 5, 1, maxFailovers),
		Out:            os.Getenv("HERALD_BENCH_OUT"),
		FailoverOut:    os.Getenv("HERALD_BENCH_FAILOVER_OUT"),
		Mode:           env.mode("HERALD_BENCH_MODE"),
		Raft: raftTiming{
			Heartbeat: env.timeout("HERALD_BENCH_RAFT_HEARTBEAT", time.Second),
			Election:  env.timeout("HERALD_BENCH_RAFT_ELECTION", time.Second),
			Lease:     env.timeout("HERALD_BENCH_RAFT_LEASE", 500*time.Millisecond),
		},
	}
	if env.err == nil {
		env.err = s.Raft.check()
	}
	if env.err != nil {
		t.Fatal(env.err)
	}
	return s
}

// envReader reads settings from the environment and keeps the first
// error.
type envReader struct{ err error }

// int reads a whole number from lo to hi, or def when unset.
func (r *envReader) int(key string, def, lo, hi int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(fmt.Errorf("%s (%q) must be a whole number from %d to %d", key, v, lo, hi))
		return def
	}
	return n
}

// duration reads a duration from 5s to maxDuration, or def when unset.
func (r *envReader) duration(key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 5*time.Second || d > maxDuration {
		r.fail(fmt.Errorf("%s (%q) must be a duration from 5s to %v", key, v, maxDuration))
		return def
	}
	return d
}

// mode reads "redis" or "raft", "redis" when unset.
func (r *envReader) mode(key string) string {
	switch v := os.Getenv(key); v {
	case "", "redis":
		return "redis"
	case "raft":
		return v
	default:
		r.fail(fmt.Errorf("%s (%q) must be redis or raft", key, v))
		return "redis"
	}
}

// timeout reads a raft timeout from minRaftTimeout to maxRaftTimeout, or
// def when unset.
func (r *envReader) timeout(key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minRaftTimeout || d > maxRaftTimeout {
		r.fail(fmt.Errorf("%s (%q) must be a duration from %v to %v", key, v,
			minRaftTimeout, maxRaftTimeout))
		return def
	}
	return d
}

// check refuses the timings a node would refuse, before any node starts.
func (rt raftTiming) check() error {
	switch {
	case rt.Election < rt.Heartbeat:
		return fmt.Errorf("HERALD_BENCH_RAFT_ELECTION (%v) must be at least "+
			"HERALD_BENCH_RAFT_HEARTBEAT (%v)", rt.Election, rt.Heartbeat)
	case rt.Lease > rt.Heartbeat:
		return fmt.Errorf("HERALD_BENCH_RAFT_LEASE (%v) must be at most "+
			"HERALD_BENCH_RAFT_HEARTBEAT (%v)", rt.Lease, rt.Heartbeat)
	}
	return nil
}

// nodeTTL is queue.node_ttl for the timing: the default 5s, or more when
// raft mode asks for 2 x (heartbeat + election) + queue.heartbeat (1s).
func (rt raftTiming) nodeTTL() time.Duration {
	return max(5*time.Second, 2*(rt.Heartbeat+rt.Election)+time.Second)
}

// window is how long a dead leader is expected to stay unreplaced, about
// the sum of the heartbeat and election timeouts (docs/operating.md).
func (rt raftTiming) window() time.Duration { return rt.Heartbeat + rt.Election }

func (r *envReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}
