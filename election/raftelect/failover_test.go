package raftelect

import (
	"slices"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue/raftq"
	"github.com/herald-chatops/herald/queue/raftq/rafttest"
)

// TestFailoverGap kills the master's node abruptly (its raft stops and
// every connection closes, as when the process is killed) five times per
// timing and measures how long the cluster has no valid master. It
// restarts the killed node with its data between runs.
func TestFailoverGap(t *testing.T) {
	timings := []struct {
		name string
		set  func(c *raftq.Config)
	}{
		{"default", func(c *raftq.Config) {
			d := raftq.DefaultConfig()
			c.HeartbeatTimeout, c.ElectionTimeout = d.HeartbeatTimeout, d.ElectionTimeout
			c.LeaderLeaseTimeout = d.LeaderLeaseTimeout
		}},
		{"fast", rafttest.FastTiming},
	}
	for _, tc := range timings {
		t.Run(tc.name, func(t *testing.T) {
			c := rafttest.Start(t, 3, tc.set)
			gaps := measureFailovers(t, c, 5)
			cfg := c.Cfgs[0]
			t.Logf("raft timing heartbeat %v election %v lease %v: failover gap "+
				"min %v median %v max %v", cfg.HeartbeatTimeout, cfg.ElectionTimeout,
				cfg.LeaderLeaseTimeout, gaps[0], gaps[len(gaps)/2], gaps[len(gaps)-1])
			limit := 2*cfg.HeartbeatTimeout + 2*cfg.ElectionTimeout + time.Second
			if gaps[len(gaps)-1] > limit {
				t.Errorf("slowest failover %v, over %v", gaps[len(gaps)-1], limit)
			}
		})
	}
}

// measureFailovers kills the master runs times and returns the gaps,
// sorted.
func measureFailovers(t *testing.T, c *rafttest.Cluster, runs int) []time.Duration {
	es := make([]*Elector, len(c.Nodes))
	stops := make([]func(), len(c.Nodes))
	for i := range es {
		es[i], stops[i] = run(t, c, i)
	}
	var gaps []time.Duration
	for r := range runs {
		old := master(t, es)
		killed := time.Now()
		c.StopNode(old)
		stops[old]()
		es[old] = nil
		m := master(t, es)
		gaps = append(gaps, time.Since(killed))
		t.Logf("run %d: master %d killed, %d took over after %v", r+1, old, m, gaps[r])

		c.StartNode(old)
		es[old], stops[old] = run(t, c, old)
		c.Leader()
	}
	slices.Sort(gaps)
	return gaps
}
