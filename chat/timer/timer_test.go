package timer_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/herald-chatops/herald/chat/store/memstore"
	"github.com/herald-chatops/herald/chat/timer"
	"github.com/herald-chatops/herald/queue"
)

func nop(context.Context, *timer.Tick) error { return nil }

func TestAddRefusesBadTimers(t *testing.T) {
	tests := []struct {
		name string
		t    timer.Timer
		want string
	}{
		{"no name", timer.Timer{Every: time.Second, Handler: nop}, "a name is"},
		{"name with colon", timer.Timer{Name: "a:b", Every: time.Second, Handler: nop},
			"a name is"},
		{"no handler", timer.Timer{Name: "x", Every: time.Second}, "no handler"},
		{"neither", timer.Timer{Name: "x", Handler: nop}, "exactly one of Every and Cron"},
		{"both", timer.Timer{Name: "x", Every: time.Second, Cron: "@daily", Handler: nop},
			"exactly one"},
		{"too often", timer.Timer{Name: "x", Every: time.Millisecond, Handler: nop},
			"every 1ms is under 10ms"},
		{"at every", timer.Timer{Name: "x", Cron: "@every 1h", Handler: nop},
			"@every is not aligned"},
		{"bad cron", timer.Timer{Name: "x", Cron: "61 * * * *", Handler: nop}, "cron"},
		{"bad policy", timer.Timer{Name: "x", Every: time.Second, Missed: 7, Handler: nop},
			"unknown missed policy"},
		{"taken", timer.Timer{Name: "taken", Every: time.Second, Handler: nop}, "added twice"},
	}
	s := timer.NewScheduler(memstore.New(), newClaims(), nil, nil)
	if err := s.Add(timer.Timer{Name: "taken", Every: time.Hour, Handler: nop}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Add(tc.t)
			if !errors.Is(err, timer.ErrBadTimer) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Add = %v, want ErrBadTimer with %q", err, tc.want)
			}
		})
	}
}

func TestParseCron(t *testing.T) {
	from := time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC) // a Wednesday, in winter
	tests := []struct {
		spec string
		want time.Time
	}{
		{"0 9 * * *", time.Date(2025, 1, 16, 9, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Europe/Paris 0 9 * * *", time.Date(2025, 1, 16, 8, 0, 0, 0, time.UTC)},
		{"*/15 * * * *", time.Date(2025, 1, 15, 10, 15, 0, 0, time.UTC)},
		{"@hourly", time.Date(2025, 1, 15, 11, 0, 0, 0, time.UTC)},
		{"0 9 * * 1-5", time.Date(2025, 1, 16, 9, 0, 0, 0, time.UTC)},
		{"0 0 1 * *", time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := timer.ParseCron(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(from); !got.Equal(tc.want) {
				t.Fatalf("Next = %v, want %v", got.UTC(), tc.want)
			}
		})
	}
	bad := []string{"", "* * *", "@every 5m", "0 25 * * *", "CRON_TZ=Nowhere/X 0 * * * *"}
	for _, bad := range bad {
		if _, err := timer.ParseCron(bad); err == nil {
			t.Errorf("ParseCron(%q) accepted", bad)
		}
	}
}

// TestThreeSchedulersFireOncePerTick runs three schedulers at once on one
// store and one claimer, as three masters of a split brain would: each
// slot fires exactly once.
func TestThreeSchedulersFireOncePerTick(t *testing.T) {
	st, claims, tk := memstore.New(), newClaims(), newTicks()
	var stops []func() error
	var scheds []*timer.Scheduler
	for range 3 {
		s := timer.NewScheduler(st, claims, tk.push, slog.New(slog.DiscardHandler))
		addCounting(t, s, tk, "beat", 40*time.Millisecond)
		scheds = append(scheds, s)
		stops = append(stops, runFor(func(ctx context.Context) error { return s.Run(ctx, 0) }))
	}
	eventually(t, 5*time.Second, "ten ticks", func() bool { return tk.total() >= 10 })
	for _, stop := range stops {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	slots, counts := tk.counts()
	for i, n := range counts {
		if n != 1 {
			t.Errorf("slot %v fired %d times", slots[i], n)
		}
		if slots[i].UnixMilli()%40 != 0 {
			t.Errorf("slot %v is not a multiple of 40ms", slots[i])
		}
	}
	var fired, taken uint64
	for _, s := range scheds {
		fired += s.Stats().Fired
		taken += s.Stats().Taken
	}
	if fired != uint64(len(slots)) || taken < fired {
		t.Errorf("fired %d, taken %d, slots %d", fired, taken, len(slots))
	}
	checkIDs(t, tk)
}

func addCounting(t *testing.T, s *timer.Scheduler, tk *ticks, name string, every time.Duration) {
	t.Helper()
	err := s.Add(timer.Timer{Name: name, Every: every,
		Handler: func(ctx context.Context, tick *timer.Tick) error {
			tk.handler(ctx, tick, tick.Slot, tick.Late)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// checkIDs checks that each pushed action's id is derived from its slot.
func checkIDs(t *testing.T, tk *ticks) {
	t.Helper()
	tk.mu.Lock()
	defer tk.mu.Unlock()
	seen := map[string]bool{}
	for _, a := range tk.pushed {
		ms := strings.TrimSuffix(strings.TrimPrefix(a.ID, "timer:beat:"), "/0")
		if _, err := strconv.ParseInt(ms, 10, 64); err != nil || seen[a.ID] {
			t.Errorf("action id %q", a.ID)
		}
		seen[a.ID] = true
	}
}

func TestFencedRunStops(t *testing.T) {
	claims, tk := newClaims(), newTicks()
	claims.setTerm(5)
	s := timer.NewScheduler(memstore.New(), claims, tk.push, slog.New(slog.DiscardHandler))
	addCounting(t, s, tk, "beat", 20*time.Millisecond)
	addCounting(t, s, tk, "other", time.Hour)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), 5) }()
	eventually(t, 5*time.Second, "a tick in term 5", func() bool { return tk.total() >= 1 })
	claims.setTerm(6)
	select {
	case err := <-done:
		if !errors.Is(err, queue.ErrFenced) {
			t.Fatalf("Run = %v, want ErrFenced", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run went on after its term ended")
	}
}
