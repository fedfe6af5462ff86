package timer_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/chat/store/memstore"
	"github.com/herald-chatops/herald/chat/timer"
)

// setLast writes the last slot an earlier master fired.
func setLast(t *testing.T, st store.Store, name string, slot time.Time) {
	t.Helper()
	err := st.Set(context.Background(), timer.StoreHandler, "last:"+name,
		strconv.FormatInt(slot.UnixMilli(), 10), 0)
	if err != nil {
		t.Fatal(err)
	}
}

func getLast(t *testing.T, st store.Store, name string) time.Time {
	t.Helper()
	v, err := st.Get(context.Background(), timer.StoreHandler, "last:"+name)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := strconv.ParseInt(v, 10, 64)
	return time.UnixMilli(ms)
}

// TestMissedSlot starts a master after an hourly timer missed two slots:
// FireOnce fires the latest of them once, late; Skip fires nothing and
// records it.
func TestMissedSlot(t *testing.T) {
	tests := []struct {
		name   string
		spec   timer.Timer
		policy timer.Missed
		fires  int
	}{
		{"every, fire once", timer.Timer{Every: time.Hour}, timer.FireOnce, 1},
		{"every, skip", timer.Timer{Every: time.Hour}, timer.Skip, 0},
		{"cron, fire once", timer.Timer{Cron: "0 * * * *"}, timer.FireOnce, 1},
		{"cron, skip", timer.Timer{Cron: "@hourly"}, timer.Skip, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, tk := memstore.New(), newTicks()
			now := time.Now()
			due := now.Truncate(time.Hour) // the latest hourly slot, on the hour in UTC
			setLast(t, st, "hourly", due.Add(-2*time.Hour))
			s := timer.NewScheduler(st, newClaims(), tk.push, slog.New(slog.DiscardHandler))
			tm := tc.spec
			tm.Name, tm.Missed = "hourly", tc.policy
			tm.Handler = func(ctx context.Context, tick *timer.Tick) error {
				tk.handler(ctx, tick, tick.Slot, tick.Late)
				return nil
			}
			if err := s.Add(tm); err != nil {
				t.Fatal(err)
			}
			stop := runFor(func(ctx context.Context) error { return s.Run(ctx, 0) })
			eventually(t, 5*time.Second, "last slot recorded", func() bool {
				return getLast(t, st, "hourly").Equal(due)
			})
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if got := tk.total(); got != tc.fires {
				t.Fatalf("fired %d times, want %d", got, tc.fires)
			}
			if tc.fires == 1 && (len(tk.late) != 1 || !tk.late[0].Equal(due)) {
				t.Fatalf("late slots %v, want [%v]", tk.late, due)
			}
		})
	}
}

// TestFirstStartOwesNothing: a timer never run before fires no missed
// slot, and records when it started.
func TestFirstStartOwesNothing(t *testing.T) {
	st, tk := memstore.New(), newTicks()
	s := timer.NewScheduler(st, newClaims(), tk.push, slog.New(slog.DiscardHandler))
	addCounting(t, s, tk, "hourly", time.Hour)
	before := time.Now().Add(-time.Millisecond)
	stop := runFor(func(ctx context.Context) error { return s.Run(ctx, 0) })
	eventually(t, 5*time.Second, "start recorded", func() bool {
		_, err := st.Get(context.Background(), timer.StoreHandler, "last:hourly")
		return err == nil
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := getLast(t, st, "hourly"); got.Before(before) || tk.total() != 0 {
		t.Fatalf("last = %v (started after %v), fired %d", got, before, tk.total())
	}
}

// TestHandlerFailuresAreContained: a panicking or failing handler loses
// its tick, and the timer keeps ticking.
func TestHandlerFailuresAreContained(t *testing.T) {
	tk := newTicks()
	s := timer.NewScheduler(memstore.New(), newClaims(), tk.push, slog.New(slog.DiscardHandler))
	calls := 0
	err := s.Add(timer.Timer{Name: "flaky", Every: 20 * time.Millisecond,
		Handler: func(ctx context.Context, tick *timer.Tick) error {
			calls++
			switch calls {
			case 1:
				panic("first tick panics")
			case 2:
				return errors.New("second tick fails")
			}
			tk.handler(ctx, tick, tick.Slot, false)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	stop := runFor(func(ctx context.Context) error { return s.Run(ctx, 0) })
	eventually(t, 5*time.Second, "a good tick", func() bool { return tk.total() >= 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Failed != 2 || st.Fired < 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestFire(t *testing.T) {
	s := timer.NewScheduler(memstore.New(), newClaims(), nil, nil)
	err := s.Add(timer.Timer{Name: "report", Cron: "0 9 * * 1-5",
		Handler: func(_ context.Context, tick *timer.Tick) error {
			tick.Send("#ops", "report for "+tick.Slot.Format(time.DateOnly))
			tick.SetTopic("#ops", "reported")
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	acts, err := s.Fire(context.Background(), "report", slot)
	if err != nil || len(acts) != 2 {
		t.Fatalf("Fire = %+v, %v", acts, err)
	}
	if acts[0].Lines[0] != "report for 2025-03-03" || acts[1].ID != "timer:report:"+
		strconv.FormatInt(slot.UnixMilli(), 10)+"/1" {
		t.Fatalf("actions = %+v", acts)
	}
	if _, err := s.Fire(context.Background(), "nope", slot); !errors.Is(err,
		timer.ErrUnknownTimer) {
		t.Fatalf("unknown timer: %v", err)
	}
}
