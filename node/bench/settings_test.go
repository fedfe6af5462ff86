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
}

// Limits that keep a run bounded whatever the environment says.
const (
	maxNodes     = 5
	maxDuration  = 2 * time.Minute
	maxPings     = 1000
	maxFailovers = 20
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

func (r *envReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}
