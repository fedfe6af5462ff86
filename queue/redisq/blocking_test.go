package redisq

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redistest"
)

// A block longer than redis.timeout ends in ErrEmpty, not an i/o timeout,
// and ordinary commands keep answering at once meanwhile.
func TestBlockingPopOutlastsTimeout(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig(srv.Addr)
	cfg.Timeout = time.Second
	q := openQueue(t, cfg, "herald", "a")
	raw := rawClient(t, srv.Addr)

	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := q.Pop(ctxFor(t), queue.Jobs, 3*time.Second)
		done <- err
	}()
	waitBlocked(t, raw, 1)
	pingStart := time.Now()
	if err := q.Ping(ctxFor(t)); err != nil {
		t.Fatalf("ping during a block: %v", err)
	}
	if el := time.Since(pingStart); el > 200*time.Millisecond {
		t.Errorf("ping during a block took %v", el)
	}
	err := <-done
	el := time.Since(start)
	if !errors.Is(err, queue.ErrEmpty) {
		t.Fatalf("pop with 3s wait and 1s timeout: %v, want ErrEmpty", err)
	}
	if el < 2900*time.Millisecond || el > 4500*time.Millisecond {
		t.Fatalf("pop with 3s wait returned after %v", el)
	}
	t.Logf("3s block returned ErrEmpty after %v", el)
}

// A Pop blocked on an empty list gets an envelope pushed meanwhile.
func TestBlockingPopWakesOnPush(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	type result struct {
		d   *queue.Delivery
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := q.Pop(ctxFor(t), queue.Inbound, 10*time.Second)
		done <- result{d, err}
	}()
	waitBlocked(t, rawClient(t, srv.Addr), 1)
	start := time.Now()
	if err := q.Push(ctxFor(t), queue.Inbound, env("woken"), 0); err != nil {
		t.Fatalf("push: %v", err)
	}
	r := <-done
	if r.err != nil || r.d.Envelope.ID != "woken" {
		t.Fatalf("pop = %+v, %v", r.d, r.err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("blocked pop took %v to see a push", el)
	}
}

// waitBlocked waits until the server has n clients blocked in a command.
func waitBlocked(t *testing.T, raw *redis.Client, n int) {
	t.Helper()
	eventually(t, 5*time.Second, "a client blocks in BLMOVE", func() bool {
		info, err := raw.InfoMap(ctxFor(t), "clients").Result()
		if err != nil {
			return false
		}
		return info["Clients"]["blocked_clients"] == strconv.Itoa(n)
	})
}

// The check above can fail: the same block sent as a generic command,
// without go-redis knowing it blocks, is cut by redis.timeout.
func TestGenericBlockingCommandTimesOut(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := testConfig(srv.Addr)
	cfg.Timeout = 300 * time.Millisecond
	cmd, block, err := NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cmd.Close()
	defer block.Close()
	err = block.Do(ctxFor(t), "blmove", "a", "b", "RIGHT", "LEFT", "2").Err()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("generic 2s BLMOVE with 300ms timeout: %v, want an i/o timeout", err)
	}
}

// Close ends a blocked Pop with ErrClosed.
func TestCloseEndsBlockedPop(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a")
	done := make(chan error, 1)
	go func() {
		_, err := q.Pop(ctxFor(t), queue.Jobs, 10*time.Second)
		done <- err
	}()
	waitBlocked(t, rawClient(t, srv.Addr), 1)
	start := time.Now()
	if err := q.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, queue.ErrClosed) {
			t.Fatalf("blocked pop after close: %v, want ErrClosed", err)
		}
		t.Logf("blocked pop returned %v after %v", err, time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("close did not end a blocked pop")
	}
}

// Short waits are kept, or cut but never stretched; long ones are cut
// to whole seconds.
func TestPopWaitPrecision(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "herald", "a") // redis.timeout 1s
	tests := []struct {
		wait, min, max time.Duration
	}{
		{0, 0, 100 * time.Millisecond},
		{200 * time.Millisecond, 180 * time.Millisecond, 500 * time.Millisecond},
		{700 * time.Millisecond, 480 * time.Millisecond, 800 * time.Millisecond},
		{1900 * time.Millisecond, 950 * time.Millisecond, 1500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.wait.String(), func(t *testing.T) {
			start := time.Now()
			_, err := q.Pop(ctxFor(t), queue.Jobs, tc.wait)
			el := time.Since(start)
			if !errors.Is(err, queue.ErrEmpty) || el < tc.min || el > tc.max {
				t.Fatalf("pop with wait %v = %v after %v, want ErrEmpty within [%v, %v]",
					tc.wait, err, el, tc.min, tc.max)
			}
		})
	}
}
