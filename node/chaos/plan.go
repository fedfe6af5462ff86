package chaos

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// FaultKind says what a fault does.
type FaultKind string

// The faults the scheduler injects.
const (
	// Kill sends SIGKILL to a node and restarts it after Hold.
	Kill FaultKind = "kill"
	// Term sends SIGTERM to a node, waits for it to exit, and restarts it
	// after Hold.
	Term FaultKind = "term"
	// Pause sends SIGSTOP to a node and SIGCONT after Hold.
	Pause FaultKind = "pause"
	// RedisRestart kills Redis and starts it again (with its AOF) after
	// Hold.
	RedisRestart FaultKind = "redis-restart"
)

// FaultKinds lists the kinds in report order.
var FaultKinds = []FaultKind{Kill, Term, Pause, RedisRestart}

// Fault is one step of a plan.
type Fault struct {
	// Wait is the quiet time before the fault, after the previous one
	// ended.
	Wait time.Duration
	Kind FaultKind
	// Master aims a node fault at whichever node is master when it
	// starts; otherwise it hits Node, an index into the nodes.
	Master bool
	Node   int
	// Hold is how long the node or Redis stays down or paused.
	Hold time.Duration
}

// String says what the fault does, for the log.
func (f Fault) String() string {
	target := fmt.Sprintf("node #%d", f.Node)
	switch {
	case f.Kind == RedisRestart:
		target = "redis"
	case f.Master:
		target = "the master"
	}
	return fmt.Sprintf("%s of %s for %v after %v", f.Kind, target,
		f.Hold.Round(time.Millisecond), f.Wait.Round(time.Millisecond))
}

// Holds and shares of the node faults.
const (
	killHoldMin, killHoldMax   = 500 * time.Millisecond, 3 * time.Second
	termHoldMin, termHoldMax   = 200 * time.Millisecond, 2 * time.Second
	pauseHoldMin, pauseHoldMax = 500 * time.Millisecond, 4 * time.Second
	redisHoldMin, redisHoldMax = 300 * time.Millisecond, 3 * time.Second
	// meanHold is about the mean time one fault takes, used to place
	// the Redis restart near the middle of the run.
	meanHold = 2 * time.Second
)

// Plan is a reproducible sequence of faults: the same seed, node count
// and config give the same faults in the same order. It is not safe for
// concurrent use.
type Plan struct {
	rng     *rand.Rand
	nodes   int
	every   time.Duration
	n       int // faults handed out so far
	redisAt int // index of the one Redis restart
}

// NewPlan returns the plan for cfg.Seed over nodes nodes. A zero seed is
// used as it is; the caller picks and prints a random one first.
func NewPlan(cfg Config, nodes int) *Plan {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	expected := max(1, int(cfg.Duration/(cfg.Interval+meanHold)))
	lo, hi := max(1, expected*3/10), max(2, expected*7/10)
	return &Plan{rng: rng, nodes: max(1, nodes), every: cfg.Interval,
		redisAt: lo + rng.IntN(hi-lo+1)}
}

// Next returns the next fault. The one Redis restart comes near the
// middle of the expected run; every other fault is a node fault: kill,
// term or pause in about equal shares, half of them aimed at the master.
func (p *Plan) Next() Fault {
	defer func() { p.n++ }()
	f := Fault{Wait: p.between(p.every/2, p.every*3/2)}
	if p.n == p.redisAt {
		f.Kind, f.Hold = RedisRestart, p.between(redisHoldMin, redisHoldMax)
		return f
	}
	switch p.rng.IntN(3) {
	case 0:
		f.Kind, f.Hold = Kill, p.between(killHoldMin, killHoldMax)
	case 1:
		f.Kind, f.Hold = Term, p.between(termHoldMin, termHoldMax)
	default:
		f.Kind, f.Hold = Pause, p.between(pauseHoldMin, pauseHoldMax)
	}
	f.Master = p.rng.IntN(2) == 0
	f.Node = p.rng.IntN(p.nodes)
	return f
}

// between draws a duration from [lo, hi], rounded to milliseconds.
func (p *Plan) between(lo, hi time.Duration) time.Duration {
	d := lo + time.Duration(p.rng.Int64N(int64(hi-lo)+1))
	return d.Round(time.Millisecond)
}
