package builtin

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/timer"
)

// TestTimerName is the name of the timer RegisterTestTimer adds.
const TestTimerName = "test-tick"

// RegisterTestTimer adds a timer that says "tick SLOT" in room at every
// multiple of every, SLOT being the tick's due time in Unix milliseconds,
// with " late" added for a missed tick fired after a failover. It exists
// so that cluster tests can count ticks in a real channel: each SLOT must
// appear once. Do not enable it on a real bot.
func RegisterTestTimer(k *handler.Kit, room string, every time.Duration) error {
	return k.Timers.Add(timer.Timer{Name: TestTimerName, Every: every,
		Handler: func(_ context.Context, t *timer.Tick) error {
			line := fmt.Sprintf("tick %d", t.Slot.UnixMilli())
			if t.Late {
				line += " late"
			}
			t.Send(room, line)
			return nil
		}})
}
