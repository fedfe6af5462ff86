package chaos_test

import (
	"time"

	"github.com/herald-chatops/herald/node/chaos"
)

// Bounds of the steps of one fault.
const (
	inFlightWait = 2 * time.Second  // for the last heard echo before a master fault
	termLimit    = 15 * time.Second // for a graceful exit after SIGTERM
	backWithin   = 20 * time.Second // for a restarted node or Redis to serve
)

// injector carries out faults on a cluster and records them.
type injector struct {
	c       *cluster
	records []chaos.FaultRecord
	deaths  []chaos.Death
	exits   []string
}

// inject carries out f and returns when its target is back.
func (in *injector) inject(f chaos.Fault) {
	rec := chaos.FaultRecord{Fault: f, Target: "redis"}
	if f.Kind == chaos.RedisRestart {
		rec.At = time.Now()
		in.restartRedis(f.Hold)
	} else {
		rec.Target = in.target(f)
		rec.At, rec.InFlight = in.hit(rec.Target, f.Kind)
		in.recover(rec.Target, f, rec.At)
	}
	rec.End = time.Now()
	in.records = append(in.records, rec)
	in.c.t.Logf("chaos: fault %d on %s: %s; back after %v (echo in flight: %v)",
		len(in.records), rec.Target, f, rec.End.Sub(rec.At).Round(time.Millisecond),
		rec.InFlight)
	in.checkExits()
}

// target resolves the node a fault aims at.
func (in *injector) target(f chaos.Fault) string {
	if f.Master {
		if m := in.c.master(); m != "" {
			return m
		}
	}
	return in.c.ids[f.Node%len(in.c.ids)]
}

// hit marks node down and sends the fault's signal. A node whose
// connection is in the channel is hit only once the last heard echo was
// answered (bounded): the person says nothing meanwhile.
func (in *injector) hit(node string, kind chaos.FaultKind) (time.Time, bool) {
	c := in.c
	w := c.world
	w.mu.Lock()
	defer w.mu.Unlock()
	inFlight := false
	if c.person.botNodes()[node] && w.lastHeard != "" {
		last := w.lastHeard
		inFlight = !eventually(inFlightWait, func() bool { return c.person.count(last) > 0 })
	}
	w.down[node] = true
	at := time.Now()
	p := c.procs[node]
	switch kind {
	case chaos.Kill:
		in.deaths = append(in.deaths, chaos.Death{Node: node, At: at})
		p.Kill()
	case chaos.Term:
		p.SignalTerm()
	case chaos.Pause:
		p.Stop()
	}
	return at, inFlight
}

// recover brings node back after f: restarts it or continues it, and
// marks it live once it can hear again.
func (in *injector) recover(node string, f chaos.Fault, at time.Time) {
	c := in.c
	p := c.procs[node]
	switch f.Kind {
	case chaos.Kill, chaos.Term:
		if f.Kind == chaos.Term {
			if !p.Wait(termLimit) {
				c.t.Errorf("chaos: %s did not exit within %v of SIGTERM", node, termLimit)
			}
			in.deaths = append(in.deaths, chaos.Death{Node: node, At: time.Now()})
		}
		pace(f.Hold - time.Since(at))
		p.Restart()
		if !c.healthy(node, backWithin) {
			c.t.Errorf("chaos: %s not healthy within %v of its restart", node, backWithin)
		}
	case chaos.Pause:
		pace(f.Hold)
		p.Cont()
		in.settleResumed(node, time.Now())
	}
	c.setDown(node, false)
}

// settleResumed waits, bounded, until a resumed node can be trusted with
// what it hears: it has no connection in the channel, or it still holds
// its term (it renewed after resuming).
func (in *injector) settleResumed(node string, since time.Time) {
	c := in.c
	ok := eventually(backWithin, func() bool {
		return !c.person.botNodes()[node] ||
			c.logged(node, since, "lease renewed") ||
			c.logged(node, since, "master term started")
	})
	if !ok {
		c.t.Errorf("chaos: resumed %s neither left the channel nor renewed within %v",
			node, backWithin)
	}
}

// restartRedis kills Redis, keeps it down for hold, starts it again from
// its AOF, and marks it up once a master renewed after the restart and a
// bot of a live node is in the channel.
func (in *injector) restartRedis(hold time.Duration) {
	c := in.c
	c.setRedisDown(true)
	c.rds.Stop()
	pace(hold)
	c.rds.Restart()
	back := time.Now()
	ok := eventually(backWithin, func() bool {
		renewed := c.logged("", back, "lease renewed") || c.logged("", back, "master term started")
		return renewed && c.liveBotPresent()
	})
	if !ok {
		c.t.Errorf("chaos: no master serving within %v of the Redis restart", backWithin)
	}
	c.setRedisDown(false)
}

// liveBotPresent reports whether a connection of a node free of faults
// is in the channel.
func (c *cluster) liveBotPresent() bool {
	for node := range c.person.botNodes() {
		if !c.isDown(node) {
			return true
		}
	}
	return false
}

// checkExits records and restarts nodes that ended on their own.
func (in *injector) checkExits() {
	c := in.c
	for _, id := range c.ids {
		if c.isDown(id) || c.procs[id].Running() {
			continue
		}
		c.t.Errorf("chaos: %s ended on its own", id)
		in.exits = append(in.exits, id)
		in.deaths = append(in.deaths, chaos.Death{Node: id, At: time.Now()})
		c.procs[id].Restart()
	}
}

// pace waits d as part of a scenario: the length of an outage or of a
// pause, never a wait for a condition.
func pace(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}

// eventually polls cond every 10ms until it holds or within passes.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
