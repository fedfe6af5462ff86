// Package timer runs handlers on a schedule, once per tick for the whole
// cluster however many nodes run.
//
// A handler registers a Timer: `every DURATION` or a cron expression, and
// what to do with a tick missed while there was no master. The Scheduler
// runs on the master only, for the length of its term. For each tick it
// claims the tick's slot (the time the tick was due) with the term as
// fencing token, writes the slot as the timer's last, and only then calls
// the handler. Whatever the handler asks for through its Tick goes to the
// outbound list with ids derived from the slot.
//
// What it guarantees:
//
//   - At most once per slot in the cluster: the claim of
//     timer:<name>:<slot> succeeds once, and a master whose term has
//     ended cannot claim at all (the fence). Two schedulers running at
//     once, as in a split brain, still fire each slot once.
//   - A missed slot fires once: when a master starts and the latest slot
//     at or before now is newer than the timer's last, the timer fires it
//     once at once (Tick.Late is true) when its Missed is FireOnce, and
//     records it without firing when Missed is Skip. However many slots
//     passed, at most one is fired.
//   - Slots are the same on every node: `every D` ticks at the multiples
//     of D since the zero time (every 1h: on the hour, UTC), and a cron
//     expression is read in UTC unless it starts with CRON_TZ=Zone.
//
// What it does not guarantee: that a claimed slot's handler completes. A
// master that dies after the claim loses that tick (it is not missed, it
// was taken). Slots that pass while a tick's handler still runs are
// skipped, not queued. The first start of a timer owes nothing from
// before it. Timers are code, registered alike on every node.
package timer

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/herald-chatops/herald/chat"
)

// Missed says what to do with a slot that passed without a master.
type Missed int

const (
	// FireOnce fires the latest missed slot once, when the next master
	// is up. It is the default.
	FireOnce Missed = iota
	// Skip records missed slots without firing them.
	Skip
)

// Limits of a Timer.
const (
	// MinEvery is the shortest Every. Each tick costs a claim and a write
	// in the store, so a real bot wants seconds at least; tests use less.
	MinEvery = 10 * time.Millisecond
	// DefaultTimeout is a tick handler's time when Timer.Timeout is zero.
	DefaultTimeout = time.Minute
)

// HandlerFunc handles one tick. Actions asked for through t are pushed
// once it returns nil.
type HandlerFunc func(ctx context.Context, t *Tick) error

// Timer is one scheduled handler.
type Timer struct {
	// Name identifies the timer in keys, ids and logs: 1 to 64 letters,
	// digits, '_', '.' or '-', unique in the cluster.
	Name string
	// Every ticks at each multiple of Every. Set Every or Cron.
	Every time.Duration
	// Cron is a five-field cron expression ("0 9 * * 1-5") or a
	// descriptor (@hourly, @daily, @weekly, @monthly), in UTC unless it
	// starts with "CRON_TZ=Europe/Paris ". @every is refused: use Every.
	Cron string
	// Missed is what to do with a slot missed during a failover.
	Missed Missed
	// Timeout bounds one call of Handler. Default DefaultTimeout.
	Timeout time.Duration
	// Handler does the work.
	Handler HandlerFunc
}

// Tick is one firing of a timer: what the handler gets. Its Outbox sends
// to rooms and users; there is no message to reply to.
type Tick struct {
	// Timer is the timer's name.
	Timer string
	// Slot is the time the tick was due.
	Slot time.Time
	// Late is true for a missed slot fired when a master started.
	Late bool

	chat.Outbox
}

// ErrBadTimer is returned by Add for a timer that cannot run.
var ErrBadTimer = errors.New("timer: bad timer")

var timerName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// schedule gives the slots of a timer.
type schedule interface {
	// Next returns the first slot strictly after t, or the zero time
	// when there is none.
	Next(t time.Time) time.Time
}

// every is the schedule of Timer.Every.
type every time.Duration

func (e every) Next(t time.Time) time.Time {
	d := time.Duration(e)
	return t.Truncate(d).Add(d)
}

// check validates t and returns its schedule.
func (t Timer) check() (schedule, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrBadTimer, t.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case !timerName.MatchString(t.Name):
		return nil, bad("a name is 1 to 64 letters, digits, '_', '.' or '-'")
	case t.Handler == nil:
		return nil, bad("no handler")
	case t.Timeout < 0:
		return nil, bad("negative timeout")
	case t.Missed != FireOnce && t.Missed != Skip:
		return nil, bad("unknown missed policy %d", t.Missed)
	case (t.Every != 0) == (t.Cron != ""):
		return nil, bad("set exactly one of Every and Cron")
	case t.Cron != "":
		s, err := ParseCron(t.Cron)
		if err != nil {
			return nil, bad("%v", err)
		}
		return s, nil
	case t.Every < MinEvery:
		return nil, bad("every %v is under %v", t.Every, MinEvery)
	}
	return every(t.Every), nil
}

// ParseCron parses a five-field cron expression or descriptor in UTC, or
// in the zone of a leading CRON_TZ=. It refuses @every, whose ticks
// would depend on when each node started.
func ParseCron(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "@every") {
		return nil, errors.New("@every is not aligned across nodes: use Timer.Every")
	}
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		spec = "CRON_TZ=UTC " + spec
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", spec, err)
	}
	return s, nil
}
