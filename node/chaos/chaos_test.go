package chaos_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/node/chaos"
)

// Flags override the HERALD_CHAOS_ variables (see the package doc).
var (
	flagDuration = flag.Duration("chaos.duration", 0, "traffic time of TestChaos")
	flagRate     = flag.Float64("chaos.rate", 0, "messages a second of TestChaos")
	flagSeed     = flag.Uint64("chaos.seed", 0, "seed of TestChaos's plan (0: random)")
	flagInterval = flag.Duration("chaos.interval", 0, "mean time between faults")
	flagQuiet    = flag.Duration("chaos.quiet", 0, "longest drain after the last fault")
	flagVerbose  = flag.Bool("chaos.verbose", false, "log the nodes' debug lines")
)

// verbose reports whether the nodes' debug lines are to be logged.
func verbose() bool {
	cfg, err := chaos.FromEnv(os.Getenv)
	return *flagVerbose || (err == nil && cfg.Verbose)
}

// settle is how long the checker waits after the drain for late
// duplicates: a margin of the check, not a wait for a condition.
const settle = 2 * time.Second

// config reads the environment, then the flags, and picks a seed.
func config(t *testing.T) chaos.Config {
	cfg, err := chaos.FromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if *flagDuration != 0 {
		cfg.Duration = *flagDuration
	}
	if *flagRate != 0 {
		cfg.Rate = *flagRate
	}
	if *flagSeed != 0 {
		cfg.Seed = *flagSeed
	}
	if *flagInterval != 0 {
		cfg.Interval = *flagInterval
	}
	if *flagQuiet != 0 {
		cfg.Quiet = *flagQuiet
	}
	cfg.Verbose = cfg.Verbose || *flagVerbose
	for cfg.Seed == 0 {
		cfg.Seed = rand.Uint64() % 1_000_000_000
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos suite: skipped with -short")
	}
	cfg := config(t)
	t.Logf("chaos seed %d (rerun with HERALD_CHAOS_SEED=%d): %v at %v/s, a fault every ~%v",
		cfg.Seed, cfg.Seed, cfg.Duration, cfg.Rate, cfg.Interval)
	c := startCluster(t, clusterOptions{namespace: "chaos", aof: true, verbose: cfg.Verbose})

	prefix := fmt.Sprintf("chaos-%d-", cfg.Seed)
	start := time.Now()
	s := startSender(c, prefix, cfg.Rate, cfg.Duration)
	in := &injector{c: c}
	runPlan(in, chaos.NewPlan(cfg, len(c.ids)), start.Add(cfg.Duration))
	sends := s.wait()
	drain(c, sends, prefix, cfg.Quiet)

	rep := chaos.Check(chaos.Input{Seed: cfg.Seed, Start: start, End: time.Now(),
		Sends: sends, Replies: c.person.replies(prefix), Logs: chaos.ParseLogs(c.book.Lines()),
		Deaths: in.deaths, Presence: c.person.presenceLog(), Faults: in.records,
		Exits: in.exits})
	t.Log("\n" + rep.Text())
	t.Log("CHAOS_REPORT " + rep.JSON())
	for _, p := range rep.Problems() {
		t.Error(p)
	}
}

// runPlan injects faults from plan, one at a time, until deadline.
func runPlan(in *injector, plan *chaos.Plan, deadline time.Time) {
	for i := 0; i < 10_000; i++ {
		f := plan.Next()
		if time.Until(deadline) < f.Wait+f.Hold {
			return
		}
		pace(f.Wait)
		in.inject(f)
	}
}

// drain waits, up to quiet, until every heard echo was answered and the
// lists are empty, then a little longer for late duplicates.
func drain(c *cluster, sends []chaos.Send, prefix string, quiet time.Duration) {
	answered := func() bool {
		got := map[string]bool{}
		for _, r := range c.person.replies(prefix) {
			got[r.Token] = true
		}
		for _, s := range sends {
			if s.Heard && !got[s.Token] {
				return false
			}
		}
		return true
	}
	if !eventually(quiet, func() bool { return answered() && c.queuesEmpty() }) {
		c.t.Logf("chaos: drain did not complete within %v", quiet)
	}
	pace(settle)
}

// sender says numbered echoes at a steady rate in its own goroutine.
type sender struct {
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	sends []chaos.Send
}

// startSender starts saying prefix1, prefix2, ... rate times a second
// for d. The test's cleanup stops it if the test ends first.
func startSender(c *cluster, prefix string, rate float64, d time.Duration) *sender {
	s := &sender{stop: make(chan struct{}), done: make(chan struct{})}
	limit := int(rate*d.Seconds()) + 1
	period := time.Duration(float64(time.Second) / rate)
	go func() {
		defer close(s.done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		end := time.After(d)
		for n := 1; n <= limit; n++ {
			select {
			case <-s.stop:
				return
			case <-end:
				return
			case <-tick.C:
			}
			s.sends = append(s.sends, c.echo(fmt.Sprintf("%s%d", prefix, n)))
		}
	}()
	c.t.Cleanup(func() {
		s.once.Do(func() { close(s.stop) })
		<-s.done
	})
	return s
}

// wait waits until the sender has said all it had to and returns its
// sends.
func (s *sender) wait() []chaos.Send {
	<-s.done
	return s.sends
}
